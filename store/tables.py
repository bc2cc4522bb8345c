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
        # The workbench's: a finding's cross-tool group, and a narrow covering index for the
        # review queue's filters so a queue page never reads the wide rows (bench/ui.py).
        sa.Index("ix_findings_cross_tool", "cross_tool_key"),
        sa.Index("ix_findings_queue", "status", "severity", "repository", "service", "tool"),
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
    a reviewer's later label supersedes their earlier one (both are kept), an undone label is
    marked `retracted_at`, not deleted. A lead's adjudication is a label of kind `adjudication`
    and is final."""

    __tablename__ = "labels"
    __table_args__ = (sa.Index("ix_labels_reviewer", "reviewer", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="findings.id", index=True)
    reviewer: str = Field(sa_type=sa.Text)
    verdict: str = Field(sa_type=sa.String(16))  # true_positive | false_positive | needs_info
    fixed_code: str | None = Field(default=None, sa_type=sa.Text)  # the reviewer's remediation
    fixing_commit: str | None = Field(default=None, sa_type=sa.Text)  # the commit that fixed it
    note: str | None = Field(default=None, sa_type=sa.Text)
    kind: str = Field(default="review", sa_type=sa.String(16))  # review | adjudication
    source: str = Field(default="workbench", sa_type=sa.Text)  # workbench, cli, import:...
    retracted_at: datetime | None = Field(default=None, sa_type=Timestamp)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class ReviewState(SQLModel, table=True):
    """What a finding's labels amount to, kept beside them in the same transaction.

    `version` is the optimistic lock: every write reads it, recomputes the state from all
    labels and updates `WHERE version = read`; a concurrent writer makes that update miss and
    the write is retried on fresh data, so no reviewer's update is ever lost."""

    __tablename__ = "review_states"

    finding_id: int = Field(foreign_key="findings.id", primary_key=True)
    version: int = Field(default=0)
    reviewers: int = Field(default=0)  # reviewers with a current label (needs_info included)
    decisive: int = Field(default=0)  # reviewers whose current label is a true/false positive
    true_positive: int = Field(default=0)
    false_positive: int = Field(default=0)
    needs_info: int = Field(default=0)
    consensus: str | None = Field(default=None, sa_type=sa.String(16))  # tp | fp | disputed
    final_verdict: str | None = Field(default=None, sa_type=sa.String(16))  # adjudicated
    adjudicated_by: str | None = Field(default=None, sa_type=sa.Text)
    has_remediation: bool = Field(default=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class QueueEntry(SQLModel, table=True):
    """A finding's place in the review queue: the label suggestion and review priority, as
    computed by the vector memory (`flywheel suggest`, the review_queue asset). Suggestions
    live here, apart from labels: they never become labels by themselves."""

    __tablename__ = "review_queue"
    __table_args__ = (sa.Index("ix_review_queue_priority", "priority"),)

    finding_id: int = Field(foreign_key="findings.id", primary_key=True)
    priority: float
    suggested_label: str | None = Field(default=None, sa_type=sa.String(16))
    confidence: float | None = None
    method: str = Field(default="none", sa_type=sa.String(16))
    computed_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class AuditEntry(SQLModel, table=True):
    """Append-only: every label, change, adjudication, guideline edit and user change, with
    who, when, and the state before and after. Database triggers refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=Timestamp, index=True)
    actor: str = Field(sa_type=sa.Text)
    action: str = Field(sa_type=sa.String(32))
    finding_id: int | None = Field(default=None, index=True)
    subject: str | None = Field(default=None, sa_type=sa.Text)  # a user name, a CWE ...
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONType)


class UserRecord(SQLModel, table=True):
    """A workbench account. Passwords are stored as argon2id hashes only."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_type=sa.String(64), unique=True)
    email: str | None = Field(default=None, sa_type=sa.Text)  # matched to an OIDC login
    role: str = Field(sa_type=sa.String(16))  # reviewer | lead | platform | admin
    password_hash: str | None = Field(default=None, sa_type=sa.Text)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class Guideline(SQLModel, table=True):
    """A lead's Markdown guideline for one CWE, shown to reviewers beside its findings."""

    __tablename__ = "guidelines"

    cwe: int = Field(primary_key=True)
    text: str = Field(sa_type=sa.Text)
    version: int = Field(default=1)
    updated_by: str = Field(sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)


class CorpusSnapshot(SQLModel, table=True):
    """An immutable, versioned cut of the labeled corpus that training and the registry
    refer to. `content_hash` covers every item (finding, verdict, labels, split, the text
    that would be trained on) and the split policy: the same corpus gives the same hash, and
    snapshotting it again returns the existing snapshot."""

    __tablename__ = "corpus_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str = Field(sa_type=sa.String(64), unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp)
    created_by: str = Field(sa_type=sa.Text)
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # split policy
    items: int = 0  # labeled findings (decided, disputed, waiting for information)
    decided: int = 0  # with a true/false-positive verdict: what training can use
    true_positives: int = 0
    train: int = 0  # decided items per split
    eval: int = 0


class SnapshotItem(SQLModel, table=True):
    """One labeled finding as it stood when the snapshot was taken (a frozen copy: later
    edits of the finding or its labels never change a snapshot)."""

    __tablename__ = "snapshot_items"

    snapshot_id: int = Field(foreign_key="corpus_snapshots.id", primary_key=True)
    finding_id: int = Field(primary_key=True)
    split: str = Field(sa_type=sa.String(8))  # train | eval
    status: str = Field(sa_type=sa.String(16))  # decided | disputed | needs_info
    verdict: str | None = Field(default=None, sa_type=sa.String(16))  # when decided
    group_key: str = Field(sa_type=sa.String(64))  # items that must share a split
    record: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)


