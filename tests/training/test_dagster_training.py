"""Dagster: the retraining job runs snapshot -> gate (blocking) -> datasets -> lora_adapter ->
rl_adapter -> model_evaluation -> registered_model, one asset per step; materialized again,
every step finds its finished output and nothing is trained or registered twice."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from core.settings import Settings
from orchestration.assets.corpus import GateResource, corpus_snapshot, quality_gate
from orchestration.assets.model import MODEL_ASSETS, TrainingResource
from orchestration.definitions import build_definitions
from orchestration.resources import FindingsStoreResource
from registry.tracking import ModelRegistry
from store import FindingsStore
from tests.training.corpus import families_corpus
from tests.training.test_train_cli import FAST

MODEL_STEPS = ["lora_adapter", "rl_adapter", "model_evaluation", "registered_model"]


def test_the_retrain_job_trains_and_registers_on_a_passing_gate(tmp_path: Path, tiny_model: Path):
    db_url = f"sqlite:///{tmp_path / 'findings.db'}"
    store = FindingsStore(db_url)
    _, thresholds = families_corpus(store, tmp_path)
    store.close()

    @dg.asset(name="findings")
    def findings_stand_in() -> None:  # corpus_snapshot depends on the ingest asset
        return None

    @dg.asset(name="labels")
    def labels_stand_in() -> None:  # ... and on the observed labels
        return None

    overrides = [f"base_model={tiny_model}", *FAST[1::2]]
    instance = dg.DagsterInstance.ephemeral()

    def materialize():
        return dg.materialize(
            [findings_stand_in, labels_stand_in, corpus_snapshot, quality_gate, *MODEL_ASSETS],
            selection=dg.AssetSelection.assets(corpus_snapshot).downstream(),
            instance=instance,
            resources={
                "store": FindingsStoreResource(database_url=db_url),
                "gate": GateResource(
                    thresholds_path=str(thresholds), reports_dir=str(tmp_path / "r")
                ),
                "training": TrainingResource(home=str(tmp_path / "home"), overrides=overrides),
            },
            raise_on_error=False,
        )

    result = materialize()
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    made = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert made == {
        "corpus_snapshot",
        "sft_dataset",
        "dpo_dataset",
        "grpo_prompts",
        *MODEL_STEPS,
    }
    meta = {step: result.asset_materializations_for_node(step)[0].metadata for step in MODEL_STEPS}
    assert meta["lora_adapter"]["state"].value == "trained"
    assert meta["lora_adapter"]["stages"].value == "sft"
    assert "sft/samples_per_s" in meta["lora_adapter"]
    assert meta["rl_adapter"]["stages"].value == "grpo"
    assert "grpo/samples_per_s" in meta["rl_adapter"]
    assert meta["model_evaluation"]["compared_with"].value == "base model"
    assert meta["registered_model"]["model_version"].value == "1"
    assert meta["registered_model"]["resumed"].value is False
    sft_rows = result.asset_materializations_for_node("training_datasets")
    assert {m.asset_key.to_user_string(): m.metadata["rows"].value > 0 for m in sft_rows} == {
        "sft_dataset": True,
        "dpo_dataset": True,
        "grpo_prompts": True,
    }
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}", "flywheel-coder")
    assert registry.alias_version("challenger") == "1"

    again = materialize()  # the same snapshot and config: every step finds its output
    assert again.success
    meta = {step: again.asset_materializations_for_node(step)[0].metadata for step in MODEL_STEPS}
    assert meta["lora_adapter"]["state"].value == "finished earlier (resumed)"
    assert meta["rl_adapter"]["state"].value == "finished earlier (resumed)"
    assert meta["model_evaluation"]["reused"].value is True
    assert meta["registered_model"]["resumed"].value is True
    assert meta["registered_model"]["model_version"].value == "1"
    assert [v.version for v in registry.versions()] == ["1"]


def test_the_code_location_wires_every_stage_into_the_graph(tmp_path: Path):
    defs = build_definitions(Settings(home=tmp_path))
    graph = defs.resolve_asset_graph()

    def parents(key: str) -> set[str]:
        node = graph.get(dg.AssetKey(key))
        return {k.to_user_string() for k in node.parent_keys}

    assert parents("finding_embeddings") == {"findings"}
    assert parents("review_queue") == {"finding_embeddings", "labels"}
    assert parents("corpus_snapshot") == {"findings", "labels"}
    assert parents("sft_dataset") == parents("grpo_prompts") == {"corpus_snapshot"}
    assert parents("lora_adapter") == {"sft_dataset", "dpo_dataset"}
    assert parents("rl_adapter") == {"lora_adapter", "grpo_prompts"}
    assert parents("model_evaluation") == {"rl_adapter"}
    assert parents("registered_model") == {"model_evaluation"}
    assert graph.get(dg.AssetKey("labels")).is_observable
    [check] = defs.resolve_asset_graph().asset_check_keys
    assert check.name == "quality_gate" and graph.get_check_spec(check).blocking
    retrain = defs.resolve_job_def("retrain_job")
    assert {key.path[-1] for key in retrain.asset_layer.selected_asset_keys} == {
        "corpus_snapshot",
        "sft_dataset",
        "dpo_dataset",
        "grpo_prompts",
        *MODEL_STEPS,
    }
    ingest = defs.resolve_job_def("ingest_job")
    assert {key.path[-1] for key in ingest.asset_layer.selected_asset_keys} == {
        "findings",
        "finding_embeddings",
        "review_queue",
    }
    assert {s.name for s in defs.sensors} == {"new_reports_sensor", "retrain_on_growth"}
    assert [s.name for s in defs.schedules] == ["nightly_scan"]
