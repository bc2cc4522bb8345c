"""The tiny local base model, built once per test session (shared by xdist workers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from filelock import FileLock

from training.base_model import TinySpec, build_tiny


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.getbasetemp().parent  # the same folder for every xdist worker
    folder = root / "tiny-model"
    with FileLock(str(root / "tiny-model.lock")):
        if not (folder / "flywheel_tiny.json").is_file():
            build_tiny(folder, TinySpec())
    return folder
