from __future__ import annotations

from pathlib import Path

import pytest

from vector_memory.embedder import Embedder


@pytest.fixture(scope="session")
def embedder(onnx_cache: Path) -> Embedder:
    """The default model on the default backend (ONNX int8, exported once per session)."""
    return Embedder(cache_dir=onnx_cache)


@pytest.fixture(scope="session")
def fp32_embedder(onnx_cache: Path) -> Embedder:
    return Embedder(backend="onnx", cache_dir=onnx_cache)


@pytest.fixture(scope="session")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch")


@pytest.fixture
def qdrant_path(tmp_path: Path) -> Path:
    return tmp_path / "qdrant"
