from __future__ import annotations

from pathlib import Path

import pytest

from core.settings import EXAMPLES
from ingest.pipeline import IngestOptions, ingest_paths
from store import FindingsStore


def ingest_sample(store: FindingsStore) -> None:
    """The bundled sample reports with code context from the bundled sample service: real
    findings of four tools, some in the same cross-tool group."""
    reports = sorted(p for p in (EXAMPLES / "reports").iterdir() if p.suffix in (".json", ".sarif"))
    summary = ingest_paths(
        reports,
        store,
        IngestOptions(
            repo=EXAMPLES / "sample_service",
            repository="examples/sample_service",
            service="sample-service",
        ),
    )
    assert not summary.failed


@pytest.fixture
def seeded(store: FindingsStore) -> FindingsStore:
    ingest_sample(store)
    return store


@pytest.fixture
def sqlite_seeded(tmp_path: Path) -> FindingsStore:
    store = FindingsStore(f"sqlite:///{tmp_path / 'findings.db'}")
    ingest_sample(store)
    yield store
    store.close()


@pytest.fixture
def seeded_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FindingsStore:
    """FLYWHEEL_HOME in tmp_path (no other FLYWHEEL_* settings) holding the seeded sample:
    what the CLI and the app open by default."""
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "FLYWHEEL_QDRANT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    store = FindingsStore(f"sqlite:///{tmp_path / 'home' / 'findings.db'}")
    ingest_sample(store)
    yield store
    store.close()
