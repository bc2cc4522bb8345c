from __future__ import annotations

from pathlib import Path

import pytest

from ingest.memory.embedder import Embedder


@pytest.fixture(scope="session")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Embedder:
    """The default model on the default backend (ONNX, exported once per session)."""
    return Embedder(cache_dir=tmp_path_factory.mktemp("onnx"))


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


@pytest.fixture
def qdrant_path(tmp_path: Path) -> Path:
    return tmp_path / "qdrant"
