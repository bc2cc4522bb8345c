"""Per-CWE Markdown guidelines that leads write and reviewers read beside a finding.

Edits are optimistic: a lead saves against the version they opened; if another lead saved
in between, nothing is written and the editor shows the newer text (no silent overwrite).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from store.audit import append_audit
from store.labels import ConcurrentEdit
from store.tables import Guideline, utcnow


def guideline(engine: Engine, cwe: int) -> Guideline | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(Guideline).where(Guideline.cwe == cwe)).first()
    return Guideline.model_validate(row._mapping) if row else None


def guidelines(engine: Engine) -> list[Guideline]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(Guideline).order_by(Guideline.cwe))
        return [Guideline.model_validate(r._mapping) for r in rows]


def save_guideline(
    engine: Engine, cwe: int, text: str, lead: str, *, expected_version: int
) -> Guideline:
    """Write the guideline of `cwe`; `expected_version` is 0 for a new one."""
    now = utcnow()
    with engine.begin() as conn:
        row = conn.execute(sa.select(Guideline).where(Guideline.cwe == cwe)).first()
        current = Guideline.model_validate(row._mapping) if row else None
        version = current.version if current else 0
        if version != expected_version:
            raise ConcurrentEdit(
                f"the CWE-{cwe} guideline was saved by {current.updated_by if current else '?'} "
                f"while you edited it (version {expected_version} -> {version}); "
                "your text was not saved: merge it into the newer one"
            )
        if current is None:
            conn.execute(
                sa.insert(Guideline).values(
                    cwe=cwe, text=text, version=1, updated_by=lead, updated_at=now
                )
            )
        else:
            done = conn.execute(
                sa.update(Guideline)
                .where(Guideline.cwe == cwe, Guideline.version == version)
                .values(text=text, version=version + 1, updated_by=lead, updated_at=now)
            )
            if done.rowcount != 1:
                raise ConcurrentEdit(f"the CWE-{cwe} guideline changed while saving: reload it")
        append_audit(
            conn,
            lead,
            "guideline.edit",
            subject=f"CWE-{cwe}",
            before={"version": version, "text": current.text} if current else None,
            after={"version": version + 1, "text": text},
        )
    return Guideline(cwe=cwe, text=text, version=version + 1, updated_by=lead, updated_at=now)
