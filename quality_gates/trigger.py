"""The retraining trigger: retrain when the gate passes AND the corpus grew enough since the
data behind the last registered model; never on the calendar.

`evaluate_trigger` is what the Dagster sensor calls on each tick. It is cheap when nothing
happened (one count query); only when the corpus grew enough does it snapshot the corpus
and, for a snapshot or thresholds it has not judged yet, run the gate. Every evaluation,
fired or not, is stored with its reason.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Engine

from quality_gates.gate import run_gate
from quality_gates.thresholds import LoadedThresholds, Thresholds
from store.gate_history import latest_gate_run
from store.snapshots import create_snapshot, decided_now
from store.tables import CorpusSnapshot, ModelLineage, TriggerEvaluation, utcnow


class Baseline(BaseModel):
    """The last registered model and the decided labels of the snapshot it was trained on."""

    model_config = ConfigDict(frozen=True)

    model_name: str
    model_version: str
    snapshot_id: int
    decided: int


class Growth(BaseModel):
    model_config = ConfigDict(frozen=True)

    decided_now: int
    baseline: Baseline | None

    @property
    def new_labels(self) -> int:
        return self.decided_now - (self.baseline.decided if self.baseline else 0)

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline.decided == 0:
            return None
        return self.new_labels / self.baseline.decided

    def enough(self, thresholds: Thresholds) -> bool:
        if self.baseline is None:
            return self.decided_now > 0
        if self.new_labels <= 0:
            return False
        if self.new_labels >= thresholds.retrain_min_new_labels:
            return True
        ratio = self.ratio
        return ratio is None or ratio >= thresholds.retrain_min_growth

    def describe(self, thresholds: Thresholds) -> str:
        if self.baseline is None:
            return f"no registered model yet; {self.decided_now} decided labels"
        ratio = f" ({self.ratio:+.1%})" if self.ratio is not None else ""
        return (
            f"{self.new_labels:+d} decided labels{ratio} since snapshot "
            f"{self.baseline.snapshot_id} behind {self.baseline.model_name} "
            f"v{self.baseline.model_version} (needs +{thresholds.retrain_min_growth:.0%} "
            f"or +{thresholds.retrain_min_new_labels})"
        )

    def progress(self, thresholds: Thresholds) -> float:
        """How far toward the next trigger (1.0 = reached), for the dashboards."""
        if self.baseline is None:
            return 1.0 if self.decided_now else 0.0
        by_count = self.new_labels / thresholds.retrain_min_new_labels
        growth = thresholds.retrain_min_growth
        by_ratio = (self.ratio or 0.0) / growth if growth else 1.0
        return max(0.0, min(1.0, max(by_count, by_ratio)))


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True)

    fired: bool
    reason: str
    decided_now: int
    decided_baseline: int | None
    snapshot_id: int | None = None
    gate_run_id: int | None = None
    run_key: str | None = None
    evaluation_id: int | None = None


def record_lineage(engine: Engine, model_name: str, model_version: str, snapshot_id: int) -> None:
    """A registered model version was trained on `snapshot_id` (the registry calls this).
    Recording the same version again changes nothing."""
    with engine.begin() as conn:
        known = conn.execute(
            sa.select(ModelLineage.id).where(
                ModelLineage.model_name == model_name,
                ModelLineage.model_version == str(model_version),
            )
        ).first()
        if known is not None:
            return
        conn.execute(
            sa.insert(ModelLineage).values(
                model_name=model_name,
                model_version=str(model_version),
                snapshot_id=snapshot_id,
                registered_at=utcnow(),
            )
        )


def last_registered(engine: Engine) -> Baseline | None:
    statement = (
        sa.select(ModelLineage, CorpusSnapshot.decided)
        .join(CorpusSnapshot, CorpusSnapshot.id == ModelLineage.snapshot_id)
        .order_by(ModelLineage.registered_at.desc(), ModelLineage.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(statement).first()
    if row is None:
        return None
    return Baseline(
        model_name=row.model_name,
        model_version=row.model_version,
        snapshot_id=row.snapshot_id,
        decided=row.decided,
    )


def measure_growth(engine: Engine, labels_required: int) -> Growth:
    return Growth(
        decided_now=decided_now(engine, labels_required), baseline=last_registered(engine)
    )


def _already_fired(engine: Engine, run_key: str) -> TriggerEvaluation | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(TriggerEvaluation)
            .where(TriggerEvaluation.run_key == run_key, TriggerEvaluation.fired)
            .limit(1)
        ).first()
    return TriggerEvaluation.model_validate(row._mapping) if row else None


def _record(engine: Engine, decision: Decision) -> Decision:
    values = {k: v for k, v in decision.model_dump().items() if k != "evaluation_id"}
    with engine.begin() as conn:
        new_id = conn.execute(
            sa.insert(TriggerEvaluation).values(at=utcnow(), **values)
        ).inserted_primary_key[0]
    return Decision(**values, evaluation_id=new_id)


def evaluate_trigger(
    engine: Engine,
    thresholds: LoadedThresholds,
    labels_required: int,
    reports_dir: Path,
) -> Decision:
    """Decide whether to start retraining now; the decision is stored before it is returned."""
    values = thresholds.values
    growth = measure_growth(engine, labels_required)
    baseline = growth.baseline.decided if growth.baseline else None
    if not growth.enough(values):
        return _record(
            engine,
            Decision(
                fired=False,
                reason=growth.describe(values),
                decided_now=growth.decided_now,
                decided_baseline=baseline,
            ),
        )
    snapshot, _ = create_snapshot(
        engine, values.snapshot_policy(labels_required), created_by="retrain-trigger"
    )
    report = latest_gate_run(engine, snapshot.id)
    if report is None or report.thresholds_hash != thresholds.sha256:
        report = run_gate(engine, snapshot.id, thresholds, reports_dir)
    common = {
        "decided_now": growth.decided_now,
        "decided_baseline": baseline,
        "snapshot_id": snapshot.id,
        "gate_run_id": report.gate_run_id,
    }
    if not report.passed:
        reason = f"{growth.describe(values)}; but {report.summary()}"
        return _record(engine, Decision(fired=False, reason=reason, **common))
    run_key = f"retrain-snapshot-{snapshot.content_hash[:16]}"
    earlier = _already_fired(engine, run_key)
    if earlier is not None:
        reason = (
            f"retraining on snapshot {snapshot.id} was already requested at "
            f"{earlier.at:%Y-%m-%d %H:%M} UTC (run key {run_key})"
        )
        return _record(engine, Decision(fired=False, reason=reason, **common))
    reason = f"{growth.describe(values)}; {report.summary()}: retraining on snapshot {snapshot.id}"
    return _record(engine, Decision(fired=True, reason=reason, **common, run_key=run_key))
