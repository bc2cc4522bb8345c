"""The append-only audit log: who did what, when, with the state before and after.

Writes go through `append_audit` inside the transaction of the change they record, so a
change and its audit entry land together or not at all. The database refuses UPDATE and
DELETE on the table (triggers, migration 0003)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from store.tables import AuditEntry, utcnow


def append_audit(
    conn: Connection,
    actor: str,
    action: str,
    *,
    finding_id: int | None = None,
    subject: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    conn.execute(
        sa.insert(AuditEntry).values(
            at=utcnow(),
            actor=actor,
            action=action,
            finding_id=finding_id,
            subject=subject,
            before=before,
            after=after,
        )
    )


def audit_entries(
    engine: Engine,
    *,
    actor: str | None = None,
    action: str | None = None,
    finding_id: int | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AuditEntry]:
    """The newest entries first."""
    statement = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        statement = statement.where(AuditEntry.actor == actor)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if finding_id is not None:
        statement = statement.where(AuditEntry.finding_id == finding_id)
    if since is not None:
        statement = statement.where(AuditEntry.at >= since)
    with engine.connect() as conn:
        return [AuditEntry.model_validate(row._mapping) for row in conn.execute(statement)]
