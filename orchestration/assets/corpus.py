"""Dagster: the corpus snapshot, the quality gate as a blocking check on it, and the sensor
that starts retraining when the gate passes and the corpus grew enough."""

from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.resources import FindingsStoreResource
from quality_gates.gate import run_gate
from quality_gates.thresholds import LoadedThresholds, load_thresholds
from quality_gates.trigger import evaluate_trigger
from store.gate_history import GateReport
from store.snapshots import create_snapshot, get_snapshot


class GateResource(dg.ConfigurableResource):
    """Where the gate's thresholds are and where its reports (and data docs) go."""

    thresholds_path: str | None = None  # default: quality_gates/thresholds.yaml
    reports_dir: str
    labels_required: int = 1

    def thresholds(self) -> LoadedThresholds:
        return load_thresholds(Path(self.thresholds_path) if self.thresholds_path else None)


class SnapshotConfig(dg.Config):
    snapshot_id: int | None = None  # an existing snapshot (the retraining sensor names one)


@dg.asset(
    name="corpus_snapshot",
    group_name="gate",
    kinds={"sql"},
    deps=["findings", "labels"],
    description="An immutable, hashed snapshot of the labeled corpus with its train/eval split "
    "(unchanged corpus: the existing snapshot).",
)
def corpus_snapshot(
    context: dg.AssetExecutionContext,
    config: SnapshotConfig,
    store: FindingsStoreResource,
    gate: GateResource,
) -> dg.MaterializeResult:
    engine = store.store.engine
    if config.snapshot_id is not None:
        snapshot, created = get_snapshot(engine, config.snapshot_id), False
    else:
        policy = gate.thresholds().values.snapshot_policy(gate.labels_required)
        snapshot, created = create_snapshot(
            engine, policy, created_by=f"dagster:{context.run.run_id}"
        )
    context.log.info(
        f"snapshot {snapshot.id} ({'new' if created else 'existing'}): {snapshot.decided} decided"
    )
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": snapshot.id,
            "content_hash": snapshot.content_hash,
            "created": created,
            "items": snapshot.items,
            "decided": snapshot.decided,
            "true_positives": snapshot.true_positives,
            "train": snapshot.train,
            "eval": snapshot.eval,
        },
        data_version=dg.DataVersion(snapshot.content_hash),
    )


def latest_snapshot_id(instance: dg.DagsterInstance) -> int:
    """The snapshot the latest `corpus_snapshot` materialization froze (or named)."""
    event = instance.get_latest_materialization_event(dg.AssetKey("corpus_snapshot"))
    if event is None or event.asset_materialization is None:
        raise dg.Failure("corpus_snapshot has never been materialized")
    return int(event.asset_materialization.metadata["snapshot_id"].value)


def _check_metadata(report: GateReport) -> dict[str, Any]:
    rows = "\n".join(
        f"| {o.name} | {o.observed} | {o.threshold} | {'pass' if o.passed else '**FAIL**'} |"
        for o in report.expectations
    )
    metadata: dict[str, Any] = {
        "snapshot_id": report.snapshot_id,
        "gate_run_id": report.gate_run_id,
        "thresholds_version": report.thresholds_version,
        "report": dg.MetadataValue.md(
            "| expectation | observed | threshold | verdict |\n|---|---|---|---|\n" + rows
        ),
    }
    if report.docs_path:
        metadata["data_docs"] = dg.MetadataValue.path(report.docs_path)
    for outcome in report.expectations:  # numbers plot over time in the Dagster UI
        if isinstance(outcome.observed, int | float):
            metadata[f"observed/{outcome.name}"] = float(outcome.observed)
    return metadata


@dg.asset_check(
    asset="corpus_snapshot",
    name="quality_gate",
    blocking=True,
    description="Great Expectations checks on the snapshot (volume, CWE diversity, true-"
    "positive ratio, agreement, conflicts, remediations, secrets, leakage, fields, reviewers). "
    "Blocking: nothing downstream materializes when it fails.",
)
def quality_gate(
    context: dg.AssetCheckExecutionContext, store: FindingsStoreResource, gate: GateResource
) -> dg.AssetCheckResult:
    snapshot_id = latest_snapshot_id(context.instance)
    report = run_gate(store.store.engine, snapshot_id, gate.thresholds(), Path(gate.reports_dir))
    context.log.info(report.summary())
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=report.summary(),
        metadata=_check_metadata(report),
    )


def build_retrain_sensor(job_name: str, interval_s: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="retrain_on_growth",
        job_name=job_name,
        minimum_interval_seconds=interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Starts retraining when the quality gate passes and the decided labels grew "
        "enough since the snapshot behind the last registered model. Every evaluation is "
        "stored with its reason (trigger_evaluations; the Quality gate dashboard).",
    )
    def retrain_on_growth(
        context: dg.SensorEvaluationContext, store: FindingsStoreResource, gate: GateResource
    ) -> dg.RunRequest | dg.SkipReason:
        decision = evaluate_trigger(
            store.store.engine, gate.thresholds(), gate.labels_required, Path(gate.reports_dir)
        )
        if not decision.fired:
            return dg.SkipReason(decision.reason)
        return dg.RunRequest(
            run_key=decision.run_key,
            run_config={
                "ops": {"corpus_snapshot": {"config": {"snapshot_id": decision.snapshot_id}}}
            },
            tags={
                "flywheel/snapshot": str(decision.snapshot_id),
                "flywheel/trigger_evaluation": str(decision.evaluation_id),
            },
        )

    return retrain_on_growth
