"""Reviewers' labels: writing one, and what a finding's labels amount to.

Each reviewer's latest label counts (earlier ones stay in the table as the audit trail). The
verdict of a finding is the reviewers' consensus: `true_positive` or `false_positive` when
they agree, `disputed` when they do not (a lead adjudicates those).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ingest.errors import StoreError
from ingest.store.tables import FindingRecord, LabelRecord, utcnow


class Verdict(StrEnum):
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"


DISPUTED = "disputed"


@dataclass(frozen=True)
class LabelState:
    """What a finding's labels say, for the index payload and the suggestion model."""

    verdict: str  # true_positive | false_positive | disputed
    reviewers: int
    has_remediation: bool

    @property
    def is_true_positive(self) -> bool | None:
        if self.verdict == DISPUTED:
            return None
        return self.verdict == Verdict.TRUE_POSITIVE


def add_label(
    engine: Engine,
    finding_id: int,
    reviewer: str,
    verdict: Verdict | str,
    *,
    fixed_code: str | None = None,
    note: str | None = None,
) -> LabelRecord:
    """Store one reviewer's judgment; the finding itself is not touched."""
    try:
        verdict = Verdict(verdict)
    except ValueError:
        raise StoreError(
            f"verdict {verdict!r} is not one of {', '.join(v.value for v in Verdict)}"
        ) from None
    reviewer = reviewer.strip()
    if not reviewer:
        raise StoreError("a label needs the reviewer's name")
    record = LabelRecord(
        finding_id=finding_id,
        reviewer=reviewer,
        verdict=verdict.value,
        fixed_code=fixed_code or None,
        note=note or None,
        created_at=utcnow(),
    )
    with engine.begin() as conn:
        exists = conn.execute(
            sa.select(FindingRecord.id).where(FindingRecord.id == finding_id)
        ).first()
        if exists is None:
            raise StoreError(f"finding {finding_id} does not exist: nothing was labelled")
        values = record.model_dump(exclude={"id"})
        record.id = conn.execute(sa.insert(LabelRecord).values(**values)).inserted_primary_key[0]
    return record


def label_states(engine: Engine, finding_ids: Iterable[int] | None = None) -> dict[int, LabelState]:
    """The state of every labelled finding (or of those given), from the latest label of
    each reviewer."""
    statement = sa.select(
        LabelRecord.finding_id,
        LabelRecord.reviewer,
        LabelRecord.verdict,
        LabelRecord.fixed_code,
    ).order_by(LabelRecord.created_at, LabelRecord.id)
    if finding_ids is not None:
        ids = list(finding_ids)
        if not ids:
            return {}
        statement = statement.where(LabelRecord.finding_id.in_(ids))
    latest: dict[int, dict[str, str]] = defaultdict(dict)
    remediated: set[int] = set()
    with engine.connect() as conn:
        for finding_id, reviewer, verdict, fixed_code in conn.execute(statement):
            latest[finding_id][reviewer] = verdict
            if fixed_code:
                remediated.add(finding_id)
    states = {}
    for finding_id, by_reviewer in latest.items():
        verdicts = set(by_reviewer.values())
        verdict = verdicts.pop() if len(verdicts) == 1 else DISPUTED
        states[finding_id] = LabelState(verdict, len(by_reviewer), finding_id in remediated)
    return states


def labels_of(engine: Engine, finding_id: int) -> list[LabelRecord]:
    """Every label of a finding, oldest first (superseded ones included)."""
    statement = (
        sa.select(LabelRecord)
        .where(LabelRecord.finding_id == finding_id)
        .order_by(LabelRecord.created_at, LabelRecord.id)
    )
    with engine.connect() as conn:
        return [LabelRecord.model_validate(row._mapping) for row in conn.execute(statement)]
