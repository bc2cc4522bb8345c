"""The tiny local base model, built once per test session (shared by xdist workers)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from filelock import FileLock

import training.base_model
import training.families
from training.base_model import TinySpec, build_tiny


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp().parent  # the same folder for every xdist worker
    # Keyed by the code that builds it, so a changed recipe never reuses an old model.
    sources = [Path(training.base_model.__file__), Path(training.families.__file__)]
    key = hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:12]
    folder = root / f"tiny-model-{key}"
    with FileLock(str(root / f"tiny-model-{key}.lock")):
        if not (folder / "flywheel_tiny.json").is_file():
            build_tiny(folder, TinySpec())
    return folder
