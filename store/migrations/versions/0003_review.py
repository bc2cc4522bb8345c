"""The reviewer workbench: label kinds, sources and retraction; review states with an
optimistic version; the review queue (suggestions); an append-only audit log; users;
per-CWE guidelines.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")

# The audit log is append-only in the database itself, not only by convention in the code.
_SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
       BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]
_POSTGRES_TRIGGERS = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]


def upgrade() -> None:
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fixing_commit", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="review")
        )
        batch_op.add_column(
            sa.Column("source", sa.Text(), nullable=False, server_default="workbench")
        )
        batch_op.add_column(sa.Column("retracted_at", Timestamp, nullable=True))
        batch_op.create_index("ix_labels_reviewer", ["reviewer", "created_at"], unique=False)

    op.create_index("ix_findings_cross_tool", "findings", ["cross_tool_key"])
    op.create_index(
        "ix_findings_queue", "findings", ["status", "severity", "repository", "service", "tool"]
    )
    op.create_table(
        "review_states",
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("findings.id"), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("reviewers", sa.Integer(), nullable=False),
        sa.Column("decisive", sa.Integer(), nullable=False),
        sa.Column("true_positive", sa.Integer(), nullable=False),
        sa.Column("false_positive", sa.Integer(), nullable=False),
        sa.Column("needs_info", sa.Integer(), nullable=False),
        sa.Column("consensus", sa.String(length=16), nullable=True),
        sa.Column("final_verdict", sa.String(length=16), nullable=True),
        sa.Column("adjudicated_by", sa.Text(), nullable=True),
        sa.Column("has_remediation", sa.Boolean(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    op.create_table(
        "review_queue",
        sa.Column("finding_id", sa.Integer(), sa.ForeignKey("findings.id"), primary_key=True),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("suggested_label", sa.String(length=16), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("computed_at", Timestamp, nullable=False),
    )
    op.create_index("ix_review_queue_priority", "review_queue", ["priority"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("before", JSONType, nullable=True),
        sa.Column("after", JSONType, nullable=True),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_finding_id", "audit_log", ["finding_id"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(length=64), nullable=False, unique=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
    )
    op.create_table(
        "guidelines",
        sa.Column("cwe", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
    )
    _backfill_review_states()
    triggers = (
        _POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else _SQLITE_TRIGGERS
    )
    for statement in triggers:
        op.execute(statement)


def _backfill_review_states() -> None:
    """Review states for labels written before this revision (each reviewer's latest counts).
    Self-contained on purpose: a migration must not depend on code that changes later."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT finding_id, reviewer, verdict, fixed_code FROM labels ORDER BY created_at, id"
        )
    ).all()
    latest: dict[int, dict[str, str]] = {}
    remediated: set[int] = set()
    for finding_id, reviewer, verdict, fixed_code in rows:
        latest.setdefault(finding_id, {})[reviewer] = verdict
        if fixed_code:
            remediated.add(finding_id)
    states = []
    for finding_id, by_reviewer in latest.items():
        verdicts = list(by_reviewer.values())
        tp, fp = verdicts.count("true_positive"), verdicts.count("false_positive")
        consensus = None
        if tp or fp:
            consensus = "disputed" if tp and fp else ("true_positive" if tp else "false_positive")
        states.append(
            {
                "finding_id": finding_id,
                "version": 1,
                "reviewers": len(verdicts),
                "decisive": tp + fp,
                "true_positive": tp,
                "false_positive": fp,
                "needs_info": len(verdicts) - tp - fp,
                "consensus": consensus,
                "has_remediation": finding_id in remediated,
                "updated_at": datetime.now(UTC),
            }
        )
    if states:
        table = sa.table("review_states", *(sa.column(name) for name in states[0]))
        bind.execute(sa.insert(table), states)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION audit_log_append_only()")
    op.drop_table("guidelines")
    op.drop_table("users")
    op.drop_index("ix_audit_log_finding_id", "audit_log")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_table("audit_log")  # drops the SQLite triggers with it
    op.drop_index("ix_review_queue_priority", "review_queue")
    op.drop_table("review_queue")
    op.drop_table("review_states")
    op.drop_index("ix_findings_queue", "findings")
    op.drop_index("ix_findings_cross_tool", "findings")
    with op.batch_alter_table("labels", schema=None) as batch_op:
        batch_op.drop_index("ix_labels_reviewer")
        batch_op.drop_column("retracted_at")
        batch_op.drop_column("source")
        batch_op.drop_column("kind")
        batch_op.drop_column("fixing_commit")
