"""Offline dependency check: declarations read from code, OSV matching, the version policy."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from core.finding import Kind
from core.severity import Severity
from detectors.dependencies import (
    TOOL_VERSION,
    AdvisoryDB,
    AdvisoryError,
    check_dependencies,
    declared_dependencies,
    poetry_constraint,
    version_to_check,
)

ROOT = Path(__file__).resolve().parents[2]
ADVISORIES = ROOT / "examples" / "advisories"
SAMPLE_REQUIREMENTS = ROOT / "examples" / "sample_service" / "requirements.txt"


@pytest.fixture(scope="module")
def db() -> AdvisoryDB:
    return AdvisoryDB.load(ADVISORIES)


def _advisory(vuln_id: str = "TEST-1", **overrides: Any) -> dict[str, Any]:
    """A minimal valid OSV record for `demo` < 2.0."""
    record: dict[str, Any] = {
        "id": vuln_id,
        "modified": "2024-01-01T00:00:00Z",
        "summary": "demo is broken",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                ],
            }
        ],
    }
    record.update(overrides)
    return record


def _db_of(*records: dict[str, Any]) -> AdvisoryDB:
    db = AdvisoryDB()
    for record in records:
        db.add(record)
    return db


# --- Declarations ----------------------------------------------------------------------------

# (path, text, [(name, specifier, line)])
DECLARATIONS = [
    # requirements files
    ("requirements.txt", "flask==0.12.2\n", [("flask", "==0.12.2", 1)]),
    # extras are dropped from the name; an environment marker is ignored but the requirement kept
    (
        "requirements.txt",
        'flask[async]==0.12.2 ; python_version < "3.8"  # web\n',
        [("flask", "==0.12.2", 1)],
    ),
    # comments, blank lines, option lines, -r/-c/-e lines are skipped; line numbers stay physical
    (
        "requirements.txt",
        "# deps\n\n--index-url https://x.example/simple\n-r base.txt\n-c constraints.txt\n-e .\nrequests>=2.0\n",
        [("requests", ">=2.0", 7)],
    ),
    # a backslash continues the requirement on the next line; the declaration is on its first line
    (
        "requirements.txt",
        "requests \\\n    >=2.0,<3\nurllib3==1.24.1\n",
        [("requests", ">=2.0,<3", 1), ("urllib3", "==1.24.1", 3)],
    ),
    # per-requirement options (--hash) after the requirement, continued
    (
        "requirements.txt",
        "urllib3==1.24.1 \\\n    --hash=sha256:0123abcd\n",
        [("urllib3", "==1.24.1", 1)],
    ),
    # URLs, paths and VCS links are not packages with versions
    (
        "requirements.txt",
        "./vendor/pkg\nhttps://x.example/pkg-1.0.whl\ngit+https://github.com/a/b#egg=b\n",
        [],
    ),
    # an unreadable requirement is skipped, the rest kept
    ("requirements.txt", "flask==\nrequests==2.19.1\n", [("requests", "==2.19.1", 2)]),
    # names are PEP 503-normalized
    (
        "requirements.txt",
        "PyYAML==5.3\nZope.Interface>=5\n",
        [("pyyaml", "==5.3", 1), ("zope-interface", ">=5", 2)],
    ),
    # other requirements-file names: dev-requirements.txt, requirements/*.txt, pip-tools *.in
    ("dev-requirements.txt", "pytest>=7\n", [("pytest", ">=7", 1)]),
    ("requirements/base.txt", "jinja2==2.10\n", [("jinja2", "==2.10", 1)]),
    ("requirements/dev.in", "flask>=1.0\n", [("flask", ">=1.0", 1)]),
    # MANIFEST.in is no requirements file
    ("MANIFEST.in", "include README.md\ngraft docs\n", []),
    # pyproject.toml: PEP 621 dependencies and optional-dependencies, on their own lines
    (
        "pyproject.toml",
        '[project]\nname = "x"\ndependencies = [\n  "Flask>=0.12",\n  "requests==2.19.1",\n]\n[project.optional-dependencies]\nyaml = ["PyYAML~=5.3"]\n',
        [("flask", ">=0.12", 4), ("requests", "==2.19.1", 5), ("pyyaml", "~=5.3", 8)],
    ),
    # PEP 735 dependency groups (an include-group table is not a requirement)
    (
        "pyproject.toml",
        '[dependency-groups]\ntest = ["pytest==7.0", {include-group = "lint"}]\n',
        [("pytest", "==7.0", 2)],
    ),
    # Poetry: caret, bare (exact), table with version, git source skipped, python skipped, groups
    (
        "pyproject.toml",
        '[tool.poetry.dependencies]\npython = "^3.8"\nJinja2 = "^2.10"\nflask = "0.12.2"\nurllib3 = {version = "==1.24.1", extras = ["socks"]}\nmylib = {git = "https://github.com/a/b"}\n[tool.poetry.group.dev.dependencies]\npytest = "~7.1"\n',
        [
            ("jinja2", ">=2.10,<3", 3),
            ("flask", "==0.12.2", 4),
            ("urllib3", "==1.24.1", 5),
            ("pytest", ">=7.1,<7.2", 8),
        ],
    ),
    # Poetry: a dependency as its own table; the line is the table header
    (
        "pyproject.toml",
        '[tool.poetry.dependencies.requests]\nversion = "2.19.1"\n',
        [("requests", "==2.19.1", 1)],
    ),
    # a malformed pyproject declares nothing (and is no error)
    ("pyproject.toml", '[project\ndependencies = ["flask==0.12.2"\n', []),
    # inline: a Python string run by os.system; an unpinned second package is kept
    (
        "app.py",
        'import os\n\nos.system("pip install flask==0.12.2 requests")\n',
        [("flask", "==0.12.2", 3), ("requests", "", 3)],
    ),
    # inline: python -m pip with flags; a quoted specifier
    (
        "setup.sh",
        "#!/bin/sh\npython3 -m pip install -U --user 'requests<2.20' pyyaml==5.3\n",
        [("requests", "<2.20", 2), ("pyyaml", "==5.3", 2)],
    ),
    # inline: notebook magics
    (
        "notebook.py",
        "%pip install -q urllib3==1.24.1\n!pip install jinja2==2.10\n",
        [("urllib3", "==1.24.1", 1), ("jinja2", "==2.10", 2)],
    ),
    # inline: a notebook file read as text (JSON escapes, \n at the end of each source line)
    (
        "demo.ipynb",
        '{"cells": [{"source": [\n    "!pip install flask==0.12.2 \\"requests>=2.0\\"\\n",\n    "import flask"]}]}\n',
        [("flask", "==0.12.2", 2), ("requests", ">=2.0", 2)],
    ),
    # inline: the argv form (subprocess with sys.executable -m pip)
    (
        "bootstrap.py",
        'subprocess.check_call([sys.executable, "-m", "pip", "install", "-U", "jinja2==2.10"])\n',
        [("jinja2", "==2.10", 1)],
    ),
    # inline: a Dockerfile RUN continued over lines and chained with &&; -r names a file
    (
        "Dockerfile",
        'FROM python:3.11\nRUN pip install --no-cache-dir \\\n    flask==0.12.2 \\\n    "requests<2.20" && pip install pyyaml==5.3\nRUN pip install -r requirements.txt\n',
        [("flask", "==0.12.2", 3), ("requests", "<2.20", 4), ("pyyaml", "==5.3", 4)],
    ),
    # inline: sudo, an environment assignment, a trailing redirect and comment
    (
        "install.sh",
        "sudo -H PIP_NO_CACHE_DIR=1 pip3 install urllib3==1.24.1 > /dev/null  # quiet\n",
        [("urllib3", "==1.24.1", 1)],
    ),
    # inline: markdown fences with a prompt, and inline code in prose
    (
        "README.md",
        "## Setup\n\n```console\n$ pip install 'pyyaml>=5.1'\n```\n\nOr run `pip install flask==0.12.2`.\n",
        [("pyyaml", ">=5.1", 4), ("flask", "==0.12.2", 7)],
    ),
    # inline: a CI step
    (
        ".github/workflows/ci.yml",
        "steps:\n  - run: pip install requests==2.19.1\n",
        [("requests", "==2.19.1", 2)],
    ),
    # NOT dependencies: pip list / freeze / uninstall / download, -r file, local paths, variables
    (
        "notes.sh",
        "pip list\npip freeze > requirements.txt\npip uninstall -y flask==0.12.2\npip install -r requirements.txt\npip install -e .\npip install .\npip install $PACKAGE\n",
        [],
    ),
    # NOT dependencies: an f-string placeholder is no package
    ("tool.py", 'os.system(f"pip install {package}")\n', []),
    # NOT dependencies: prose that mentions pip
    (
        "guide.md",
        "You can pip install it from PyPI, or use pip to list what is installed.\nWe recommend that users pip install flask themselves.\n",
        [],
    ),
]


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    DECLARATIONS,
    ids=[
        "req-pinned",
        "req-extras-marker-comment",
        "req-options-skipped",
        "req-continuation",
        "req-hash-option",
        "req-urls-paths-skipped",
        "req-invalid-skipped",
        "req-names-normalized",
        "req-dev-prefix",
        "req-directory",
        "req-pip-tools-in",
        "manifest-in-not-requirements",
        "pyproject-pep621",
        "pyproject-dependency-groups",
        "pyproject-poetry",
        "pyproject-poetry-subtable",
        "pyproject-malformed",
        "inline-os-system",
        "inline-python-m-pip-flags",
        "inline-notebook-magics",
        "inline-ipynb-json",
        "inline-argv-list",
        "inline-dockerfile-continuation",
        "inline-sudo-env-redirect",
        "inline-markdown",
        "inline-ci-yaml",
        "not-pip-list-freeze-r-file",
        "not-fstring-placeholder",
        "not-prose",
    ],
)
def test_declared_dependencies(path: str, text: str, expected: list[tuple[str, str, int]]) -> None:
    found = declared_dependencies(path, text)
    assert [(d.name, d.specifier, d.line) for d in found] == expected
    assert all(d.path == path and d.ecosystem == "pypi" for d in found)


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [
        ("^1.2.3", ">=1.2.3,<2"),  # caret: up to the next major
        ("^0.2.3", ">=0.2.3,<0.3"),  # caret below 1.0: the first non-zero part
        ("^0.0.3", ">=0.0.3,<0.0.4"),
        ("^0", ">=0,<1"),  # all zero: bump the last written part
        ("~1.2.3", ">=1.2.3,<1.3"),  # tilde: up to the next minor
        ("~1", ">=1,<2"),  # tilde with only a major
        ("1.2", "==1.2"),  # bare version: exact in Poetry
        ("=1.2", "==1.2"),
        ("1.2.*", "==1.2.*"),
        ("*", ""),  # any version
        (">= 1.2, < 2.0", ">=1.2,<2.0"),  # PEP 440-like, with spaces
        ("^2.0 || ^1.0", ">=1.0,<2"),  # "or": the alternative with the lowest versions
        ("^not.a.version", None),
    ],
    ids=[
        "caret",
        "caret-0.x",
        "caret-0.0.x",
        "caret-0",
        "tilde",
        "tilde-major",
        "bare",
        "single-eq",
        "wildcard",
        "star",
        "pep440-spaces",
        "or",
        "unreadable",
    ],
)
def test_poetry_constraint(constraint: str, expected: str | None) -> None:
    assert poetry_constraint(constraint) == expected


# --- Matching ------------------------------------------------------------------------------------

MATCHING = [
    # below the fix of one advisory (and its PYSEC twin) and the first range of another
    ("flask", "0.12.2", ["GHSA-562c-5r94-xh97", "GHSA-m2qf-hxjv-5gpq", "PYSEC-2018-66"]),
    # fixed is exclusive: the fixed version is not affected
    ("flask", "0.12.3", ["GHSA-m2qf-hxjv-5gpq"]),
    ("flask", "2.2.5", []),
    # second introduced/fixed pair of the same range: introduced is inclusive
    ("flask", "2.3.0", ["GHSA-m2qf-hxjv-5gpq"]),
    ("flask", "2.3.1", ["GHSA-m2qf-hxjv-5gpq"]),
    ("flask", "2.3.2", []),
    # pre-release of a fixed version is still affected
    ("flask", "0.12.3rc1", ["GHSA-562c-5r94-xh97", "GHSA-m2qf-hxjv-5gpq", "PYSEC-2018-66"]),
    # pre-release of an introduced version comes before it: not affected
    ("flask", "2.3.0rc1", []),
    # post-release of a fixed version is fixed
    ("flask", "2.3.2.post1", []),
    # introduced above 0: a version below it is not affected by that advisory
    ("requests", "2.2.1", ["GHSA-x84v-xcm2-53pg"]),
    ("requests", "2.3.0", ["GHSA-j8r2-6x86-q33q", "GHSA-x84v-xcm2-53pg"]),
    ("requests", "2.31.0", []),
    # several affected entries (release lines) of one advisory
    ("urllib3", "1.26.17", ["GHSA-g4mx-q9vg-27p4"]),
    ("urllib3", "1.26.18", []),
    ("urllib3", "2.0.0", ["GHSA-g4mx-q9vg-27p4"]),
    ("urllib3", "2.0.7", []),
    # last_affected is inclusive
    ("py", "1.11.0", ["GHSA-w596-4wvx-j9j6"]),
    ("py", "1.11.1", []),
    # explicit versions only: listed versions, compared as PEP 440 versions (0.2.2.0 == 0.2.2)
    ("ctx", "0.2.2", ["GHSA-67r3-h899-9w95"]),
    ("ctx", "0.2.2.0", ["GHSA-67r3-h899-9w95"]),
    ("ctx", "0.2.3", []),
    # names are normalized on both sides (the advisory says "PyYAML")
    ("PyYaml", "5.3", ["GHSA-8q59-q68h-6hv4"]),
    # invalid versions are never affected and do not raise
    ("flask", "not-a-version", []),
    ("flask", "", []),
    # a package no advisory names
    ("left-pad", "1.0", []),
]


@pytest.mark.parametrize(
    ("name", "version", "expected"),
    MATCHING,
    ids=[
        "below-fix",
        "fixed-exclusive",
        "fixed-exclusive-2nd-advisory",
        "introduced-inclusive-2nd-pair",
        "inside-2nd-pair",
        "fixed-2nd-pair",
        "prerelease-of-fix",
        "prerelease-of-introduced",
        "postrelease-of-fix",
        "below-introduced",
        "at-introduced",
        "at-last-fix",
        "2nd-affected-entry",
        "fixed-1st-line",
        "introduced-2nd-line",
        "fixed-2nd-line",
        "last-affected-inclusive",
        "after-last-affected",
        "listed-version",
        "listed-version-pep440-equal",
        "unlisted-version",
        "name-normalized",
        "invalid-version",
        "empty-version",
        "unknown-package",
    ],
)
def test_affecting(db: AdvisoryDB, name: str, version: str, expected: list[str]) -> None:
    assert [a.id for a in db.affecting("PyPI", name, version)] == expected


@pytest.mark.parametrize(
    ("ranges", "version", "affected"),
    [
        # SEMVER ranges are compared like ECOSYSTEM ones
        (
            [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.4.2"}]}],
            "1.4.1",
            True,
        ),
        # GIT ranges name commits: ignored
        (
            [
                {
                    "type": "GIT",
                    "repo": "https://x",
                    "events": [{"introduced": "0"}, {"fixed": "abc123"}],
                }
            ],
            "1.0",
            False,
        ),
        # events out of order are sorted first
        ([{"type": "ECOSYSTEM", "events": [{"fixed": "2.0"}, {"introduced": "1.0"}]}], "1.5", True),
        # several ranges: any one affecting is enough
        (
            [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]},
                {"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}]},
            ],
            "3.1",
            True,
        ),
        # an introduced with no fix affects everything from there on
        ([{"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}]}], "2.9", False),
        # a `limit` event is ignored
        (
            [
                {
                    "type": "ECOSYSTEM",
                    "events": [{"introduced": "0"}, {"limit": "5.0"}, {"fixed": "2.0"}],
                }
            ],
            "1.0",
            True,
        ),
    ],
    ids=[
        "semver",
        "git-ignored",
        "unsorted-events",
        "several-ranges",
        "open-range-below",
        "limit-ignored",
    ],
)
def test_range_kinds(ranges: list[dict[str, Any]], version: str, affected: bool) -> None:
    record = _advisory(
        affected=[{"package": {"ecosystem": "PyPI", "name": "demo"}, "ranges": ranges}]
    )
    assert bool(_db_of(record).affecting("pypi", "demo", version)) is affected


def test_a_range_version_that_is_not_pep440_is_a_warning_not_a_crash() -> None:
    ranges = [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0-final-really"}]}]
    db = _db_of(
        _advisory(affected=[{"package": {"ecosystem": "PyPI", "name": "demo"}, "ranges": ranges}])
    )
    report = check_dependencies({"requirements.txt": "demo==1.0\n"}, db)
    assert report.finding_count == 0
    assert any("TEST-1" in w and "not a PEP 440 version" in w for w in report.warnings)


# --- Loading -------------------------------------------------------------------------------------


def test_load_reads_every_json_recursively(tmp_path: Path, db: AdvisoryDB) -> None:
    assert len(db) == 11
    nested = tmp_path / "PyPI" / "demo"
    nested.mkdir(parents=True)
    (nested / "TEST-1.json").write_text(json.dumps(_advisory()))
    (tmp_path / "notes.txt").write_text("not an advisory")
    assert [a.id for a in AdvisoryDB.load(tmp_path).affecting("PyPI", "demo", "1.0")] == ["TEST-1"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"id": "TEST-1", "affected": [', "not a readable JSON file"),  # truncated
        ("[]", "expected an object"),  # not an advisory object
        (json.dumps(_advisory(id="")), "id"),  # no id
        (json.dumps(_advisory(affected={"package": {}})), "affected"),  # affected not an array
        (
            json.dumps(_advisory(affected=[{"package": {"ecosystem": "PyPI"}}])),
            "needs an ecosystem and a name",
        ),
        (
            json.dumps(
                _advisory(
                    affected=[
                        {
                            "package": {"ecosystem": "PyPI", "name": "demo"},
                            "ranges": [{"type": "ECOSYSTEM"}],
                        }
                    ]
                )
            ),
            "events",
        ),
        (
            json.dumps(
                _advisory(
                    affected=[
                        {
                            "package": {"ecosystem": "PyPI", "name": "demo"},
                            "ranges": [{"type": "ECOSYSTEM", "events": [{"when": "1.0"}]}],
                        }
                    ]
                )
            ),
            "no introduced, fixed or last_affected",
        ),
        (
            json.dumps(
                _advisory(
                    affected=[{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": "1.0"}]
                )
            ),
            "versions",
        ),
    ],
    ids=[
        "truncated-json",
        "not-an-object",
        "no-id",
        "affected-not-array",
        "package-without-name",
        "range-without-events",
        "event-without-kind",
        "versions-not-array",
    ],
)
def test_malformed_advisory_names_the_file(tmp_path: Path, content: str, reason: str) -> None:
    (tmp_path / "GOOD-1.json").write_text(json.dumps(_advisory("GOOD-1")))
    (tmp_path / "BAD-1.json").write_text(content)
    with pytest.raises(AdvisoryError) as caught:
        AdvisoryDB.load(tmp_path)
    assert "BAD-1.json" in str(caught.value)
    assert reason in str(caught.value)


def test_withdrawn_advisories_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "TEST-1.json").write_text(json.dumps(_advisory(withdrawn="2024-02-01T00:00:00Z")))
    loaded = AdvisoryDB.load(tmp_path)
    assert (len(loaded), loaded.withdrawn_count) == (0, 1)
    assert loaded.affecting("PyPI", "demo", "1.0") == []


# --- Which version is checked --------------------------------------------------------------------

KNOWN = (Version("0.12.3"), Version("1.1rc1"), Version("2.2.5"))


@pytest.mark.parametrize(
    ("specifier", "expected"),
    [
        ("==0.12.2", ("0.12.2", True)),  # pinned
        ("===0.12.2", ("0.12.2", True)),  # arbitrary equality is a pin too
        ("==0.12.2,<1", ("0.12.2", True)),  # a pin with other clauses
        (">=0.12", ("0.12", False)),  # lower bound: the bound itself
        ("~=0.12.1", ("0.12.1", False)),  # compatible release: its lower bound
        (">=0.12,<1", ("0.12", False)),  # a range: its lowest version
        ("==0.12.*", ("0.12", False)),  # a wildcard is a range
        # exclusive bound: the lowest admitted version the advisories name
        (">0.12.2", ("0.12.3", False)),
        (">=0.12.2,!=0.12.2", ("0.12.3", False)),  # the bound excluded: same
        (">1.0", ("2.2.5", False)),  # a pre-release is not admitted unless the specifier names one
        (">=2.0rc1", ("2.0rc1", False)),  # ... which this one does
        (">3.0", None),  # exclusive bound above everything known: nothing to check
        ("", None),  # any version: no lower bound, not checked
        ("<2", None),  # upper bound only: not checked
        ("!=1.0", None),  # exclusion only: not checked
        ("===bogus", ("bogus", True)),  # a pin that is no PEP 440 version is still the pin
    ],
    ids=[
        "pinned",
        "arbitrary-equality",
        "pinned-with-range",
        "lower-bound",
        "compatible-release",
        "range",
        "wildcard",
        "exclusive-bound",
        "bound-excluded",
        "prerelease-not-admitted",
        "prerelease-named",
        "exclusive-above-known",
        "unbounded",
        "upper-only",
        "exclusion-only",
        "non-pep440-pin",
    ],
)
def test_version_to_check(specifier: str, expected: tuple[str, bool] | None) -> None:
    assert version_to_check(specifier, KNOWN) == expected


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        # pinned and affected: high confidence
        ("flask==0.12.2", [("0.12.2", "high", "flask 0.12.2 is affected")]),
        # lower bound admits an affected version: medium confidence, "allows"
        (
            "flask>=0.12,<0.13",
            [("0.12", "medium", "flask>=0.12,<0.13 allows 0.12, which is affected")],
        ),
        # lower bound at a fixed version: clean, even though 2.3.0-2.3.1 above it are affected
        ("flask>=2.2.5", []),
        # no lower bound: not checked (a warning says so)
        ("flask", []),
        ("flask<2", []),
    ],
    ids=["pinned", "ranged", "ranged-floor-fixed", "unbounded", "upper-only"],
)
def test_policy_pinned_ranged_unbounded(
    db: AdvisoryDB, requirement: str, expected: list[tuple[str, str, str]]
) -> None:
    report = check_dependencies({"requirements.txt": requirement + "\n"}, db)
    found = [f for f in report.runs[0].findings if f.rule_id == "GHSA-562c-5r94-xh97"]
    assert [
        (f.package_version, f.confidence, f.message.split(": ", 1)[1]) for f in found
    ] == expected
    if not any(op in requirement for op in "=>"):
        assert any("requirements.txt:1: flask" in w and "not checked" in w for w in report.warnings)


# --- Findings ------------------------------------------------------------------------------------


def test_sample_service_requirements(db: AdvisoryDB) -> None:
    text = SAMPLE_REQUIREMENTS.read_text()
    report = check_dependencies({"examples/sample_service/requirements.txt": text}, db)
    assert report.format == "depcheck" and len(report.runs) == 1
    run = report.runs[0]
    assert (run.tool, run.tool_version) == ("depcheck", TOOL_VERSION)
    got = {
        (f.package, f.package_version, f.rule_id, f.vuln_ids[0], f.fixed_version, f.start_line)
        for f in run.findings
    }
    assert got == {
        ("flask", "0.12.2", "GHSA-562c-5r94-xh97", "CVE-2018-1000656", "0.12.3", 1),
        ("flask", "0.12.2", "GHSA-m2qf-hxjv-5gpq", "CVE-2023-30861", "2.2.5", 1),
        ("jinja2", "2.10", "GHSA-462w-v97r-4m45", "CVE-2019-10906", "2.10.1", 2),
        ("pyyaml", "5.3", "GHSA-8q59-q68h-6hv4", "CVE-2020-14343", "5.4", 3),
        ("requests", "2.19.1", "GHSA-x84v-xcm2-53pg", "CVE-2018-18074", "2.20.0", 4),
        ("requests", "2.19.1", "GHSA-j8r2-6x86-q33q", "CVE-2023-32681", "2.31.0", 4),
        ("urllib3", "1.24.1", "GHSA-mh33-7rrq-662w", "CVE-2019-11324", "1.24.2", 5),
        ("urllib3", "1.24.1", "GHSA-g4mx-q9vg-27p4", "CVE-2023-45803", "1.26.18", 5),
    }
    assert not report.warnings


def test_a_finding_carries_the_advisory_and_the_declaration(db: AdvisoryDB) -> None:
    report = check_dependencies({"requirements.txt": "# web\nFlask[async]==0.12.2  # pinned\n"}, db)
    finding = next(f for f in report.runs[0].findings if f.rule_id == "GHSA-562c-5r94-xh97")
    assert finding.kind is Kind.SCA
    assert (finding.severity, finding.tool_severity) == (Severity.HIGH, "HIGH")
    assert finding.vuln_ids == ["CVE-2018-1000656", "GHSA-562c-5r94-xh97", "PYSEC-2018-66"]
    assert finding.cwe_ids == [20]
    assert (
        finding.message
        == "Flask is vulnerable to Denial of Service via incorrect encoding of JSON data: flask 0.12.2 is affected"
    )
    assert finding.rule_name.startswith("Flask is vulnerable")
    assert (finding.package, finding.ecosystem, finding.fixed_version) == (
        "flask",
        "pypi",
        "0.12.3",
    )
    assert finding.fix_guidance == "Upgrade flask to 0.12.3"
    assert (finding.path, finding.start_line, finding.end_line) == ("requirements.txt", 2, 2)
    assert finding.flagged_text == "Flask[async]==0.12.2  # pinned"
    assert "https://nvd.nist.gov/vuln/detail/CVE-2018-1000656" in finding.references
    assert finding.raw == {
        "advisory": "GHSA-562c-5r94-xh97",
        "declaration": {
            "name": "flask",
            "specifier": "==0.12.2",
            "line": 2,
            "path": "requirements.txt",
        },
        "checked_version": "0.12.2",
    }


@pytest.mark.parametrize(
    ("requirement", "severity", "tool_severity"),
    [
        ("pyyaml==5.3", Severity.CRITICAL, "CRITICAL"),  # GHSA word
        ("requests==2.30.0", Severity.MEDIUM, "MODERATE"),  # GHSA's MODERATE is medium
        # no word: the CVSS vector (8.6)
        ("jinja2==2.10", Severity.HIGH, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N"),
    ],
    ids=["word-critical", "word-moderate", "cvss-vector"],
)
def test_severity(db: AdvisoryDB, requirement: str, severity: Severity, tool_severity: str) -> None:
    (finding,) = check_dependencies({"requirements.txt": requirement}, db).runs[0].findings
    assert (finding.severity, finding.tool_severity) == (severity, tool_severity)


def test_unrated_advisory_is_medium_and_fix_is_the_lowest_above() -> None:
    # no word, no vector; two fixes on two release lines: the lowest above the checked version
    record = _advisory(
        affected=[
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.5"}]}
                ],
            },
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.3"}]}
                ],
            },
        ]
    )
    (finding,) = (
        check_dependencies({"requirements.txt": "demo==2.1"}, _db_of(record)).runs[0].findings
    )
    assert (finding.severity, finding.tool_severity) == (Severity.MEDIUM, None)
    assert finding.fixed_version == "2.3"


def test_alias_records_are_one_finding() -> None:
    # a GHSA record and its PYSEC twin (as osv.dev's PyPI data has them) disagree on the fix
    ghsa = _advisory(
        "GHSA-aaaa-bbbb-cccc",
        aliases=["CVE-2099-0001"],
        database_specific={"severity": "HIGH", "cwe_ids": ["CWE-79"]},
    )
    pysec = _advisory(
        "PYSEC-2099-1",
        aliases=["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc"],
        summary=None,
        affected=[
            {
                "package": {"ecosystem": "PyPI", "name": "demo"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.1"}]}
                ],
            }
        ],
    )
    other = _advisory("TEST-2", summary="another bug")
    findings = (
        check_dependencies({"requirements.txt": "demo==1.0"}, _db_of(pysec, ghsa, other))
        .runs[0]
        .findings
    )
    assert [f.rule_id for f in findings] == ["GHSA-aaaa-bbbb-cccc", "TEST-2"]
    merged = findings[0]
    assert merged.vuln_ids == ["CVE-2099-0001", "GHSA-aaaa-bbbb-cccc", "PYSEC-2099-1"]
    assert (merged.severity, merged.tool_severity, merged.cwe_ids) == (Severity.HIGH, "HIGH", [79])
    assert merged.fixed_version == "2.1"  # the upgrade that clears both records
    assert merged.message == "demo is broken: demo 1.0 is affected"


def test_an_advisory_without_summary_names_itself() -> None:
    (finding,) = (
        check_dependencies({"requirements.txt": "demo==1.0"}, _db_of(_advisory(summary=None)))
        .runs[0]
        .findings
    )
    assert finding.message == "demo 1.0 is affected (TEST-1)"
    assert finding.rule_name is None


def test_long_lines_are_read_in_linear_time() -> None:
    # every quote could start a command; a `\S*` scanned from each one would be quadratic
    line = ('"' + "a/" * 10) * 4000 + "pip install flask==0.12.2 " + '"pip install "' * 4000
    start = time.perf_counter()
    found = declared_dependencies("big.py", line)
    # ~0.05 s when linear; quadratic scanning of this line takes minutes. The bound is loose
    # so a loaded CI machine cannot fail it.
    assert time.perf_counter() - start < 5
    assert [(d.name, d.specifier) for d in found] == [("flask", "==0.12.2")]


def test_inline_pip_install_in_a_python_string_is_found_on_its_line(db: AdvisoryDB) -> None:
    code = (
        "import subprocess\n"
        "\n"
        "\n"
        "def bootstrap():\n"
        '    subprocess.run("pip install --quiet pyyaml==5.3", shell=True, check=True)\n'
        "    import yaml\n"
    )
    (finding,) = check_dependencies({"sample/app.py": code}, db).runs[0].findings
    assert (finding.rule_id, finding.path, finding.start_line) == (
        "GHSA-8q59-q68h-6hv4",
        "sample/app.py",
        5,
    )
    assert (
        finding.flagged_text
        == '    subprocess.run("pip install --quiet pyyaml==5.3", shell=True, check=True)'
    )
    assert finding.confidence == "high"


def test_check_is_fast_with_the_db_loaded_once(db: AdvisoryDB) -> None:
    # ~50 advisories; 512 small samples with 0-3 declarations each, one call per sample
    big = AdvisoryDB.load(ADVISORIES)
    for i in range(40):
        big.add(
            _advisory(
                f"TEST-{i}",
                affected=[
                    {
                        "package": {"ecosystem": "PyPI", "name": f"pkg{i}"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}
                        ],
                    }
                ],
            )
        )
    shapes = [
        ("app.py", "import os\n\ndef f(x):\n    return x + 1\n"),
        ("app.py", 'import os\nos.system("pip install flask==0.12.2 requests>=2.0")\n'),
        ("requirements.txt", "flask==0.12.2\npkg3>=1.0\npyyaml==5.3\n"),
        ("Dockerfile", "FROM python:3.11\nRUN pip install --no-cache-dir pkg7==1.0\n"),
    ]
    samples = [{path: text + f"# sample {i}\n"} for i in range(128) for path, text in shapes]
    start = time.perf_counter()
    total = sum(check_dependencies(sample, big).finding_count for sample in samples)
    elapsed = time.perf_counter() - start
    assert total == 128 * (2 + 5 + 1)
    assert elapsed < 0.25, f"{elapsed * 1000:.0f} ms for 512 samples"  # budget: well under 50 ms
