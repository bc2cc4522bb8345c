"""Labels, review states, undo, adjudication and the audit log, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from store.audit import audit_entries
from store.errors import StoreError
from store.labels import ConcurrentEdit, add_label, adjudicate, undo_last_label
from store.tables import ReviewState


def state(store, finding_id: int) -> ReviewState:
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(ReviewState).where(ReviewState.finding_id == finding_id))
        return ReviewState.model_validate(row.first()._mapping)


def test_state_follows_every_label(seeded) -> None:
    finding = seeded.findings()[0].id
    add_label(seeded.engine, finding, "alice", "true_positive", fixed_code="safe()")
    s = state(seeded, finding)
    assert (s.version, s.reviewers, s.decisive, s.consensus, s.has_remediation) == (
        1,
        1,
        1,
        "true_positive",
        True,
    )
    add_label(seeded.engine, finding, "bob", "needs_info", note="which input reaches it?")
    s = state(seeded, finding)
    assert (s.reviewers, s.decisive, s.needs_info, s.consensus) == (2, 1, 1, "true_positive")
    add_label(seeded.engine, finding, "bob", "false_positive")  # bob decides: replaces his
    s = state(seeded, finding)
    assert (s.version, s.reviewers, s.decisive, s.consensus) == (3, 2, 2, "disputed")
    assert seeded.label_states([finding])[finding].verdict == "disputed"


def test_bad_labels_write_nothing(seeded) -> None:
    finding = seeded.findings()[0].id
    with pytest.raises(StoreError, match="needs a note"):
        add_label(seeded.engine, finding, "alice", "needs_info")
    with pytest.raises(StoreError, match="is not one of"):
        add_label(seeded.engine, finding, "alice", "maybe")
    with pytest.raises(StoreError, match="finding 999999 does not exist"):
        add_label(seeded.engine, 999999, "alice", "true_positive")
    assert seeded.labels(finding) == []
    assert audit_entries(seeded.engine) == []


def test_undo_retracts_the_latest_label_and_keeps_the_row(seeded) -> None:
    first, second = (r.id for r in seeded.findings()[:2])
    add_label(seeded.engine, first, "alice", "true_positive")
    add_label(seeded.engine, second, "alice", "false_positive")
    undone = undo_last_label(seeded.engine, "alice")
    assert undone is not None and undone.finding_id == second
    assert state(seeded, second).reviewers == 0
    assert second not in seeded.label_states()
    assert seeded.labels(second)[0].retracted_at is not None  # kept, marked
    assert undo_last_label(seeded.engine, "alice").finding_id == first
    assert undo_last_label(seeded.engine, "alice") is None
    actions = [e.action for e in audit_entries(seeded.engine)]
    assert actions == ["undo", "undo", "label", "label"]


def test_adjudication_is_final_and_checks_the_version(seeded) -> None:
    finding = seeded.findings()[0].id
    add_label(seeded.engine, finding, "alice", "true_positive")
    add_label(seeded.engine, finding, "bob", "false_positive")
    seen = state(seeded, finding).version
    add_label(seeded.engine, finding, "carol", "false_positive")  # while the lead reads
    with pytest.raises(ConcurrentEdit, match="changed while you were deciding"):
        adjudicate(seeded.engine, finding, "lena", "false_positive", expected_version=seen)
    assert state(seeded, finding).final_verdict is None
    adjudicate(
        seeded.engine,
        finding,
        "lena",
        "true_positive",
        expected_version=state(seeded, finding).version,
        note="the request parameter reaches the sink",
    )
    s = seeded.label_states([finding])[finding]
    assert (s.verdict, s.final) == ("true_positive", True)
    with pytest.raises(StoreError, match="adjudicated by lena"):
        add_label(seeded.engine, finding, "dave", "false_positive")
    entry = audit_entries(seeded.engine, action="adjudicate")[0]
    assert entry.actor == "lena" and entry.before["consensus"] == "disputed"
    assert entry.after["final_verdict"] == "true_positive"


def test_the_audit_log_is_append_only_in_the_database(seeded) -> None:
    finding = seeded.findings()[0].id
    add_label(seeded.engine, finding, "alice", "true_positive")
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with seeded.engine.begin() as conn:
                conn.execute(sa.text(statement))
    assert [e.actor for e in audit_entries(seeded.engine)] == ["alice"]
