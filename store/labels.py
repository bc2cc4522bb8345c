"""Reviewers' labels and what they amount to.

Each reviewer's latest, unretracted label counts; earlier ones stay in the table (and every
write is in the audit log). A finding's consensus is `true_positive` or `false_positive`
when its reviewers agree and `disputed` when they do not; a lead's adjudication is final.
`needs_info` labels count as a review but not as a verdict.

Every write recomputes the finding's `ReviewState` from all its labels and bumps its version
with `UPDATE ... WHERE version = <read>`. Two reviewers saving the same finding at the same
moment: one update misses, its transaction is rolled back and retried on fresh data, so
both labels land and the state counts both (tests/review/test_concurrency.py, PostgreSQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlalchemy.engine import Connection, Engine

from core.verdict import DECISIVE, LABELS, Verdict
from store.audit import append_audit
from store.errors import StoreError
from store.tables import FindingRecord, LabelRecord, ReviewState, utcnow

_RETRIES = 20


class ConcurrentEdit(StoreError):
    """Someone else changed what this write was based on; nothing was written."""


class LabelState(BaseModel):
    """What a finding's labels say, for the index payload and the suggestion model."""

    model_config = ConfigDict(frozen=True)

    verdict: Verdict  # the agreed or adjudicated one, DISPUTED, or NEEDS_INFO
    reviewers: int
    has_remediation: bool
    final: bool = False  # adjudicated by a lead

    @property
    def is_true_positive(self) -> bool | None:
        if self.verdict not in DECISIVE:
            return None
        return self.verdict == Verdict.TRUE_POSITIVE


class ReviewTally(BaseModel):
    """A finding's review state computed from its labels: the values of its `review_states`
    row (which adds the optimistic lock's version)."""

    model_config = ConfigDict(frozen=True)

    reviewers: int  # reviewers with a current label (needs_info included)
    decisive: int  # reviewers whose current label is a true or false positive
    true_positive: int
    false_positive: int
    needs_info: int
    consensus: Verdict | None  # TRUE_POSITIVE, FALSE_POSITIVE or DISPUTED; None: no decisive label
    final_verdict: Verdict | None  # a lead's adjudication
    adjudicated_by: str | None
    has_remediation: bool


def _verdict(value: Verdict | str, allowed: Iterable[Verdict] = LABELS) -> Verdict:
    allowed = list(allowed)
    if value not in allowed:
        raise StoreError(f"verdict {value!r} is not one of {', '.join(allowed)}")
    return Verdict(value)


def _name(reviewer: str) -> str:
    reviewer = (reviewer or "").strip()
    if not reviewer:
        raise StoreError("a label needs the reviewer's name")
    return reviewer


T = TypeVar("T")


def run_optimistic(engine: Engine, write: Callable[[Connection], T]) -> T:
    """Run `write` in a transaction, again on fresh data when a concurrent writer won."""
    for _ in range(_RETRIES):
        try:
            with engine.begin() as conn:
                return write(conn)
        except _VersionMiss:
            continue
    raise ConcurrentEdit(f"gave up after {_RETRIES} concurrent edits of the same finding")


class _VersionMiss(Exception):
    pass


def _state_row(conn: Connection, finding_id: int) -> ReviewState | None:
    row = conn.execute(sa.select(ReviewState).where(ReviewState.finding_id == finding_id)).first()
    return ReviewState.model_validate(row._mapping) if row else None


def _current_labels(conn: Connection, finding_id: int) -> list[LabelRecord]:
    rows = conn.execute(
        sa.select(LabelRecord)
        .where(LabelRecord.finding_id == finding_id, LabelRecord.retracted_at.is_(None))
        .order_by(LabelRecord.created_at, LabelRecord.id)
    )
    return [LabelRecord.model_validate(r._mapping) for r in rows]


def compute_state(labels: list[LabelRecord]) -> ReviewTally:
    """A finding's state from its unretracted labels, oldest first (pure)."""
    latest: dict[str, LabelRecord] = {}
    final: LabelRecord | None = None
    for label in labels:
        if label.kind == "adjudication":
            final = label
        else:
            latest[label.reviewer] = label
    verdicts = [label.verdict for label in latest.values()]
    tp, fp = verdicts.count(Verdict.TRUE_POSITIVE), verdicts.count(Verdict.FALSE_POSITIVE)
    consensus = None
    if tp or fp:
        consensus = (
            Verdict.DISPUTED
            if tp and fp
            else (Verdict.TRUE_POSITIVE if tp else Verdict.FALSE_POSITIVE)
        )
    return ReviewTally(
        reviewers=len(verdicts),
        decisive=tp + fp,
        true_positive=tp,
        false_positive=fp,
        needs_info=verdicts.count(Verdict.NEEDS_INFO),
        consensus=consensus,
        final_verdict=Verdict(final.verdict) if final else None,
        adjudicated_by=final.reviewer if final else None,
        has_remediation=any(
            label.fixed_code or label.fixing_commit
            for label in [*latest.values(), *([final] if final else [])]
        ),
    )


