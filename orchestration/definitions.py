"""Dagster code location: the whole flywheel as one asset graph.

    collect  findings (reports, nightly scans) -> finding_embeddings
    label    labels (observed) + finding_embeddings -> review_queue
    gate     findings + labels -> corpus_snapshot --[quality_gate: blocking check]
    model    -> sft_dataset, dpo_dataset, grpo_prompts -> lora_adapter -> rl_adapter
             -> model_evaluation -> registered_model

Jobs: ingest_job (collect, embed, queue), retrain_job (snapshot and everything downstream).
Sensors: new report files (ingest_job), corpus growth (retrain_job). Schedule: the nightly
ensemble scan of FLYWHEEL_SCAN_REPOS (ingest_job).

`dagster dev` (pyproject names this module) shows the graph. The backends come from one
`Settings` (FLYWHEEL_PROFILE embedded or production), read when Dagster loads the location.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from core.settings import Settings, load_settings
from orchestration.assets.corpus import (
    GateResource,
    build_retrain_sensor,
    corpus_snapshot,
    quality_gate,
)
from orchestration.assets.embeddings import VectorIndexResource, finding_embeddings
from orchestration.assets.findings import (
    build_findings_asset,
    build_nightly_scan,
    build_report_sensor,
)
from orchestration.assets.model import MODEL_ASSETS, TrainingResource
from orchestration.assets.triage import labels, review_queue
from orchestration.resources import FindingsStoreResource, ScannerResource


def build_resources(settings: Settings) -> dict[str, Any]:
    """Every backend the assets use, from one settings object: files under FLYWHEEL_HOME in
    the embedded profile, the configured servers in production."""
    return {
        "store": FindingsStoreResource(
            database_url=settings.database_url,
            max_report_mb=settings.max_report_mb,
            ingest_workers=settings.ingest_workers,
        ),
        "scanners": ScannerResource(
            advisory_db=str(settings.advisory_db) if settings.advisory_db else None
        ),
        "vectors": VectorIndexResource(
            qdrant_path=str(settings.qdrant_path),
            qdrant_url=settings.qdrant_url,
            qdrant_api_key=settings.qdrant_api_key,
            model=settings.embedding_model,
            backend=settings.embedding_backend,
            max_tokens=settings.embedding_max_tokens,
            onnx_cache=str(settings.onnx_cache),
            queue_path=str(settings.review_queue_file),
        ),
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
    }


def build_definitions(settings: Settings) -> dg.Definitions:
    folders = [str(folder) for folder in settings.report_dirs]
    findings = build_findings_asset(folders)
    ingest_job = dg.define_asset_job(
        "ingest_job",
        selection=dg.AssetSelection.assets(findings, finding_embeddings, review_queue),
        description="Ingest reports (or scan code trees), embed what is new, rank the queue.",
    )
    retrain_job = dg.define_asset_job(
        "retrain_job",
        selection=dg.AssetSelection.assets(corpus_snapshot).downstream(),
        description="Snapshot the labeled corpus, gate it, and train on it when it passes.",
    )
    return dg.Definitions(
        assets=[findings, finding_embeddings, labels, review_queue, corpus_snapshot, *MODEL_ASSETS],
        asset_checks=[quality_gate],
        jobs=[ingest_job, retrain_job],
        sensors=[
            build_report_sensor(folders, ingest_job.name),
            build_retrain_sensor(retrain_job.name, settings.retrain_interval_s),
        ],
        schedules=[
            build_nightly_scan(
                [str(repo) for repo in settings.scan_repos],
                settings.scan_cron,
                settings.scan_timezone,
                ingest_job.name,
            )
        ],
        resources=build_resources(settings),
        executor=_executor(settings),
    )


def _executor(settings: Settings) -> dg.ExecutorDefinition | None:
    """The default multiprocess executor, or a Kubernetes job per step (the training steps
    carry GPU_STEP_TAGS: a GPU and a GPU node)."""
    if settings.executor == "k8s":
        # deferred: only the Kubernetes executor needs it
        from dagster_k8s import k8s_job_executor

        return k8s_job_executor
    return None


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(load_settings())
