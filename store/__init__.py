"""The findings store: SQLite by default, PostgreSQL in production (same code, same tests)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from core.finding import Status
from core.severity import Severity
from core.verdict import Verdict
from store.engine import ensure_schema, make_engine
from store.labels import LabelState, add_label, label_states, labels_of
from store.tables import FindingEvent, FindingRecord, LabelRecord, Report, ScanRun
from store.writer import (
    PreparedFinding,
    PreparedRun,
    RunOutcome,
    insert_report,
    prepare_finding,
    write_run,
)

__all__ = [
    "FindingEvent",
    "FindingFilter",
    "FindingRecord",
    "FindingsStore",
    "LabelRecord",
    "LabelState",
    "PreparedFinding",
    "PreparedRun",
    "Report",
    "RunOutcome",
    "ScanRun",
    "Verdict",
    "prepare_finding",
]


class FindingFilter(BaseModel):
    """Filters for listing findings; every field is optional and they combine with AND."""

    repository: str | None = None
    service: str | None = None
    tool: str | None = None
    kind: str | None = None
    rule_id: str | None = None
    path_prefix: str | None = None
    statuses: list[Status] = []
    min_severity: Severity | None = None
    cwe: int | None = None
    cross_tool_key: str | None = None


class FindingsStore:
    """Opens the database named by `url`, migrating it to the current schema."""

    def __init__(self, url: str, *, migrate: bool = True) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        if migrate:
            ensure_schema(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # Writing ------------------------------------------------------------------------------

    def unchanged_report(
        self, sha256: str, repository: str, service: str, commit: str | None
    ) -> int | None:
        """An identical report (same bytes, scope and commit) that is still the newest scan of
        every scope it covers: ingesting it again would change nothing.

        When a newer scan came in between, the same bytes are a new observation (a revert
        brings findings back) and must be ingested.
        """
        with self.engine.connect() as conn:
            statement = sa.select(Report.id).where(
                Report.sha256 == sha256,
                Report.repository == repository,
                Report.service == service,
            )
            if commit is not None:
                statement = statement.where(Report.commit == commit)
            for report_id in conn.execute(statement.order_by(Report.id.desc())).scalars():
                later = aliased(ScanRun)
                newer = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(ScanRun)
                    .join(
                        later,
                        (later.repository == ScanRun.repository)
                        & (later.service == ScanRun.service)
                        & (later.tool == ScanRun.tool)
                        & (later.id != ScanRun.id)
                        & (
                            (later.scanned_at > ScanRun.scanned_at)
                            | ((later.scanned_at == ScanRun.scanned_at) & (later.id > ScanRun.id))
                        ),
                    )
                    .where(ScanRun.report_id == report_id)
                ).scalar_one()
                if newer == 0:
                    return int(report_id)
        return None

    def write_report(self, report: Report, runs: Sequence[PreparedRun]) -> list[RunOutcome]:
        """Store a report and its runs in ONE transaction: all of it or nothing."""
        with self.engine.begin() as conn:
            report_id = insert_report(conn, report)
            return [write_run(conn, report_id, run) for run in runs]

    def add_label(
        self, finding_id: int, reviewer: str, verdict: Verdict | str, **details: Any
    ) -> LabelRecord:
        """Store a reviewer's judgment of a finding (see `store.labels.add_label`)."""
        return add_label(self.engine, finding_id, reviewer, verdict, **details)

    # Reading ------------------------------------------------------------------------------

    def label_states(self, finding_ids: Sequence[int] | None = None) -> dict[int, LabelState]:
        return label_states(self.engine, finding_ids)

    def labels(self, finding_id: int) -> list[LabelRecord]:
        return labels_of(self.engine, finding_id)

    def findings(
        self, where: FindingFilter | None = None, *, limit: int | None = None, offset: int = 0
    ) -> list[FindingRecord]:
        statement = select(FindingRecord).order_by(FindingRecord.id)
        statement = statement.where(*self._clauses(where or FindingFilter()))
        if limit is not None:
            statement = statement.limit(limit).offset(offset)
        with Session(self.engine) as session:
            return list(session.exec(statement).all())

    def count(self, where: FindingFilter | None = None) -> int:
        statement = sa.select(sa.func.count()).select_from(FindingRecord)
        statement = statement.where(*self._clauses(where or FindingFilter()))
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def count_by_tool(self) -> dict[str, int]:
        statement = sa.select(FindingRecord.tool, sa.func.count()).group_by(FindingRecord.tool)
        with self.engine.connect() as conn:
            return {
                tool: int(n) for tool, n in conn.execute(statement.order_by(FindingRecord.tool))
            }

    def findings_by_id(self, finding_ids: Sequence[int]) -> list[FindingRecord]:
        statement = select(FindingRecord).where(FindingRecord.id.in_(list(finding_ids)))  # type: ignore[union-attr]
        with Session(self.engine) as session:
            return list(session.exec(statement.order_by(FindingRecord.id)).all())

    def finding(self, finding_id: int) -> FindingRecord | None:
        with Session(self.engine) as session:
            return session.get(FindingRecord, finding_id)

    def events(self, finding_id: int) -> list[FindingEvent]:
        with Session(self.engine) as session:
            statement = (
                select(FindingEvent)
                .where(FindingEvent.finding_id == finding_id)
                .order_by(FindingEvent.at, FindingEvent.id)
            )
            return list(session.exec(statement).all())

    def scan_runs(self) -> list[ScanRun]:
        with Session(self.engine) as session:
            return list(session.exec(select(ScanRun).order_by(ScanRun.id)).all())

    def reports(self) -> list[Report]:
        with Session(self.engine) as session:
            return list(session.exec(select(Report).order_by(Report.id)).all())

    def _clauses(self, where: FindingFilter) -> list[Any]:
        table = FindingRecord
        clauses: list[Any] = []
        for column, value in (
            (table.repository, where.repository),
            (table.service, where.service),
            (table.tool, where.tool),
            (table.kind, where.kind),
            (table.rule_id, where.rule_id),
            (table.cross_tool_key, where.cross_tool_key),
        ):
            if value is not None:
                clauses.append(column == value)
        if where.path_prefix:
            clauses.append(table.path.startswith(where.path_prefix, autoescape=True))
        if where.statuses:
            clauses.append(table.status.in_([s.value for s in where.statuses]))
        if where.min_severity is not None:
            allowed = [s.value for s in Severity if s.rank >= where.min_severity.rank]
            clauses.append(table.severity.in_(allowed))
        if where.cwe is not None:
            clauses.append(cwe_clause(self.engine.dialect.name, where.cwe))
        return clauses


def cwe_clause(dialect: str, cwe: int) -> Any:
    """Findings whose CWE list holds `cwe` (JSONB containment on PostgreSQL, json_each on
    SQLite)."""
    if dialect == "postgresql":
        return sa.text("findings.cwe_ids @> CAST(:cwe_json AS jsonb)").bindparams(
            cwe_json=f"[{int(cwe)}]"
        )
    return sa.text(
        "EXISTS (SELECT 1 FROM json_each(findings.cwe_ids) WHERE json_each.value = :cwe)"
    ).bindparams(cwe=int(cwe))
