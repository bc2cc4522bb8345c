"""The main job's fixtures: a data folder with the tiny model in place, a fast training
config, and `flywheel run` as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from store import FindingsStore
from store.tables import CorpusSnapshot, GateRun, LabelRecord, Report
from tests.conftest import seed_models
from training.config import CONFIGS

FLYWHEEL = str(Path(sys.executable).parent / "flywheel")


@pytest.fixture
def loop_home(tmp_path: Path, tiny_model: Path, onnx_cache: Path) -> Path:
    """A data folder holding the session's tiny model and ONNX export (so the run need not
    build or export them)."""
    return seed_models(tmp_path / "home", onnx_cache, tiny_model)


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    """tiny.yaml with a few steps of each stage: the loop's shape in seconds, not minutes."""
    config = yaml.safe_load((CONFIGS / "tiny.yaml").read_text())
    config["sft"].update(epochs=1, batch_size=16)
    config["grpo"].update(max_steps=2, batch_size=16)
    config["evaluation"].update(max_prompts=4, samples_per_prompt=2)
    config["suite"].update(max_tasks=6, max_new_tokens=32)
    path = tmp_path / "fast.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def loop_env(home: Path, config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLYWHEEL_", "MLFLOW_"))}
    return {**env, "FLYWHEEL_HOME": str(home), "FLYWHEEL_TRAIN_CONFIG": str(config)}


def run_json(home: Path, config: Path, timeout: float = 900) -> dict[str, Any]:
    """`flywheel run --json` to the end; its summary."""
    done = subprocess.run(
        [FLYWHEEL, "run", "--json"],
        env=loop_env(home, config),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def store_state(home: Path) -> dict[str, Any]:
    """What a killed run must not have changed or broken: findings, every label, reports,
    snapshots, gate runs, and SQLite's own integrity check."""
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")

    def count(conn, table) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()

    try:
        with store.engine.connect() as conn:
            labels = conn.execute(
                sa.select(LabelRecord.finding_id, LabelRecord.reviewer, LabelRecord.verdict)
            ).all()
            return {
                "findings": store.count(),
                "labels": sorted(labels),
                "reports": count(conn, Report),
                "snapshots": count(conn, CorpusSnapshot),
                "gate_runs": count(conn, GateRun),
                "integrity": conn.exec_driver_sql("PRAGMA integrity_check").scalar_one(),
            }
    finally:
        store.close()


def kill_when(
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
