"""Dagster: the registered model, trained on the snapshot the quality gate let through.

`registered_model` sits downstream of `corpus_snapshot`, whose blocking `quality_gate` check
keeps it from running on a failing corpus; the retraining sensor's runs end here."""

from pathlib import Path

import dagster as dg

from orchestration.gate import latest_snapshot_id
from orchestration.resources import FindingsStoreResource
from orchestration.settings import Settings
from orchestration.train import train_and_register
from training.config import load_config


class TrainingResource(dg.ConfigurableResource):
    """Where models are trained and registered; `overrides` are `key.path=value` strings."""

    home: str
    config_path: str | None = None  # default: training/configs/tiny.yaml
    overrides: list[str] = []
    tracking_uri: str | None = None  # default: SQLite store in home
    model_name: str = "flywheel-coder"

    def settings(self, database_url: str) -> Settings:
        return Settings(
            home=Path(self.home),
            db_url=database_url,
            mlflow_tracking_uri=self.tracking_uri,
            model_name=self.model_name,
        )


@dg.asset(
    name="registered_model",
    group_name="model",
    kinds={"mlflow", "pytorch"},
    deps=["corpus_snapshot"],
    description="SFT -> GRPO (as configured) on the gate-passing snapshot, evaluated against "
    "the base model and the champion, registered in MLflow; champion moves only on a win.",
)
def registered_model(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
) -> dg.MaterializeResult:
    snapshot_id = latest_snapshot_id(context.instance)
    config = load_config(
        Path(training.config_path) if training.config_path else None, training.overrides
    )
    run = train_and_register(
        training.settings(store.database_url),
        store.store.engine,
        snapshot_id,
        config,
        actor=f"dagster:{context.run.run_id}",
    )
    if run is None:
        raise dg.Failure("training ran in a non-main rank; launch multi-GPU runs from the CLI")
    context.log.info(f"{run.model_name} v{run.version}: {run.reason}")
    candidate = run.evaluations["candidate"]
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": run.snapshot_id,
            "model_version": run.version,
            "promoted": run.promoted,
            "decision": run.reason,
            "mlflow_run_id": run.run_id,
            "vulnerability_rate": candidate.vulnerability_rate,
            "utility": candidate.utility,
            **{k: float(v) for k, v in run.stages.items() if k.endswith("samples_per_s")},
        },
        data_version=dg.DataVersion(f"{run.model_name}/{run.version}"),
    )
