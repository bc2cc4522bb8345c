"""A run killed with SIGKILL in the middle of ingest, of embedding, and of training leaves the
store consistent; the next run completes without duplicates and without losing a label.

Each test starts the real command as a subprocess, waits until it is visibly writing (the
SQLite write-ahead log growing, Qdrant's storage growing, a half-written model folder), kills
it, and checks the store before running the command again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from ingest.store import FindingsStore
from ingest.store.tables import LabelRecord, Report
from orchestration.loop import SAMPLE_DECISIONS
from tests.conftest import EXAMPLES
from tests.gate.conftest import synthetic_report
from tests.orchestration.conftest import FLYWHEEL, loop_env, run_json

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


def _state(home: Path) -> dict:
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    try:
        with store.engine.connect() as conn:
            labels = conn.execute(
                sa.select(LabelRecord.finding_id, LabelRecord.reviewer, LabelRecord.verdict)
            ).all()
            reports = conn.execute(sa.select(sa.func.count()).select_from(Report))
            integrity = conn.exec_driver_sql("PRAGMA integrity_check").scalar_one()
            return {
                "findings": store.count(),
                "labels": sorted(labels),
                "reports": reports.scalar_one(),
                "integrity": integrity,
            }
    finally:
        store.close()


def _kill_when(
    command: list[str], env: dict[str, str], ready: Callable[[], bool], timeout_s: float = 300
) -> None:
    """Start the command, SIGKILL it as soon as `ready()` holds, and fail if it ended first."""
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + timeout_s
    try:
        while not ready():
            if process.poll() is not None:
                pytest.fail(
                    f"{command[1]} ended (exit {process.returncode}) before it could be killed "
                    "mid-way:\n" + (process.stderr.read() or "")[-2000:]
                )
            assert time.monotonic() < deadline, "the command never reached the kill point"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def test_sigkill_during_ingest_writes_nothing_and_the_rerun_ingests_once(tmp_path: Path):
    home = tmp_path / "home"
    _labelled_sample(home)
    before = _state(home)
    big = tmp_path / "big.sarif"
    synthetic_report(big, 40_000)
    env = {**os.environ, "FLYWHEEL_HOME": str(home)}
    wal = home / "findings.db-wal"
    baseline = _size(wal)
    # The report's transaction spills pages into the write-ahead log long before it commits.
    _kill_when(
        [FLYWHEEL, "ingest", str(big), "--service", "big", "--json"],
        env,
        lambda: _size(wal) > baseline + 4_000_000,
    )
    after = _state(home)
    assert after == before  # no finding, no report row, every label; the file is intact
    assert after["integrity"] == "ok"

    first = _flywheel(home, "ingest", str(big), "--service", "big")
    assert first["totals"] == {"new": 40_000}
    again = _flywheel(home, "ingest", str(big), "--service", "big")
    assert again["totals"] == {} and again["reports"][0]["status"] == "unchanged"
    final = _state(home)
    assert final["findings"] == before["findings"] + 40_000
    assert final["labels"] == before["labels"]


def test_sigkill_during_embedding_keeps_the_index_usable_and_the_rerun_completes(
    tmp_path: Path,
):
    home = tmp_path / "home"
    _labelled_sample(home)
    report = tmp_path / "more.sarif"
    synthetic_report(report, 800)
    _flywheel(home, "ingest", str(report), "--service", "more")
    before = _state(home)
    storage = home / "qdrant" / "collection"
    env = {**os.environ, "FLYWHEEL_HOME": str(home), "HF_HUB_OFFLINE": "1"}

    def writing() -> bool:  # Qdrant's local storage has some points, not all
        return sum(_size(p) for p in storage.glob("*/storage.sqlite")) > 200_000

    _kill_when([FLYWHEEL, "embed", "--json"], env, writing)
    assert _state(home) == before

    resumed = _flywheel(home, "embed")
    assert resumed["points"] == before["findings"]
    assert 0 < resumed["embedded"] < before["findings"]  # what the killed run stored is kept
    again = _flywheel(home, "embed")
    assert again["embedded"] == 0 and again["points"] == before["findings"]
    assert _state(home) == before


def test_sigkill_during_training_resumes_and_registers_one_version(
    loop_home: Path, fast_config: Path
):
    env = loop_env(loop_home, fast_config)
    training = loop_home / "training"

    def training_mid_way() -> bool:  # the supervised step's half-written model folder
        return any(training.glob("snapshot-*/*/supervised.partial/*"))

    _kill_when([FLYWHEEL, "run", "--json"], env, training_mid_way, timeout_s=600)
    killed = _state(loop_home)
    assert killed["integrity"] == "ok" and len(killed["labels"]) == 71
    assert not any(training.glob("snapshot-*/*/supervised/flywheel_model.json"))

    summary = run_json(loop_home, fast_config)
    assert summary["model"]["version"] == "1" and summary["gate"]["passed"]
    assert summary["labels"]["imported"] == 0 and summary["labels"]["already"] == 71
    assert summary["findings"]["new"] == 0
    final = _state(loop_home)
    assert final["labels"] == killed["labels"] and final["findings"] == killed["findings"]
    assert not any(training.glob("snapshot-*/*/*.partial"))
    from registry.tracking import ModelRegistry

    registry = ModelRegistry(f"sqlite:///{loop_home / 'mlflow.db'}", "flywheel-coder")
    assert [v["version"] for v in registry.versions()] == ["1"]
