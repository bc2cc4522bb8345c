"""The review queue, a finding's view, conflicts and bulk labelling, on both databases."""

from __future__ import annotations

from labeling_ui.review_desk import QueueFilter, ReviewDesk
from store.labels import add_label
from vector_memory.label_model import Suggestion


def test_queue_orders_by_priority_then_severity_and_filters(seeded) -> None:
    desk = ReviewDesk(seeded.engine)
    records = seeded.findings()
    page = desk.queue("alice")
    assert page.total == len(records) == 52
    assert page.by_severity == {"high": 17, "medium": 26, "low": 9}
    # No suggestions yet: most severe first.
    assert [r.severity for r in page.rows[:3]] == ["high"] * 3
    # Stored suggestions decide the order; a finding with none goes after them.
    low = [r for r in records if r.severity == "low"]
    desk.save_suggestions(
        [
            Suggestion(**entry)
            for entry in (
                {
                    "finding_id": low[0].id,
                    "priority": 0.9,
                    "suggested_label": "true_positive",
                    "confidence": 0.55,
                    "method": "classifier",
                },
                {
                    "finding_id": low[1].id,
                    "priority": 0.4,
                    "suggested_label": "false_positive",
                    "confidence": 0.8,
                    "method": "classifier",
                },
            )
        ]
    )
    rows = desk.queue("alice").rows
    assert [r.finding_id for r in rows[:2]] == [low[0].id, low[1].id]
    assert rows[0].suggested_label == "true_positive"
    assert desk.queue("alice", QueueFilter(suggested_label="false_positive")).total == 1
    assert desk.queue("alice", QueueFilter(tool="bandit")).total == 17
    assert desk.queue("alice", QueueFilter(severities=["low"])).total == 9
    cwe = next(r.cwe_ids[0] for r in records if r.cwe_ids)
    expected = sum(cwe in r.cwe_ids for r in records)
    assert desk.queue("alice", QueueFilter(cwe=cwe)).total == expected
    # Paging: 52 findings in pages of 20.
    ids = [r.finding_id for p in range(3) for r in desk.queue("alice", page=p, size=20).rows]
    assert len(ids) == len(set(ids)) == 52


def test_each_finding_needs_n_independent_labels(seeded) -> None:
    desk = ReviewDesk(seeded.engine, labels_required=2)
    target = desk.queue("alice").rows[0].finding_id
    add_label(seeded.engine, target, "alice", "true_positive")
    assert target not in [r.finding_id for r in desk.queue("alice", size=100).rows]
    assert target in [r.finding_id for r in desk.queue("bob", size=100).rows]  # needs a 2nd
    # Bob does not see Alice's verdict until he gives his own; leads do.
    assert desk.finding(target, "bob").others is None
    assert [x.reviewer for x in desk.finding(target, "lena", lead=True).others] == ["alice"]
    add_label(seeded.engine, target, "bob", "false_positive")
    assert [x.reviewer for x in desk.finding(target, "bob").others] == ["alice"]
    # Two labels that disagree: out of every queue, into the leads' conflicts.
    assert target not in [r.finding_id for r in desk.queue("carol", size=100).rows]
    assert [record.id for _, record in desk.conflicts()] == [target]
    # With one label required, an agreed finding leaves the queue for everyone.
    single = ReviewDesk(seeded.engine)
    other = single.queue("alice").rows[0].finding_id
    add_label(seeded.engine, other, "alice", "false_positive")
    assert other not in [r.finding_id for r in single.queue("bob", size=100).rows]


def test_finding_view_has_the_group_lifecycle_and_guideline(seeded) -> None:
    from store.guidelines import save_guideline

    desk = ReviewDesk(seeded.engine)
    grouped = next(
        r for r in seeded.findings() if len(desk.finding(r.id, "alice").group) > 1 and r.cwe_ids
    )
    save_guideline(
        seeded.engine, grouped.cwe_ids[0], "Check the *source*.", "lena", expected_version=0
    )
    view = desk.finding(grouped.id, "alice")
    assert len({g["tool"] for g in view.group}) >= 2
    assert view.cwes[0][2].startswith("https://cwe.mitre.org/data/definitions/")
    assert view.guidelines == [(grouped.cwe_ids[0], "Check the *source*.")]
    assert view.record.snippet and view.own is None and view.others is None
    assert desk.finding(999999, "alice") is None


def test_bulk_labels_the_cross_tool_group(seeded) -> None:
    desk = ReviewDesk(seeded.engine)
    views = (desk.finding(r.id, "alice") for r in seeded.findings())
    grouped = next(v for v in views if desk.same_group(v, "alice"))
    mates = desk.same_group(grouped, "alice")
    grouped_id = grouped.record.id
    labels = desk.bulk_label([grouped_id, *mates], "alice", "false_positive", note="test code")
    assert len(labels) == 1 + len(mates)
    assert all(x.source == "bulk" for x in labels)
    assert desk.same_group(desk.finding(grouped_id, "alice"), "alice") == []
    states = seeded.label_states([grouped_id, *mates])
    assert {s.verdict for s in states.values()} == {"false_positive"}


def test_upcoming_follows_the_shown_order_and_refills(seeded) -> None:
    desk = ReviewDesk(seeded.engine)
    shown = desk.upcoming("alice", None)
    assert len(shown) == 25 and shown == [r.finding_id for r in desk.queue("alice").rows]
    add_label(seeded.engine, shown[1], "bob", "true_positive")  # leaves the queue meanwhile
    assert desk.upcoming("alice", None, shown[0], shown)[:2] == [shown[2], shown[3]]
    # The cached order ran out: a fresh page from the queue.
    fresh = desk.upcoming("alice", None, shown[-1], [shown[-1]])
    assert shown[-1] not in fresh and fresh[0] == shown[0]
    # Filters apply to the cached order too.
    bandit = QueueFilter(tool="bandit")
    ids = desk.upcoming("alice", bandit, None, shown)
    assert all(r.tool == "bandit" for r in seeded.findings_by_id(ids))
