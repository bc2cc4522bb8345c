"""The findings store's tables (SQLModel). Alembic migrations in `migrations/` build them.

`FindingRecord` is a `Finding` plus provenance and lifecycle. It repeats the Finding's fields
as columns rather than inheriting them: the `Finding` contract stays a plain pydantic model,
which is about twice as fast to build as a SQLModel one (it is built 100,000 times per large
report); `tests/test_store.py` checks that every Finding field has its column.

Indexes are few on purpose: each one costs every bulk insert (~0.3 s per 100,000 findings on
SQLite, measured). The identity constraint's prefix (repository, service, tool) serves the
lifecycle queries; later stages add indexes with the queries (and benchmarks) that need them.

Strings that come from reports are TEXT: a VARCHAR limit would turn an odd report (a long
version string) into a database error on PostgreSQL, which SQLite would never show.

Enum-valued columns are plain strings (no PostgreSQL enum types, so adding a value never
needs a type migration); JSON columns are JSONB on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Report(SQLModel, table=True):
    """A report file as ingested. Ingesting the same bytes again changes nothing while that
    report is still the newest scan of its scopes (see `FindingsStore.unchanged_report`)."""

    __tablename__ = "reports"
    __table_args__ = (sa.Index("ix_reports_content", "sha256", "repository", "service"),)

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(sa_type=sa.Text)
    sha256: str = Field(sa_type=sa.String(64))
    format: str = Field(sa_type=sa.String(32))
    size_bytes: int = Field(sa_type=sa.BigInteger)
    repository: str = Field(default="", sa_type=sa.Text)
    service: str = Field(default="", sa_type=sa.Text)
    commit: str | None = Field(default=None, sa_type=sa.Text)
    record_count: int = 0  # records in the document (before repeats were dropped)
    ingested_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class ScanRun(SQLModel, table=True):
    """One tool's run inside a report: the unit of lifecycle (what it no longer reports in its
    scope, repository + service + tool, is fixed)."""

    __tablename__ = "scan_runs"
    __table_args__ = (
        sa.Index("ix_scan_runs_scope", "repository", "service", "tool", "scanned_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="reports.id", index=True)
    repository: str = Field(default="", sa_type=sa.Text)
    service: str = Field(default="", sa_type=sa.Text)
    tool: str = Field(sa_type=sa.Text)
    tool_version: str | None = Field(default=None, sa_type=sa.Text)
    commit: str | None = Field(default=None, sa_type=sa.Text)
    scanned_at: datetime = Field(sa_type=Timestamp)
    ingested_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    record_count: int = 0
    new_count: int = 0
    unchanged_count: int = 0
    fixed_count: int = 0
    reopened_count: int = 0
    duplicate_count: int = 0
    # False when an older scan arrived after a newer one: it added what was new to it but
    # changed no lifecycle.
    applied_lifecycle: bool = True


class FindingRecord(SQLModel, table=True):
    """A stored finding: the Finding's fields, provenance and lifecycle."""

    __tablename__ = "findings"
    __table_args__ = (
        sa.UniqueConstraint(
            "repository", "service", "tool", "fingerprint", name="uq_findings_identity"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)

    tool: str = Field(sa_type=sa.Text)
    tool_version: str | None = Field(default=None, sa_type=sa.Text)
    rule_id: str = Field(sa_type=sa.Text)
    rule_name: str | None = Field(default=None, sa_type=sa.Text)
    message: str = Field(sa_type=sa.Text)
    kind: str = Field(sa_type=sa.String(16))
    severity: str = Field(sa_type=sa.String(16))
    tool_severity: str | None = Field(default=None, sa_type=sa.Text)
    confidence: str | None = Field(default=None, sa_type=sa.Text)
    cwe_ids: list[int] = Field(default_factory=list, sa_type=JSONType)
    vuln_ids: list[str] = Field(default_factory=list, sa_type=JSONType)
    fix_guidance: str | None = Field(default=None, sa_type=sa.Text)
    references: list[str] = Field(default_factory=list, sa_type=JSONType)

    package: str | None = Field(default=None, sa_type=sa.Text)
    package_version: str | None = Field(default=None, sa_type=sa.Text)
    fixed_version: str | None = Field(default=None, sa_type=sa.Text)
    ecosystem: str | None = Field(default=None, sa_type=sa.Text)

    repository: str = Field(default="", sa_type=sa.Text)
    service: str = Field(default="", sa_type=sa.Text)
    commit: str | None = Field(default=None, sa_type=sa.Text)
    path: str | None = Field(default=None, sa_type=sa.Text)
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None

    flagged_text: str | None = Field(default=None, sa_type=sa.Text)
    snippet: str | None = Field(default=None, sa_type=sa.Text)
    snippet_start_line: int | None = None
    enclosing: str | None = Field(default=None, sa_type=sa.Text)
    language: str | None = Field(default=None, sa_type=sa.String(32))
    framework: str | None = Field(default=None, sa_type=sa.String(32))

    suppressed: bool = False
    suppression: str | None = Field(default=None, sa_type=sa.Text)
    baseline_state: str | None = Field(default=None, sa_type=sa.Text)

    tool_fingerprint: str | None = Field(default=None, sa_type=sa.Text)
    fingerprint: str = Field(sa_type=sa.String(64))
    match_key: str = Field(sa_type=sa.String(64))
    cross_tool_key: str = Field(sa_type=sa.String(64))
    # Digest of what a scan observes (lines, text, severity ...): a rescan rewrites a row only
    # when this changes.
    observed_hash: str = Field(sa_type=sa.String(32))

    raw: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)

    # Provenance.
    report_id: int = Field(foreign_key="reports.id")  # the report that first held it
    first_scan_run_id: int = Field(foreign_key="scan_runs.id")
    first_seen_at: datetime = Field(sa_type=Timestamp)

    # Lifecycle.
    status: str = Field(default="open", sa_type=sa.String(16))
    fixed_at: datetime | None = Field(default=None, sa_type=Timestamp)
    fixed_commit: str | None = Field(default=None, sa_type=sa.Text)
    fixed_scan_run_id: int | None = Field(default=None, foreign_key="scan_runs.id")
    reopened_count: int = 0
    version: int = 1  # bumped on every change: optimistic concurrency for reviewers' edits


class FindingEvent(SQLModel, table=True):
    """A lifecycle transition: fixed, reopened, suppressed, unsuppressed."""

    __tablename__ = "finding_events"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="findings.id", index=True)
    scan_run_id: int = Field(foreign_key="scan_runs.id")
    event: str = Field(sa_type=sa.String(16))
    commit: str | None = Field(default=None, sa_type=sa.Text)
    at: datetime = Field(sa_type=Timestamp)


class LabelRecord(SQLModel, table=True):
    """A reviewer's judgment of a finding. Labels point at findings and never overwrite them;
    a reviewer's later label supersedes their earlier one (both are kept: the audit trail)."""

    __tablename__ = "labels"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="findings.id", index=True)
    reviewer: str = Field(sa_type=sa.Text)
    verdict: str = Field(sa_type=sa.String(16))  # true_positive | false_positive
    fixed_code: str | None = Field(default=None, sa_type=sa.Text)  # the reviewer's remediation
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
