"""A run killed with SIGKILL in the middle of ingest or of embedding leaves the store
consistent; the next run completes without duplicates and without losing a label. (Killed
during training: tests/orchestration/test_main_job.py.)

Each test starts the real command as a subprocess, waits until it is visibly writing (the
SQLite write-ahead log growing, Qdrant's storage growing), kills it, and checks the store
before running the command again."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from orchestration.loop import SAMPLE_DECISIONS
from tests.conftest import EXAMPLES, seed_models
from tests.gate.conftest import synthetic_report
from tests.orchestration.conftest import FLYWHEEL, kill_when, store_state
from vector_memory.index import _UPSERT_BATCH

SAMPLE = ["--repo", str(EXAMPLES / "sample_service"), "--service", "sample-service"]
SAMPLE += ["--repository", "examples/sample_service"]


def _flywheel(home: Path, *args: str) -> dict:
    env = {**os.environ, "FLYWHEEL_HOME": str(home)}
    done = subprocess.run(
        [FLYWHEEL, *args, "--json"], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _labelled_sample(home: Path) -> None:
    """The sample's reports and its reviewers' decisions, as a team's store would hold them."""
    reports = [str(p) for p in sorted((EXAMPLES / "reports").iterdir()) if p.suffix != ".md"]
    _flywheel(home, "ingest", *reports, *SAMPLE)
    imported = _flywheel(home, "labels", "import", str(SAMPLE_DECISIONS))
    assert imported["imported"] > 40


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def test_sigkill_during_ingest_writes_nothing_and_the_rerun_ingests_once(tmp_path: Path):
    home = tmp_path / "home"
    _labelled_sample(home)
    before = store_state(home)
    big = tmp_path / "big.sarif"
    # ~130 MB of pages in one transaction: more than the store's 64 MiB page cache, so SQLite
    # spills pages into the write-ahead log long before the commit, which shows the process
    # is inside the transaction (a report that fits the cache writes the log only at commit).
    synthetic_report(big, 30_000, context_lines=30)
    env = {**os.environ, "FLYWHEEL_HOME": str(home)}
    wal = home / "findings.db-wal"
    baseline = _size(wal)
    kill_when(
        [FLYWHEEL, "ingest", str(big), "--service", "big", "--json"],
        env,
        lambda: _size(wal) > baseline + 4_000_000,
    )
    after = store_state(home)
    assert after == before  # no finding, no report row, every label; the file is intact
    assert after["integrity"] == "ok"

    first = _flywheel(home, "ingest", str(big), "--service", "big")
    assert first["totals"] == {"new": 30_000}
    again = _flywheel(home, "ingest", str(big), "--service", "big")
    assert again["totals"] == {} and again["reports"][0]["status"] == "unchanged"
    final = store_state(home)
    assert final["findings"] == before["findings"] + 30_000
    assert final["labels"] == before["labels"]


def test_sigkill_during_embedding_keeps_the_index_usable_and_the_rerun_completes(
    tmp_path: Path, onnx_cache: Path
):
    home = seed_models(tmp_path / "home", onnx_cache)
    _labelled_sample(home)
    report = tmp_path / "more.sarif"
    # More than two of the index's 512-point write batches: the kill lands after the first
    # batch is stored and while a later one is still being embedded (local-mode writes in WAL
    # mode take ~0.2 ms a point, too short a window to hit inside one batch).
    synthetic_report(report, 1_200)
    assert 1_200 > 2 * _UPSERT_BATCH
    _flywheel(home, "ingest", str(report), "--service", "more")
    before = store_state(home)
    storage = home / "qdrant" / "collection"
    env = {**os.environ, "FLYWHEEL_HOME": str(home), "HF_HUB_OFFLINE": "1"}

    def writing() -> bool:  # Qdrant's local storage (file + write-ahead log) has some points
        return sum(_size(p) for p in storage.glob("*/storage.sqlite*")) > 200_000

    kill_when([FLYWHEEL, "embed", "--json"], env, writing)
    assert store_state(home) == before

    resumed = _flywheel(home, "embed")
    assert resumed["points"] == before["findings"]
    assert 0 < resumed["embedded"] < before["findings"]  # what the killed run stored is kept
    again = _flywheel(home, "embed")
    assert again["embedded"] == 0 and again["points"] == before["findings"]
    assert store_state(home) == before
