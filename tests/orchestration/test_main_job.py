"""`flywheel run`, the README's run command: the whole loop on the bundled sample through the
Dagster graph. The first run is killed with SIGKILL half-way through training (in its second
step); the next run finishes the loop from there; a third changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg

from registry.tracking import ModelRegistry
from tests.orchestration.conftest import FLYWHEEL, kill_when, loop_env, run_json, store_state

EVERY_ASSET = {
    "findings",
    "finding_embeddings",
    "review_queue",
    "corpus_snapshot",
    "sft_dataset",
    "dpo_dataset",
    "grpo_prompts",
    "lora_adapter",
    "rl_adapter",
    "model_evaluation",
    "registered_model",
}


def test_the_main_job_survives_a_kill_in_training_and_a_rerun_changes_nothing(
    loop_home: Path, fast_config: Path
) -> None:
    env = loop_env(loop_home, fast_config)
    training = loop_home / "training"

    # 1. Killed in the RL step, its model folder half-written: the step copies the supervised
    # adapter in first, then trains GRPO for seconds. (The supervised folder's own partial
    # state lasts only while its merged weights are saved, ~0.1 s on a fast machine: too short
    # to hit reliably by polling.)
    kill_when(
        [FLYWHEEL, "run", "--json"],
        env,
        lambda: any(training.glob("snapshot-*/*/rl.partial/adapters/*")),
        timeout_s=600,
    )
    killed = store_state(loop_home)
    assert killed["integrity"] == "ok"
    assert killed["findings"] == 60 and len(killed["labels"]) == 71
    [supervised_card] = training.glob("snapshot-*/*/supervised/flywheel_model.json")
    supervised_written = supervised_card.stat().st_mtime_ns
    assert not any(training.glob("snapshot-*/*/rl/flywheel_model.json"))

    # 2. The next run completes the loop, resuming at the unfinished step.
    first = run_json(loop_home, fast_config)
    # Collected by the killed run: the ensemble's scan of the sample service (semgrep, bandit,
    # depcheck) and the bundled reports of the tools outside it (gitleaks, pip-audit).
    findings = first["findings"]
    assert findings["by_tool"] == {
        "bandit": 17,
        "depcheck": 8,
        "gitleaks": 2,
        "pip-audit": 11,
        "semgrep": 22,
    }
    assert findings["new"] == findings["fixed"] == 0 and findings["indexed"] == 60
    assert findings["review_queue"] == 11  # the pip-audit findings nobody judged
    # The sample team's decisions (49 findings, 22 judged twice), imported once, by run 1.
    assert first["labels"]["imported"] == 0 and first["labels"]["already"] == 71
    snapshot = first["snapshot"]
    assert snapshot["decided"] == 49 and snapshot["eval"] >= 5
    assert snapshot["train"] + snapshot["eval"] == 49
    assert first["gate"]["passed"], first["gate"]
    # Trained, evaluated against the base model, registered once with its decision.
    model = first["model"]
    assert model["version"] == "1" and "challenger" in model["aliases"]
    assert set(model["evaluations"]) == {"candidate", "base"}
    assert model["decision"]["reason"].startswith(("promoted over base model", "kept base model"))
    assert ("champion" in model["aliases"]) == model["promoted"]
    assert [run.split()[0] for run in first["dagster_runs"]] == ["ingest_job", "retrain_job"]
    assert store_state(loop_home)["labels"] == killed["labels"]
    assert not any(training.glob("snapshot-*/*/*.partial"))
    # Resumed at the unfinished step: the finished supervised step was not trained again.
    assert supervised_card.stat().st_mtime_ns == supervised_written
    assert any(training.glob("snapshot-*/*/rl/flywheel_model.json"))

    # Every run and every asset of the graph are in the instance `dagster dev` reads.
    instance = dg.DagsterInstance.from_config(str(loop_home / "dagster"))
    finished = sorted(r.job_name for r in instance.get_runs() if r.is_success)
    assert finished == ["ingest_job", "ingest_job", "retrain_job"]
    assert {key.to_user_string() for key in instance.get_asset_keys()} >= EVERY_ASSET
    instance.dispose()
    before = store_state(loop_home)

    # 3. Again, as a person would read it: nothing new, nothing trained, the UIs to open.
    done = subprocess.run([FLYWHEEL, "run"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    for expected in (
        "retrain (skipped: snapshot already trained)",
        "Findings 60 stored",
        "0 new",
        "Labels 0 imported, 71 already there",
        "Gate passed",
        "Evaluation (held out)",
        "Registered models:/flywheel-coder/1",
        f"DAGSTER_HOME={loop_home.resolve() / 'dagster'}",
        "dagster dev",
        "mlflow ui --backend-store-uri",
        "flywheel ui",
    ):
        assert expected in done.stdout, expected
    assert "INFO" not in done.stdout + done.stderr  # no library log lines in the summary
    assert store_state(loop_home) == before
    registry = ModelRegistry(f"sqlite:///{loop_home / 'mlflow.db'}", "flywheel-coder")
    assert [v.version for v in registry.versions()] == ["1"]
