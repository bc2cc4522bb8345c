"""What the workbench shows and does, without Streamlit: the review queue, a finding with
everything a reviewer needs, the adjudication queue, bulk labelling, suggestions.

The queue is one SQL query over findings, their review state and their stored suggestion
(`review_queue`, refreshed by `flywheel suggest` / the review_queue asset), paged with
LIMIT/OFFSET, so a page costs the same at 50,000 findings as at 50 (bench/ui.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.engine import Engine

from core.cwe import cwe_name
from core.severity import Severity
from core.verdict import Verdict
from store import cwe_clause
from store.guidelines import guideline
from store.labels import add_label, labels_of
from store.tables import (
    FindingEvent,
    FindingRecord,
    LabelRecord,
    QueueEntry,
    ReviewState,
    utcnow,
)
from vector_memory.label_model import Suggestion

OPEN_STATUSES = ["open", "reopened"]
_SEVERITY_RANK = sa.case(*((FindingRecord.severity == s.value, -s.rank) for s in Severity), else_=0)


class QueueFilter(BaseModel):
    repository: str | None = None
    service: str | None = None
    tool: str | None = None
    cwe: int | None = None
    severities: list[str] = []
    statuses: list[str] = OPEN_STATUSES
    suggested_label: str | None = None


class QueueRow(BaseModel):
    finding_id: int
    severity: str
    tool: str
    rule_id: str
    cwe_ids: list[int]
    path: str | None
    line: int | None
    repository: str
    service: str
    status: str
    priority: float | None
    suggested_label: str | None
    confidence: float | None
    reviews: int


class QueuePage(BaseModel):
    rows: list[QueueRow]
    total: int
    by_severity: dict[str, int]


class FindingView(BaseModel):
    record: FindingRecord
    group: list[dict[str, Any]]  # every finding of its cross-tool group (tool, rule, id)
    events: list[FindingEvent]
    cwes: list[tuple[int, str, str]]  # id, name, link
    state: ReviewState | None
    own: LabelRecord | None  # this reviewer's current label
    others: list[LabelRecord] | None  # None while hidden (not yet labelled by this reviewer)
    suggestion: QueueEntry | None
    guidelines: list[tuple[int, str]] = Field(default_factory=list)


def cwe_link(cwe: int) -> str:
    return f"https://cwe.mitre.org/data/definitions/{cwe}.html"


class ReviewDesk:
    def __init__(self, engine: Engine, labels_required: int = 1) -> None:
        if labels_required < 1:
            raise ValueError("labels_required must be at least 1")
        self.engine = engine
        self.labels_required = labels_required

    # The queue -----------------------------------------------------------------------------

    def _queue_where(self, reviewer: str, where: QueueFilter) -> list[Any]:
        f, s, q = FindingRecord, ReviewState, QueueEntry
        mine = (
            sa.select(LabelRecord.id)
            .where(
                LabelRecord.finding_id == f.id,
                LabelRecord.reviewer == reviewer,
                LabelRecord.retracted_at.is_(None),
                LabelRecord.kind == "review",
            )
            .exists()
        )
        clauses: list[Any] = [
            s.final_verdict.is_(None),
            sa.func.coalesce(s.consensus, "") != Verdict.DISPUTED,
            sa.func.coalesce(s.decisive, 0) < self.labels_required,
            ~mine,
        ]
        if where.statuses:
            clauses.append(f.status.in_(where.statuses))
        for column, value in (
            (f.repository, where.repository),
            (f.service, where.service),
            (f.tool, where.tool),
            (q.suggested_label, where.suggested_label),
        ):
            if value:
                clauses.append(column == value)
        if where.severities:
            clauses.append(f.severity.in_(where.severities))
        if where.cwe is not None:
            clauses.append(cwe_clause(self.engine.dialect.name, where.cwe))
        return clauses

    def _joined(self, *columns: Any) -> sa.Select:
        return (
            sa.select(*columns)
            .select_from(FindingRecord)
            .outerjoin(ReviewState, ReviewState.finding_id == FindingRecord.id)
            .outerjoin(QueueEntry, QueueEntry.finding_id == FindingRecord.id)
        )

    def queue(
        self, reviewer: str, where: QueueFilter | None = None, page: int = 0, size: int = 25
    ) -> QueuePage:
        """Findings this reviewer still has to judge, most useful first: highest review
        priority (uncertain and severe), then severity, then oldest; with counts."""
        where = where or QueueFilter()
        clauses = self._queue_where(reviewer, where)
        f = FindingRecord
        counts = self._joined(f.severity, sa.func.count()).where(*clauses).group_by(f.severity)
        with self.engine.connect() as conn:
            by_severity = {severity: n for severity, n in conn.execute(counts)}
        rows = self._rows(clauses, page * size, size)
        return QueuePage(rows=rows, total=sum(by_severity.values()), by_severity=by_severity)

    def _rows(self, clauses: list[Any], offset: int, size: int) -> list[QueueRow]:
        f, s, q = FindingRecord, ReviewState, QueueEntry
        statement = (
            self._joined(
                f.id,
                f.severity,
                f.tool,
                f.rule_id,
                f.cwe_ids,
                f.path,
                f.start_line,
                f.repository,
                f.service,
                f.status,
                q.priority,
                q.suggested_label,
                q.confidence,
                sa.func.coalesce(s.reviewers, 0),
            )
            .where(*clauses)
            .order_by(q.priority.desc().nulls_last(), _SEVERITY_RANK, f.id)
            .limit(size)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            fields = list(QueueRow.model_fields)
            return [
                QueueRow(**dict(zip(fields, row, strict=True))) for row in conn.execute(statement)
            ]

    def facets(self) -> dict[str, list[Any]]:
        """The values the queue's filters offer (cache them: they change with ingests only)."""
        f = FindingRecord
        with self.engine.connect() as conn:
            result = {
                name: [v for (v,) in conn.execute(sa.select(column).distinct().order_by(column))]
                for name, column in (
                    ("repository", f.repository),
                    ("service", f.service),
                    ("tool", f.tool),
                    ("status", f.status),
                )
            }
            cwes: set[int] = set()
            for (ids,) in conn.execute(sa.select(f.cwe_ids).distinct()):
                cwes.update(ids or [])
        result["cwe"] = sorted(cwes)
        return result

    # One finding ---------------------------------------------------------------------------

    def finding(self, finding_id: int, viewer: str, *, lead: bool = False) -> FindingView | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(FindingRecord).where(FindingRecord.id == finding_id))
            found = row.first()
            if found is None:
                return None
            record = FindingRecord.model_validate(found._mapping)
            group = [
                dict(r._mapping)
                for r in conn.execute(
                    sa.select(
                        FindingRecord.id,
                        FindingRecord.tool,
                        FindingRecord.rule_id,
                        FindingRecord.status,
                    )
                    .where(
                        FindingRecord.cross_tool_key == record.cross_tool_key,
                        FindingRecord.repository == record.repository,
                        FindingRecord.service == record.service,
                    )
                    .order_by(FindingRecord.tool, FindingRecord.id)
                )
            ]
            events = [
                FindingEvent.model_validate(r._mapping)
                for r in conn.execute(
                    sa.select(FindingEvent)
                    .where(FindingEvent.finding_id == finding_id)
                    .order_by(FindingEvent.at, FindingEvent.id)
                )
            ]
            state_row = conn.execute(
                sa.select(ReviewState).where(ReviewState.finding_id == finding_id)
            ).first()
            suggestion_row = conn.execute(
                sa.select(QueueEntry).where(QueueEntry.finding_id == finding_id)
            ).first()
        labels = [label for label in labels_of(self.engine, finding_id) if not label.retracted_at]
        own = next(
            (
                label
                for label in reversed(labels)
                if label.reviewer == viewer and label.kind == "review"
            ),
            None,
        )
        # Independent judgments: nobody sees the others' verdicts before giving their own
        # (leads do: they adjudicate).
        others = (
            [label for label in labels if label.reviewer != viewer or label.kind != "review"]
            if own is not None or lead
            else None
        )
        cwes = [(c, cwe_name(c), cwe_link(c)) for c in record.cwe_ids]
        notes = [(c, g.text) for c in record.cwe_ids if (g := guideline(self.engine, c))]
        return FindingView(
            record=record,
            group=group,
            events=events,
            cwes=cwes,
            state=ReviewState.model_validate(state_row._mapping) if state_row else None,
            own=own,
            others=others,
            suggestion=QueueEntry.model_validate(suggestion_row._mapping)
            if suggestion_row
            else None,
            guidelines=notes,
        )

    def upcoming(
        self,
        reviewer: str,
        where: QueueFilter | None,
        after: int | None = None,
        cached: list[int] | None = None,
    ) -> list[int]:
        """The queue from here on, `after` (the finding just labelled or skipped) excluded.
        The order the reviewer was shown is kept while its findings are still queued (a
        primary-key lookup); only when it runs out is the queue queried again."""
        where = where or QueueFilter()
        rest = [i for i in (cached or []) if i != after]
        if rest and (still := self._still_queued(rest, reviewer, where)):
            return still
        rows = self._rows(self._queue_where(reviewer, where), 0, 26)
        return [r.finding_id for r in rows if r.finding_id != after][:25]

    # Leads ---------------------------------------------------------------------------------

    def conflicts(self) -> list[tuple[ReviewState, FindingRecord]]:
        """Disputed findings waiting for a lead, most severe first."""
        statement = (
            sa.select(ReviewState)
            .where(ReviewState.consensus == Verdict.DISPUTED, ReviewState.final_verdict.is_(None))
            .order_by(ReviewState.updated_at)
        )
        with self.engine.connect() as conn:
            states = [ReviewState.model_validate(r._mapping) for r in conn.execute(statement)]
            ids = [state.finding_id for state in states]
            records = {
                r.id: FindingRecord.model_validate(r._mapping)
                for r in conn.execute(sa.select(FindingRecord).where(FindingRecord.id.in_(ids)))
            }
        pairs = [(state, records[state.finding_id]) for state in states]
        return sorted(pairs, key=lambda pair: -Severity(pair[1].severity).rank)

    # Bulk ----------------------------------------------------------------------------------

    def same_group(self, view: FindingView, reviewer: str) -> list[int]:
        """Other findings of this finding's cross-tool group still in this reviewer's queue."""
        others = [g["id"] for g in view.group if g["id"] != view.record.id]
        return self._still_queued(others, reviewer)

    def _still_queued(
        self, ids: list[int], reviewer: str, where: QueueFilter | None = None
    ) -> list[int]:
        """Those of `ids` still in this reviewer's queue (under `where`), in the same order."""
        if not ids:
            return []
        clauses = self._queue_where(reviewer, where or QueueFilter(statuses=[]))
        statement = self._joined(FindingRecord.id).where(FindingRecord.id.in_(ids), *clauses)
        with self.engine.connect() as conn:
            queued = {r[0] for r in conn.execute(statement)}
        return [i for i in ids if i in queued]

    def similar_in_queue(
        self, finding_id: int, reviewer: str, index: Any, threshold: float, k: int = 50
    ) -> list[tuple[int, float]]:
        """Near-identical findings (cosine >= threshold) still in this reviewer's queue."""
        neighbours = [n for n in index.similar(finding_id, k=k) if n.score >= threshold]
        queued = set(self._still_queued([n.finding_id for n in neighbours], reviewer))
        return [(n.finding_id, n.score) for n in neighbours if n.finding_id in queued]

    def bulk_label(
        self, finding_ids: list[int], reviewer: str, verdict: str, note: str | None = None
    ) -> list[LabelRecord]:
        """One label per finding (each in its own optimistic transaction, audited as bulk)."""
        return [
            add_label(
                self.engine, i, reviewer, verdict, note=note, source="bulk", action="bulk_label"
            )
            for i in finding_ids
        ]

    # Suggestions ---------------------------------------------------------------------------

    def refresh_suggestions(self, store: Any, index: Any) -> list[Suggestion]:
        """Sync the vector index, refit the label model on the reviewers' labels, and store a
        suggestion and review priority for every queued finding; returns them, best first."""
        # deferred: it imports the index: qdrant-client takes ~1 s to import
        from vector_memory.suggestions import suggest_for_open

        index.sync(store)
        ranked = suggest_for_open(store, index)
        self.save_suggestions(ranked)
        return ranked

    def save_suggestions(self, entries: list[Suggestion]) -> int:
        """Replace the stored queue order with freshly computed suggestions (one transaction)."""
        now = utcnow()
        rows = [
            {
                "finding_id": e.finding_id,
                "priority": e.priority,
                "suggested_label": e.suggested_label,
                "confidence": e.confidence,
                "method": e.method,
                "computed_at": now,
            }
            for e in entries
        ]
        with self.engine.begin() as conn:
            conn.execute(sa.delete(QueueEntry))
            if rows:
                conn.execute(sa.insert(QueueEntry), rows)
        return len(rows)
