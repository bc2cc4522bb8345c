"""Offline dependency check: Python requirements declared in code, against OSV advisories.

Code samples declare dependencies in requirements files, in `pyproject.toml`, and inline
(`pip install flask==0.12.2` in a Dockerfile, a shell script, a notebook, a Python string).
`declarations` reads those and decides which version of each to check; `advisories` reads an
OSV-format advisory folder once (`AdvisoryDB.load`) and matches versions; `check` turns every
declaration that admits an affected version into an SCA finding, on the line that declares it.
"""

from detectors.dependencies.advisories import (
    Advisory,
    AdvisoryDB,
    AdvisoryError,
    Match,
    merge_aliases,
)
from detectors.dependencies.check import TOOL, TOOL_VERSION, check_dependencies
from detectors.dependencies.declarations import (
    Declaration,
    declared_dependencies,
    poetry_constraint,
    version_to_check,
)

__all__ = [
    "Advisory",
    "AdvisoryDB",
    "AdvisoryError",
    "Declaration",
    "Match",
    "TOOL",
    "TOOL_VERSION",
    "check_dependencies",
    "declared_dependencies",
    "merge_aliases",
    "poetry_constraint",
    "version_to_check",
]
