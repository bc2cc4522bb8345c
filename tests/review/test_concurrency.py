"""Two reviewers saving the same finding at the same moment, through two real PostgreSQL
sessions: both labels land and the finding's state counts both (optimistic versioning).
A barrier releases both writers together, for findings with and without a state row."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from store import FindingsStore
from store import labels as labels_module
from store.labels import add_label
from store.tables import LabelRecord, ReviewState
from tests.review.conftest import ingest_sample

pytestmark = pytest.mark.postgres


def test_simultaneous_labels_never_lose_an_update(pg_schema_url: str, monkeypatch) -> None:
    misses: list[int] = []
    write_state = labels_module._write_state

    def counting(conn, finding_id, read):
        try:
            return write_state(conn, finding_id, read)
        except labels_module._VersionMiss:
            misses.append(finding_id)
            raise

    monkeypatch.setattr(labels_module, "_write_state", counting)
    store = FindingsStore(pg_schema_url)
    ingest_sample(store)
    ids = [r.id for r in store.findings()][:12]
    # Half the findings already have a state row (UPDATE race), half do not (INSERT race).
    for finding_id in ids[::2]:
        add_label(store.engine, finding_id, "carol", "true_positive")

    engines = [sa.create_engine(store.engine.url) for _ in range(2)]  # two separate pools
    errors: list[BaseException] = []

    def reviewer(engine, name: str, verdict: str, barrier: threading.Barrier) -> None:
        try:
            for finding_id in ids:
                barrier.wait(timeout=30)
                add_label(engine, finding_id, name, verdict)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    barrier = threading.Barrier(2)
    threads = [
        threading.Thread(target=reviewer, args=(engines[0], "alice", "true_positive", barrier)),
        threading.Thread(target=reviewer, args=(engines[1], "bob", "false_positive", barrier)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    with store.engine.connect() as conn:
        states = {
            s.finding_id: s
            for s in (
                ReviewState.model_validate(r._mapping)
                for r in conn.execute(sa.select(ReviewState).where(ReviewState.finding_id.in_(ids)))
            )
        }
        labels = conn.execute(
            sa.select(sa.func.count())
            .select_from(LabelRecord)
            .where(LabelRecord.finding_id.in_(ids))
        ).scalar_one()
    assert labels == 2 * len(ids) + len(ids[::2])
    for position, finding_id in enumerate(ids):
        state = states[finding_id]
        earlier = 1 if position % 2 == 0 else 0
        assert state.reviewers == 2 + earlier, finding_id
        assert state.version == 2 + earlier  # every write bumped it exactly once
        assert (state.true_positive, state.false_positive) == (1 + earlier, 1)
        assert state.consensus == "disputed"
    # The race really happened (a writer's version check missed and it retried on fresh data);
    # without the retry, those findings would count one reviewer.
    assert misses, "no concurrent write collided: the test did not exercise the race"
    for engine in engines:
        engine.dispose()
    store.close()
