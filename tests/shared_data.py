"""Where the real reports written by others live (../shared/data), for tests that read them.

Never copied into the repository (see ../shared/data/README.md for licenses): tests read them
in place and skip cleanly when the folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("FLYWHEEL_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data; skips the calling test when it does not exist."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (real reports by others; set FLYWHEEL_SHARED_DATA)")
    return path
