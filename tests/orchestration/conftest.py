"""The main job's fixtures: a data folder with the tiny model in place, a fast training
config, and `flywheel run` as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from training.config import CONFIGS

FLYWHEEL = str(Path(sys.executable).parent / "flywheel")


@pytest.fixture
def loop_home(tmp_path: Path, tiny_model: Path) -> Path:
    """A data folder holding the session's tiny model (so the run need not build it)."""
    home = tmp_path / "home"
    shutil.copytree(tiny_model, home / "models" / "tiny")
    return home


@pytest.fixture
def fast_config(tmp_path: Path) -> Path:
    """tiny.yaml with a few steps of each stage: the loop's shape in seconds, not minutes."""
    config = yaml.safe_load((CONFIGS / "tiny.yaml").read_text())
    config["sft"].update(epochs=1, batch_size=16)
    config["grpo"].update(max_steps=2, batch_size=16)
    config["evaluation"].update(max_prompts=4, samples_per_prompt=2)
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