def _write_state(conn: Connection, finding_id: int, read: ReviewState | None) -> dict[str, Any]:
    """Store the state the finding's labels amount to now; returns it (with its version) as
    the audit log records it."""
    state = compute_state(_current_labels(conn, finding_id))
    values = state.model_dump(mode="json")
    now = utcnow()
    if read is None:
        try:
            with conn.begin_nested():
                conn.execute(
                    sa.insert(ReviewState).values(
                        finding_id=finding_id, version=1, updated_at=now, **values
                    )
                )
        except sa.exc.IntegrityError:
            raise _VersionMiss() from None  # another writer created it first
        return {**values, "version": 1}
    done = conn.execute(
        sa.update(ReviewState)
        .where(ReviewState.finding_id == finding_id, ReviewState.version == read.version)
        .values(version=read.version + 1, updated_at=now, **values)
    )
    if done.rowcount != 1:
        raise _VersionMiss()
    return {**values, "version": read.version + 1}


def _require_finding(conn: Connection, finding_id: int) -> None:
    exists = conn.execute(sa.select(FindingRecord.id).where(FindingRecord.id == finding_id))
    if exists.first() is None:
        raise StoreError(f"finding {finding_id} does not exist: nothing was labelled")


def _public(state: ReviewState | None) -> dict[str, Any] | None:
    """A stored state as the audit log records it."""
    if state is None:
        return None
    return state.model_dump(mode="json", exclude={"finding_id", "updated_at"})


def add_label(
    engine: Engine, finding_id: int, reviewer: str, verdict: Verdict | str, **details: Any
) -> LabelRecord:
    """Store one reviewer's judgment (superseding their earlier one) and the new state;
    `details` are `write_label`'s keywords."""
    return run_optimistic(
        engine, lambda conn: write_label(conn, finding_id, reviewer, verdict, **details)
    )


def write_label(
    conn: Connection,
    finding_id: int,
    reviewer: str,
    verdict: Verdict | str,
    *,
    fixed_code: str | None = None,
    fixing_commit: str | None = None,
    note: str | None = None,
    source: str = "workbench",
    action: str = "label",
) -> LabelRecord:
    """`add_label` inside a transaction the caller holds (run it through `run_optimistic`,
    which retries when a concurrent writer changed the finding first)."""
    verdict = _verdict(verdict)
    reviewer = _name(reviewer)
    if verdict == Verdict.NEEDS_INFO and not (note or "").strip():
        raise StoreError("'needs more information' needs a note saying what is missing")
    _require_finding(conn, finding_id)
    read = _state_row(conn, finding_id)
    if read and read.final_verdict:
        raise StoreError(
            f"finding {finding_id} was adjudicated by {read.adjudicated_by}: its verdict is final"
        )
    record = LabelRecord(
        finding_id=finding_id,
        reviewer=reviewer,
        verdict=verdict.value,
        fixed_code=fixed_code or None,
        fixing_commit=fixing_commit or None,
        note=note or None,
        source=source,
        created_at=utcnow(),
    )
    values = record.model_dump(exclude={"id"})
    record.id = conn.execute(sa.insert(LabelRecord).values(**values)).inserted_primary_key[0]
    after = _write_state(conn, finding_id, read)
    append_audit(
        conn,
        reviewer,
        action,
        finding_id=finding_id,
        before=_public(read),
        after={**after, "label_id": record.id, "verdict": verdict.value, "source": source},
    )
    return record


