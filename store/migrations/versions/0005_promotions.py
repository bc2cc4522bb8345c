"""Promotion decisions with their reward-yardstick gap, for the gate dashboard.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime(timezone=True)
JSONType = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "promotion_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model_name", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("decided_at", Timestamp, nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("reward_yardstick_gap", sa.Boolean(), nullable=False),
        sa.Column("decision", JSONType, nullable=False),
    )
    op.create_index("ix_promotion_decisions_decided_at", "promotion_decisions", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_promotion_decisions_decided_at", table_name="promotion_decisions")
    op.drop_table("promotion_decisions")
