"""Dagster: the retraining job runs snapshot -> gate (blocking) -> registered_model."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from ingest.store import FindingsStore
from orchestration.definitions import build_definitions
from orchestration.gate import GateResource, corpus_snapshot, quality_gate
from orchestration.model import TrainingResource, registered_model
from orchestration.resources import FindingsStoreResource
from orchestration.settings import Settings
from registry.tracking import ModelRegistry
from tests.training.corpus import families_corpus
from tests.training.test_train_cli import FAST


def test_the_retrain_job_trains_and_registers_on_a_passing_gate(tmp_path: Path, tiny_model: Path):
    db_url = f"sqlite:///{tmp_path / 'findings.db'}"
    store = FindingsStore(db_url)
    _, thresholds = families_corpus(store, tmp_path)
    store.close()

    @dg.asset(name="findings")
    def findings_stand_in() -> None:  # corpus_snapshot depends on the ingest asset
        return None

    overrides = [f"base_model={tiny_model}", *FAST[1::2]]
    result = dg.materialize(
        [findings_stand_in, corpus_snapshot, quality_gate, registered_model],
        selection=["corpus_snapshot", "registered_model"],
        resources={
            "store": FindingsStoreResource(database_url=db_url),
            "gate": GateResource(thresholds_path=str(thresholds), reports_dir=str(tmp_path / "r")),
            "training": TrainingResource(home=str(tmp_path / "home"), overrides=overrides),
        },
        raise_on_error=False,
    )
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    metadata = result.asset_materializations_for_node("registered_model")[0].metadata
    assert metadata["model_version"].value == "1"
    assert "grpo/samples_per_s" in metadata
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}", "flywheel-coder")
    assert registry.alias_version("challenger") == "1"


def test_the_code_location_wires_the_model_asset_into_the_retrain_job(tmp_path: Path):
    defs = build_definitions(Settings(home=tmp_path))
    job = defs.resolve_job_def("retrain_job")
    assert {key.path[-1] for key in job.asset_layer.selected_asset_keys} == {
        "corpus_snapshot",
        "registered_model",
    }