def undo_last_label(engine: Engine, reviewer: str) -> LabelRecord | None:
    """Retract the reviewer's latest label (the row stays, marked); None if there is none."""
    reviewer = _name(reviewer)

    def write(conn: Connection) -> LabelRecord | None:
        row = conn.execute(
            sa.select(LabelRecord)
            .where(
                LabelRecord.reviewer == reviewer,
                LabelRecord.retracted_at.is_(None),
                LabelRecord.kind == "review",
            )
            .order_by(LabelRecord.created_at.desc(), LabelRecord.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        label = LabelRecord.model_validate(row._mapping)
        read = _state_row(conn, label.finding_id)
        if read and read.final_verdict:
            raise StoreError(
                f"finding {label.finding_id} was adjudicated since: the label cannot be undone"
            )
        conn.execute(
            sa.update(LabelRecord).where(LabelRecord.id == label.id).values(retracted_at=utcnow())
        )
        after = _write_state(conn, label.finding_id, read)
        append_audit(
            conn,
            reviewer,
            "undo",
            finding_id=label.finding_id,
            before={**(_public(read) or {}), "label_id": label.id, "verdict": label.verdict},
            after=after,
        )
        return label

    return run_optimistic(engine, write)


def adjudicate(
    engine: Engine,
    finding_id: int,
    lead: str,
    verdict: Verdict | str,
    *,
    expected_version: int | None,
    note: str | None = None,
    fixed_code: str | None = None,
) -> LabelRecord:
    """A lead's final verdict. `expected_version` is the state the lead decided on: if the
    finding's labels changed since, nothing is written (ConcurrentEdit) and the lead sees the
    new labels first."""
    verdict = _verdict(verdict, DECISIVE)
    lead = _name(lead)
    with engine.begin() as conn:
        _require_finding(conn, finding_id)
        read = _state_row(conn, finding_id)
        version = read.version if read else 0
        if expected_version is not None and version != expected_version:
            raise ConcurrentEdit(
                f"finding {finding_id} changed while you were deciding (version "
                f"{expected_version} -> {version}): reload it; nothing was written"
            )
        if read and read.final_verdict:
            raise StoreError(f"finding {finding_id} is already adjudicated")
        record = LabelRecord(
            finding_id=finding_id,
            reviewer=lead,
            verdict=verdict.value,
            note=note or None,
            fixed_code=fixed_code or None,
            kind="adjudication",
            created_at=utcnow(),
        )
        values = record.model_dump(exclude={"id"})
        record.id = conn.execute(sa.insert(LabelRecord).values(**values)).inserted_primary_key[0]
        try:
            after = _write_state(conn, finding_id, read)
        except _VersionMiss:
            raise ConcurrentEdit(
                f"finding {finding_id} changed while you were deciding: reload it; "
                "nothing was written"
            ) from None
        append_audit(
            conn,
            lead,
            "adjudicate",
            finding_id=finding_id,
            before=_public(read),
            after={**after, "label_id": record.id, "note": note},
        )
        return record


def label_states(engine: Engine, finding_ids: Iterable[int] | None = None) -> dict[int, LabelState]:
    """The state of every reviewed finding (or of those given)."""
    statement = sa.select(ReviewState).where(
        sa.or_(ReviewState.reviewers > 0, ReviewState.final_verdict.is_not(None))
    )
    if finding_ids is not None:
        ids = list(finding_ids)
        if not ids:
            return {}
        statement = statement.where(ReviewState.finding_id.in_(ids))
    states = {}
    with engine.connect() as conn:
        for row in conn.execute(statement):
            state = ReviewState.model_validate(row._mapping)
            states[state.finding_id] = LabelState(
                verdict=state.final_verdict or state.consensus or Verdict.NEEDS_INFO,
                reviewers=state.reviewers,
                has_remediation=state.has_remediation,
                final=state.final_verdict is not None,
            )
    return states


def labels_of(engine: Engine, finding_id: int) -> list[LabelRecord]:
    """Every label of a finding, oldest first (superseded and retracted ones included)."""
    statement = (
        sa.select(LabelRecord)
        .where(LabelRecord.finding_id == finding_id)
        .order_by(LabelRecord.created_at, LabelRecord.id)
    )
    with engine.connect() as conn:
        return [LabelRecord.model_validate(row._mapping) for row in conn.execute(statement)]


def reviewer_verdicts(engine: Engine) -> dict[int, dict[str, str]]:
    """Each finding's current verdict per reviewer (adjudications excluded): the raw
    material of agreement statistics."""
    statement = (
        sa.select(LabelRecord.finding_id, LabelRecord.reviewer, LabelRecord.verdict)
        .where(LabelRecord.retracted_at.is_(None), LabelRecord.kind == "review")
        .order_by(LabelRecord.created_at, LabelRecord.id)
    )
    result: dict[int, dict[str, str]] = defaultdict(dict)
    with engine.connect() as conn:
        for finding_id, reviewer, verdict in conn.execute(statement):
            result[finding_id][reviewer] = verdict
    return dict(result)
