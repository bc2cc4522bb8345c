"""Corpus snapshots on a real store (SQLite and PostgreSQL): immutable, hashed, idempotent,
and split so that related findings never straddle train and eval."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from store import FindingsStore
from store.labels import add_label, adjudicate, label_states
from store.snapshots import (
    SnapshotError,
    SnapshotRecord,
    assign_splits,
    create_snapshot,
    decided_now,
    get_snapshot,
    list_snapshots,
    load_items,
)
from store.tables import ReviewState, SnapshotItem
from tests.gate.conftest import ingest_synthetic
from tests.review.conftest import ingest_sample

POLICY = {
    "split_by": "group",
    "eval_fraction": 0.2,
    "near_duplicate_jaccard": 0.8,
    "labels_required": 1,
}


def test_a_snapshot_freezes_the_labeled_corpus(corpus_store: FindingsStore) -> None:
    snapshot, created = create_snapshot(corpus_store.engine, POLICY)
    assert created
    assert (snapshot.items, snapshot.decided, snapshot.true_positives) == (60, 60, 30)
    assert snapshot.train + snapshot.eval == 60
    assert 4 <= snapshot.eval <= 24  # about a fifth, by group hash
    assert len(snapshot.content_hash) == 64
    items = load_items(corpus_store.engine, snapshot.id)
    first = items[0]
    assert first.record.rule_id.startswith("flywheel.python.")
    assert first.record.code.startswith("def handler_")
    assert first.record.fixed_code.startswith("def handler_")  # a true positive's fix
    assert [label.reviewer for label in first.record.labels] == ["alice", "bob"]
    assert decided_now(corpus_store.engine, 1) == 60


def test_snapshotting_an_unchanged_corpus_returns_the_same_snapshot(
    corpus_store: FindingsStore,
) -> None:
    first, _ = create_snapshot(corpus_store.engine, POLICY)
    again, created = create_snapshot(corpus_store.engine, POLICY)
    assert not created
    assert again.id == first.id and again.content_hash == first.content_hash
    assert len(list_snapshots(corpus_store.engine)) == 1


def test_later_labels_never_change_a_snapshot(corpus_store: FindingsStore) -> None:
    engine = corpus_store.engine
    first, _ = create_snapshot(engine, POLICY)
    before = load_items(engine, first.id)
    target = before[1].finding_id  # alice said false positive
    add_label(engine, target, "bob", "true_positive")  # now disputed
    second, created = create_snapshot(engine, POLICY)
    assert created and second.content_hash != first.content_hash
    assert load_items(engine, first.id) == before
    disputed = {i.finding_id: i for i in load_items(engine, second.id)}[target]
    assert (disputed.status, disputed.verdict) == ("disputed", None)
    # a lead's adjudication decides it again
    assert label_states(engine, [target])[target].verdict == "disputed"
    with engine.connect() as conn:
        current = conn.execute(
            sa.select(ReviewState.version).where(ReviewState.finding_id == target)
        ).scalar_one()
    adjudicate(
        engine, target, "lena", "true_positive", expected_version=current, fixed_code="safe()"
    )
    third, _ = create_snapshot(engine, POLICY)
    decided = {i.finding_id: i for i in load_items(engine, third.id)}[target]
    assert (decided.status, decided.verdict) == ("decided", "true_positive")
    assert decided.record.fixed_code == "safe()"  # the adjudicator's fix wins
    assert [s.id for s in list_snapshots(engine)] == [first.id, second.id, third.id]


def test_findings_short_of_the_required_labels_are_pending(corpus_store: FindingsStore) -> None:
    snapshot, _ = create_snapshot(corpus_store.engine, {**POLICY, "labels_required": 2})
    assert snapshot.decided == 12  # only those bob labeled too
    statuses = {i.status for i in load_items(corpus_store.engine, snapshot.id)}
    assert statuses == {"decided", "pending"}
    assert decided_now(corpus_store.engine, 2) == 12


def test_cross_tool_groups_share_a_split(store: FindingsStore) -> None:
    ingest_sample(store)  # real reports: bandit and semgrep agree on several findings
    rows = store.findings()
    groups: dict[str, list[int]] = {}
    for row in rows:
        groups.setdefault(row.cross_tool_key, []).append(row.id)
    shared = [ids for ids in groups.values() if len(ids) > 1]
    assert shared, "the sample holds cross-tool groups"
    for row in rows:
        add_label(store.engine, row.id, "alice", "true_positive")
    for fraction in (0.3, 0.5, 0.7):
        snapshot, _ = create_snapshot(store.engine, {**POLICY, "eval_fraction": fraction})
        split = {i.finding_id: i.split for i in load_items(store.engine, snapshot.id)}
        for ids in shared:
            assert len({split[i] for i in ids}) == 1


def record(**fields: str) -> SnapshotRecord:
    return SnapshotRecord(tool="t", rule_id="r", kind="sast", severity="high", **fields)


def test_near_duplicates_share_a_split_and_repositories_can_be_kept_whole() -> None:
    base = "def view(request):\n    return render(request.args['page'] + ' suffix')"
    records = [
        record(cross_tool_key=f"k{i}", repository=f"repo{i % 3}", code=code, fingerprint=f"f{i}")
        for i, code in enumerate(
            [base, base.replace("    ", "\t"), base + " + ''", *[f"x{i} = y{i}" for i in range(40)]]
        )
    ]
    for fraction in (0.2, 0.5, 0.8):
        splits = assign_splits(records, {**POLICY, "eval_fraction": fraction})
        assert splits[0] == splits[1] == splits[2]  # exact, whitespace, near duplicate
        assert len({group for _, group in splits}) == 41
    by_repo = assign_splits(records, {**POLICY, "split_by": "repository", "eval_fraction": 0.5})
    for repo in range(3):
        assert (
            len({by_repo[i][0] for i, r in enumerate(records) if r.repository == f"repo{repo}"})
            == 1
        )


def test_the_split_does_not_depend_on_order() -> None:
    records = [record(cross_tool_key=f"k{i}", code=f"a{i} = b{i} + c{i}") for i in range(50)]
    forward = assign_splits(records, POLICY)
    backward = assign_splits(records[::-1], POLICY)[::-1]
    assert forward == backward
    assert 3 <= sum(split == "eval" for split, _ in forward) <= 20


def test_an_unknown_snapshot_is_a_clear_error(store: FindingsStore) -> None:
    with pytest.raises(SnapshotError, match="snapshot 42 does not exist"):
        get_snapshot(store.engine, 42)
    with pytest.raises(SnapshotError, match="snapshot 42 does not exist"):
        load_items(store.engine, 42)


def test_a_failed_snapshot_write_leaves_nothing(corpus_store: FindingsStore) -> None:
    import store.snapshots as snapshot_module

    items = snapshot_module.build_items(corpus_store.engine, POLICY)
    broken = [*items, items[0]]  # the same finding twice violates the items' primary key
    with pytest.raises(sa.exc.IntegrityError):
        snapshot_module.write_snapshot(corpus_store.engine, POLICY, broken, "test")
    assert list_snapshots(corpus_store.engine) == []
    with corpus_store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(SnapshotItem)).scalar_one() == 0


def test_growth_adds_findings_without_moving_old_ones(
    corpus_store: FindingsStore, tmp_path: Path
) -> None:
    engine = corpus_store.engine
    first, _ = create_snapshot(engine, POLICY)
    old = {i.finding_id: i.split for i in load_items(engine, first.id)}
    for finding_id in ingest_synthetic(corpus_store, tmp_path, 30, start=60):
        add_label(engine, finding_id, "alice", "false_positive")
    second, _ = create_snapshot(engine, POLICY)
    new = {i.finding_id: i.split for i in load_items(engine, second.id)}
    assert second.decided == 90
    assert {k: new[k] for k in old} == old
