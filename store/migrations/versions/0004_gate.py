"""Quality gates: corpus snapshots and their items, gate runs, retraining-trigger
evaluations, and the lineage from registered model versions to snapshots.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "corpus_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("policy", JSONType, nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("true_positives", sa.Integer(), nullable=False),
        sa.Column("train", sa.Integer(), nullable=False),
        sa.Column("eval", sa.Integer(), nullable=False),
    )
    op.create_table(
        "snapshot_items",
        sa.Column(
            "snapshot_id", sa.Integer(), sa.ForeignKey("corpus_snapshots.id"), primary_key=True
        ),
        sa.Column("finding_id", sa.Integer(), primary_key=True),
        sa.Column("split", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("record", JSONType, nullable=False),
    )
    op.create_table(
        "gate_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "snapshot_id", sa.Integer(), sa.ForeignKey("corpus_snapshots.id"), nullable=False
        ),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("thresholds_version", sa.Integer(), nullable=False),
        sa.Column("thresholds_hash", sa.String(length=64), nullable=False),
        sa.Column("report", JSONType, nullable=False),
        sa.Column("docs_path", sa.Text(), nullable=True),
        sa.Column("evaluated_at", Timestamp, nullable=False),
    )
    op.create_index("ix_gate_runs_snapshot_id", "gate_runs", ["snapshot_id"])
    op.create_index("ix_gate_runs_evaluated_at", "gate_runs", ["evaluated_at"])
    op.create_table(
        "trigger_evaluations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("fired", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_now", sa.Integer(), nullable=False),
        sa.Column("decided_baseline", sa.Integer(), nullable=True),
        sa.Column("snapshot_id", sa.Integer(), sa.ForeignKey("corpus_snapshots.id"), nullable=True),
        sa.Column("gate_run_id", sa.Integer(), sa.ForeignKey("gate_runs.id"), nullable=True),
        sa.Column("run_key", sa.Text(), nullable=True),
    )
    op.create_index("ix_trigger_evaluations_at", "trigger_evaluations", ["at"])
    op.create_table(
        "model_lineage",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model_name", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column(
            "snapshot_id", sa.Integer(), sa.ForeignKey("corpus_snapshots.id"), nullable=False
        ),
        sa.Column("registered_at", Timestamp, nullable=False),
    )
    op.create_index("ix_model_lineage_registered_at", "model_lineage", ["registered_at"])


def downgrade() -> None:
    op.drop_table("model_lineage")
    op.drop_table("trigger_evaluations")
    op.drop_table("gate_runs")
    op.drop_table("snapshot_items")
    op.drop_table("corpus_snapshots")
