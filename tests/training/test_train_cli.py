"""The model half of the loop through the command line, on real components: a gate-passing
snapshot -> `flywheel train` (SFT -> GRPO on the tiny model) -> evaluation against the base
model -> a registered MLflow version with lineage and its promotion decision -> `flywheel
evaluate` -> `flywheel serve --alias champion` answering an OpenAI-style chat request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from orchestration.cli import app
from registry.tracking import ModelRegistry
from store import FindingsStore
from store.audit import audit_entries
from store.tables import ModelLineage
from tests.training.corpus import families_corpus

runner = CliRunner()
FAST = [
    "--set",
    "sft.epochs=1",
    "--set",
    "grpo.max_steps=2",
    "--set",
    "grpo.batch_size=16",
    "--set",
    "evaluation.max_prompts=4",
    "--set",
    "evaluation.samples_per_prompt=2",
    "--set",
    "suite.max_tasks=6",
    "--set",
    "suite.max_new_tokens=32",
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_model: Path):
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "home"
    monkeypatch.setenv("FLYWHEEL_HOME", str(home))
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    snapshot_id, _ = families_corpus(store, tmp_path)
    yield home, store, snapshot_id
    store.close()


def _post(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_train_registers_a_version_with_lineage_and_a_decision(home, tiny_model: Path):
    home_dir, store, snapshot_id = home
    result = runner.invoke(
        app,
        [
            "train",
            "--snapshot",
            str(snapshot_id),
            "--set",
            f"base_model={tiny_model}",
            *FAST,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)
    assert run["version"] == "1" and run["snapshot_id"] == snapshot_id
    assert set(run["evaluations"]) == {"candidate", "base"}  # no champion yet
    assert (
        run["evaluations"]["candidate"]["prompts_hash"]
        == run["evaluations"]["base"]["prompts_hash"]
    )
    assert run["stages"]["sft/examples"] > 0 and run["stages"]["grpo/steps"] == 2

    registry = ModelRegistry(f"sqlite:///{home_dir / 'mlflow.db'}", "flywheel-coder")
    assert registry.alias_version("challenger") == "1"
    tags = registry.version_tags("1")
    assert tags["lineage.snapshot_id"] == str(snapshot_id)
    assert len(tags["lineage.snapshot_hash"]) == 64 and tags["lineage.gate_run_id"]
    assert tags["promotion.against"] == "base model"
    assert tags["promotion.promote"] == str(run["promoted"])
    assert (registry.alias_version("champion") == "1") is run["promoted"]
    mlflow_run = registry.client.get_run(run["run_id"])
    assert mlflow_run.data.params["grpo.max_steps"] == "2"
    assert "eval.candidate.vulnerability_rate" in mlflow_run.data.metrics
    assert "grpo/reward_share" in mlflow_run.data.metrics
    logged = {a.path for a in registry.client.list_artifacts(run["run_id"])}
    assert {
        "gate_report.json",
        "datasets.json",
        "evaluation.json",
        "promotion.json",
        "model",
    } <= logged
    model_files = {a.path for a in registry.client.list_artifacts(run["run_id"], "model")}
    assert {
        "model/checksums.json",
        "model/flywheel_model.json",
        "model/adapters",
        "model/merged",
    } <= model_files
    # The store knows which snapshot the version came from (the retraining sensor reads it),
    # and the decision is in the audit log.
    with store.engine.connect() as conn:
        lineage = conn.execute(sa.select(ModelLineage)).all()
    assert [(r.model_version, r.snapshot_id) for r in lineage] == [("1", snapshot_id)]
    decision = audit_entries(store.engine, limit=1)[0]
    assert decision.action in {"model.promoted", "model.kept_champion"}
    assert (
        decision.after["candidate_vulnerability_rate"]
        == run["evaluations"]["candidate"]["vulnerability_rate"]
    )

    # `flywheel evaluate` the registered version: same prompts and seeds, so same figures.
    evaluated = runner.invoke(
        app, ["evaluate", "--model", "models:/flywheel-coder/1", *FAST, "--json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    reports = json.loads(evaluated.stdout)
    for key in ("vulnerability_rate", "utility", "parse_rate", "refusal_rate", "prompts_hash"):
        assert reports["candidate"][key] == run["evaluations"]["candidate"][key], key

    # The swap: serve the version as champion and call it like an IDE assistant would.
    if not run["promoted"]:  # the decision is tested above; serve this version regardless
        registry.client.set_registered_model_alias("flywheel-coder", "champion", "1")
    # Started with SIGTERM ignored, as a server inherits it from a background job's Dagster
    # process: `terminate()` below must still stop it (serve sets its own handler).
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "serve", "--alias", "champion", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
        preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN),
    )
    try:
        line = server.stdout.readline()
        assert "serving models:/flywheel-coder@champion at http://127.0.0.1:" in line, (
            line + server.stderr.read() if server.poll() is not None else line
        )
        base = line.split(" at ")[1].split()[0]
        status, body = _post(
            f"{base}/chat/completions",
            {
                "model": "x",
                "max_tokens": 24,
                "temperature": 0,
                "messages": [
                    {
                        "role": "user",
                        "content": "Write a Python function `load(text)` that parses YAML.",
                    }
                ],
            },
        )
        assert status == 200, body
        assert body["object"] == "chat.completion"
        assert body["choices"][0]["message"]["role"] == "assistant"
        assert isinstance(body["choices"][0]["message"]["content"], str)
        assert 0 < body["usage"]["completion_tokens"] <= 24
        status, body = _post(f"{base}/chat/completions", {"messages": []})
        assert status == 400 and "messages" in body["error"]["message"]
        with urllib.request.urlopen(f"{base}/models", timeout=10) as response:
            assert json.loads(response.read())["data"][0]["id"] == "models:/flywheel-coder@champion"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_train_refuses_bad_input_with_exit_2_and_writes_nothing(home, tmp_path: Path):
    home_dir, store, snapshot_id = home
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_model: tiny\ngrpo:\n  num_generations: 1\n  learning_rat: 3\n")
    result = runner.invoke(app, ["train", "--config", str(bad)])
    assert result.exit_code == 2
    assert str(bad) in result.output and "grpo.learning_rat" in result.output
    assert "grpo.num_generations" in result.output
    result = runner.invoke(app, ["train", "--set", "sft.epochs=-1"])
    assert result.exit_code == 2 and "sft.epochs" in result.output
    # No tiny model in this home yet: refused before anything is trained or logged.
    result = runner.invoke(app, ["train", "--snapshot", str(snapshot_id)])
    assert result.exit_code == 2 and "flywheel base-model build-tiny" in result.output
    result = runner.invoke(app, ["train", "--snapshot", "999"])
    assert result.exit_code == 2 and "999" in result.output
    assert not (home_dir / "mlflow.db").exists()
    assert not (home_dir / "training").exists()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ModelLineage)).scalar() == 0
