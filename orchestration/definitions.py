"""Dagster code location: assembles the stages' assets, checks, sensors and jobs.

`dagster dev -m orchestration.definitions` (or just `dagster dev`: pyproject names this module)
shows the graph. Settings are read when Dagster loads the location, not at import.
"""

from __future__ import annotations

import dagster as dg

from orchestration.collect import build_findings_asset, build_report_sensor
from orchestration.gate import GateResource, build_retrain_sensor, corpus_snapshot, quality_gate
from orchestration.memory import VectorIndexResource, finding_embeddings
from orchestration.model import TrainingResource, registered_model
from orchestration.resources import FindingsStoreResource
from orchestration.settings import Settings, load_settings


def build_definitions(settings: Settings) -> dg.Definitions:
    folders = [str(folder) for folder in settings.report_dirs]
    findings = build_findings_asset(folders)
    ingest_job = dg.define_asset_job("ingest_job", selection=[findings])
    retrain_job = dg.define_asset_job(
        "retrain_job",
        selection=dg.AssetSelection.assets(corpus_snapshot).downstream(),
        description="Snapshot the labeled corpus, gate it, and train on it when it passes.",
    )
    return dg.Definitions(
        assets=[findings, finding_embeddings, corpus_snapshot, registered_model],
        asset_checks=[quality_gate],
        jobs=[ingest_job, retrain_job],
        sensors=[
            build_report_sensor(folders, ingest_job.name),
            build_retrain_sensor(retrain_job.name, settings.retrain_interval_s),
        ],
        resources={
            "gate": GateResource(
                thresholds_path=str(settings.gate_thresholds) if settings.gate_thresholds else None,
                reports_dir=str(settings.gate_reports_dir),
                labels_required=settings.labels_required,
            ),
            "training": TrainingResource(
                home=str(settings.home),
                config_path=str(settings.train_config) if settings.train_config else None,
                tracking_uri=settings.mlflow_tracking_uri,
                model_name=settings.model_name,
            ),
            "store": FindingsStoreResource(
                database_url=settings.database_url, max_report_mb=settings.max_report_mb
            ),
            "vectors": VectorIndexResource(
                qdrant_path=str(settings.qdrant_path),
                qdrant_url=settings.qdrant_url,
                qdrant_api_key=settings.qdrant_api_key,
                model=settings.embedding_model,
                backend=settings.embedding_backend,
                max_tokens=settings.embedding_max_tokens,
                onnx_cache=str(settings.onnx_cache),
            ),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
