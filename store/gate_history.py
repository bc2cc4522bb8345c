"""What the quality gate and the retraining trigger decided, as stored: each gate run's report
(every expectation with its observed value and threshold) and each evaluation of the trigger.

The gate (`quality_gates`) writes these; the workbench's dashboards, the training step and
the CLI read them here, without depending on the gate itself.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Engine

from store.tables import GateRun, PromotionRecord, TriggerEvaluation, utcnow


class ExpectationOutcome(BaseModel):
    name: str
    description: str
    expectation: str  # the GX expectation type
    observed: float | int | str | None
    threshold: str
    minimum: float | None = None
    maximum: float | None = None
    unit: str = "findings"
    passed: bool
    details: list[Any] = []  # e.g. the finding ids that broke it (first 20)


class GateReport(BaseModel):
    snapshot_id: int
    snapshot_hash: str
    passed: bool
    thresholds_version: int
    thresholds_hash: str
    thresholds_path: str
    evaluated_at: datetime
    expectations: list[ExpectationOutcome]
    docs_path: str | None = None
    gate_run_id: int | None = None

    def failed(self) -> list[ExpectationOutcome]:
        return [outcome for outcome in self.expectations if not outcome.passed]

    def summary(self) -> str:
        if self.passed:
            return f"gate passed on snapshot {self.snapshot_id}"
        reasons = "; ".join(f"{o.name} {o.observed} (needs {o.threshold})" for o in self.failed())
        return f"gate failed on snapshot {self.snapshot_id}: {reasons}"


def _report(row: GateRun) -> GateReport:
    return GateReport.model_validate({**row.report, "gate_run_id": row.id})


def gate_history(engine: Engine, snapshot_id: int | None = None) -> list[GateReport]:
    """Every stored gate run, oldest first (of one snapshot, when given)."""
    statement = sa.select(GateRun).order_by(GateRun.evaluated_at, GateRun.id)
    if snapshot_id is not None:
        statement = statement.where(GateRun.snapshot_id == snapshot_id)
    with engine.connect() as conn:
        return [_report(GateRun.model_validate(row._mapping)) for row in conn.execute(statement)]


def latest_gate_run(engine: Engine, snapshot_id: int | None = None) -> GateReport | None:
    statement = sa.select(GateRun).order_by(GateRun.evaluated_at.desc(), GateRun.id.desc())
    if snapshot_id is not None:
        statement = statement.where(GateRun.snapshot_id == snapshot_id)
    with engine.connect() as conn:
        row = conn.execute(statement.limit(1)).first()
    return _report(GateRun.model_validate(row._mapping)) if row else None


def trigger_history(engine: Engine, limit: int = 200) -> list[TriggerEvaluation]:
    """The latest evaluations of the trigger, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(TriggerEvaluation)
            .order_by(TriggerEvaluation.at.desc(), TriggerEvaluation.id.desc())
            .limit(limit)
        )
        return [TriggerEvaluation.model_validate(row._mapping) for row in rows]


def record_promotion(
    engine: Engine, model_name: str, model_version: str, decision: dict[str, Any]
) -> None:
    """Keep a promotion decision (a `PromotionDecision` as JSON) beside the gate's history."""
    with engine.begin() as conn:
        conn.execute(
            sa.insert(PromotionRecord).values(
                model_name=model_name,
                model_version=str(model_version),
                decided_at=utcnow(),
                promoted=bool(decision.get("promote")),
                reward_yardstick_gap=bool(decision.get("reward_yardstick_gap")),
                decision=decision,
            )
        )


def promotion_history(engine: Engine, limit: int = 50) -> list[PromotionRecord]:
    """The latest promotion decisions, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(PromotionRecord)
            .order_by(PromotionRecord.decided_at.desc(), PromotionRecord.id.desc())
            .limit(limit)
        )
        return [PromotionRecord.model_validate(row._mapping) for row in rows]