class GateRun(SQLModel, table=True):
    """One evaluation of the quality gate on a snapshot: its verdict and full report (each
    expectation's observed value and threshold), kept as history."""

    __tablename__ = "gate_runs"

    id: int | None = Field(default=None, primary_key=True)
    snapshot_id: int = Field(foreign_key="corpus_snapshots.id", index=True)
    passed: bool
    thresholds_version: int
    thresholds_hash: str = Field(sa_type=sa.String(64))
    report: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    docs_path: str | None = Field(default=None, sa_type=sa.Text)  # GX data docs (HTML)
    evaluated_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp, index=True)


class TriggerEvaluation(SQLModel, table=True):
    """Every evaluation of the retraining trigger, fired or not, and why."""

    __tablename__ = "trigger_evaluations"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=Timestamp, index=True)
    fired: bool
    reason: str = Field(sa_type=sa.Text)
    decided_now: int
    decided_baseline: int | None = None  # decided labels behind the last registered model
    snapshot_id: int | None = Field(default=None, foreign_key="corpus_snapshots.id")
    gate_run_id: int | None = Field(default=None, foreign_key="gate_runs.id")
    run_key: str | None = Field(default=None, sa_type=sa.Text)


class ModelLineage(SQLModel, table=True):
    """Which snapshot each registered model version was trained on. The registry writes it
    beside its MLflow tags so the retraining trigger can measure growth since the last
    registered model without calling the tracking server on every sensor tick."""

    __tablename__ = "model_lineage"

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(sa_type=sa.Text)
    model_version: str = Field(sa_type=sa.Text)
    snapshot_id: int = Field(foreign_key="corpus_snapshots.id")
    registered_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp, index=True)


class PromotionRecord(SQLModel, table=True):
    """Each promotion decision, as the registry recorded it: kept here too so the gate
    dashboard shows a reward-yardstick gap without calling the tracking server."""

    __tablename__ = "promotion_decisions"

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(sa_type=sa.Text)
    model_version: str = Field(sa_type=sa.Text)
    decided_at: datetime = Field(default_factory=utcnow, sa_type=Timestamp, index=True)
    promoted: bool
    reward_yardstick_gap: bool
    decision: dict[str, Any] = Field(sa_type=JSONType)  # registry.promotion.PromotionDecision
