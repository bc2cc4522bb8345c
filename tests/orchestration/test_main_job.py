"""`flywheel run`, the README's run command: the whole loop on the bundled sample through the
Dagster graph, then again (twice) without duplicating anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from ingest.store import FindingsStore
from ingest.store.tables import CorpusSnapshot, GateRun, LabelRecord
from registry.tracking import ModelRegistry
from tests.orchestration.conftest import FLYWHEEL, loop_env, run_json


def _counts(home: Path) -> dict[str, int]:
    store = FindingsStore(f"sqlite:///{home / 'findings.db'}")
    try:
        with store.engine.connect() as conn:
            count = lambda table: conn.execute(  # noqa: E731
                sa.select(sa.func.count()).select_from(table)
            ).scalar_one()
            return {
                "findings": store.count(),
                "labels": count(LabelRecord),
                "snapshots": count(CorpusSnapshot),
                "gate_runs": count(GateRun),
            }
    finally:
        store.close()


def test_the_main_job_runs_the_loop_and_a_second_run_changes_nothing(
    loop_home: Path, fast_config: Path
) -> None:
    first = run_json(loop_home, fast_config)

    # Collected: the four bundled reports plus the ensemble's scan of the sample service
    # (semgrep and bandit agree with the bundled reports; depcheck is the scan's own).
    findings = first["findings"]
    assert findings["by_tool"] == {
        "bandit": 17,
        "depcheck": 8,
        "gitleaks": 2,
        "pip-audit": 11,
        "semgrep": 22,
    }
    assert findings["new"] == 60 and findings["fixed"] == 0
    assert findings["indexed"] == 60 and findings["review_queue"] == 60
    # The sample team's decisions: 49 findings, 22 of them judged by two reviewers.
    assert first["labels"]["imported"] == 71 and first["labels"]["unmatched"] == 0
    snapshot = first["snapshot"]
    assert snapshot["created"] and snapshot["decided"] == 49
    assert snapshot["train"] + snapshot["eval"] == 49 and snapshot["eval"] >= 5
    assert first["gate"]["passed"], first["gate"]
    # Trained, evaluated against the base model, registered with the decision recorded.
    model = first["model"]
    assert model["version"] == "1" and "challenger" in model["aliases"]
    assert set(model["evaluations"]) == {"candidate", "base"}
    assert model["decision"].startswith(("promoted over base model", "kept base model"))
    assert ("champion" in model["aliases"]) == model["promoted"]
    assert [run.split()[0] for run in first["dagster_runs"]] == ["ingest_job", "retrain_job"]

    # The runs and every asset of the graph are in the Dagster instance `dagster dev` reads.
    instance = dg.DagsterInstance.from_config(str(loop_home / "dagster"))
    runs = instance.get_runs()
    assert sorted(r.job_name for r in runs) == ["ingest_job", "retrain_job"]
    assert all(r.is_success for r in runs)
    made = {key.to_user_string() for key in instance.get_asset_keys()}
    assert made >= {
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
    instance.dispose()
    before = _counts(loop_home)

    second = run_json(loop_home, fast_config)
    assert second["findings"]["new"] == 0 and second["findings"]["fixed"] == 0
    assert second["findings"]["embedded"] == 0
    assert second["labels"]["imported"] == 0 and second["labels"]["already"] == 71
    assert second["snapshot"]["id"] == snapshot["id"] and not second["snapshot"]["created"]
    assert [run.split()[0] for run in second["dagster_runs"]] == ["ingest_job"]
    assert second["model"]["version"] == "1"
    assert _counts(loop_home) == before
    registry = ModelRegistry(f"sqlite:///{loop_home / 'mlflow.db'}", "flywheel-coder")
    assert [v["version"] for v in registry.versions()] == ["1"]

    # What a person sees: the stages, the counts, the verdicts, and how to open the UIs.
    done = subprocess.run(
        [FLYWHEEL, "run"], env=loop_env(loop_home, fast_config), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for expected in (
        "retrain (skipped: snapshot already trained)",
        "Findings 60 stored",
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
    assert _counts(loop_home) == before
