"""The findings index on a real local Qdrant collection stays consistent with the store
through ingest, relabel, re-ingest and fixes; it embeds only what is new or changed.

The tests that take the `index` fixture run twice: on a local-mode folder, and on a Qdrant
server when FLYWHEEL_TEST_QDRANT_URL names one (e.g. `docker run -p 6333:6333 qdrant/qdrant`;
no server can be started on the CI machine, so there they skip and say why)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import numpy as np
import pytest

from store import FindingsStore
from store.errors import StoreError
from tests.test_lifecycle import T0, ingest, semgrep_report
from vector_memory.embedder import Embedder
from vector_memory.index import (
    FindingIndex,
    SimilarFilter,
    VectorIndexError,
    open_client,
)


def results(count: int, start: int = 0, cwe_code: str = "os.system") -> list[dict]:
    return [
        {
            "check_id": f"rule-{i % 4}",
            "path": f"app/module_{i}.py",
            "line": 10 + i,
            "code": f"    {cwe_code}('run ' + value_{i})",
            "message": f"Command {i} built from input runs in a shell.",
        }
        for i in range(start, start + count)
    ]


def server_url() -> str:
    url = os.environ.get("FLYWHEEL_TEST_QDRANT_URL", "")
    if not url:
        pytest.skip("no Qdrant server: set FLYWHEEL_TEST_QDRANT_URL to run the server-mode tests")
    try:
        httpx.get(f"{url.rstrip('/')}/readyz", timeout=3).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.skip(f"Qdrant server at {url} does not answer: {exc}")
    return url


@pytest.fixture(params=["local", "server"])
def index(request: pytest.FixtureRequest, embedder: Embedder, qdrant_path: Path):
    if request.param == "local":
        index = FindingIndex(open_client(qdrant_path), embedder)
        yield index
        index.close()
        return
    # A fresh collection per test on the shared server, dropped afterwards.
    client = open_client(url=server_url(), api_key=os.environ.get("FLYWHEEL_TEST_QDRANT_API_KEY"))
    index = FindingIndex(client, embedder, collection=f"test-{uuid.uuid4().hex[:12]}")
    assert not index.local
    yield index
    client.delete_collection(index.collection)
    index.close()


def payload_matches_store(index: FindingIndex, store: FindingsStore) -> None:
    payloads = index.payloads()
    records = {r.id: r for r in store.findings()}
    assert set(payloads) == set(records)
    labels = store.label_states()
    for finding_id, record in records.items():
        payload = payloads[finding_id]
        assert payload["status"] == record.status
        assert payload["severity"] == record.severity
        assert payload["cwe"] == record.cwe_ids
        state = labels.get(finding_id)
        assert payload.get("label") == (state.verdict if state else None)


def test_sync_is_incremental_and_consistent(index: FindingIndex, store, tmp_path: Path) -> None:
    ingest(store, semgrep_report(tmp_path, "a.json", results(20)))
    first = index.sync(store)
    assert (first.embedded, first.unchanged) == (20, 0)
    assert index.count() == 20
    payload_matches_store(index, store)

    again = index.sync(store)
    assert (again.embedded, again.payloads_updated, again.unchanged) == (0, 0, 20)

    # Ten new findings in a newer scan (the 20 old ones are still there): 10 embedded.
    report = semgrep_report(tmp_path, "b.json", results(30))
    ingest(store, report, at=T0 + timedelta(days=1))
    grown = index.sync(store)
    assert (grown.embedded, grown.unchanged) == (10, 20)
    payload_matches_store(index, store)


def test_fix_and_label_update_payloads_not_vectors(index: FindingIndex, store, tmp_path) -> None:
    ingest(store, semgrep_report(tmp_path, "a.json", results(6)))
    index.sync(store)
    before = index.vectors([r.id for r in store.findings()])

    # A newer scan without two findings closes them: payload change only.
    ingest(store, semgrep_report(tmp_path, "b.json", results(4)), at=T0 + timedelta(days=1))
    target = store.findings()[0].id
    store.add_label(target, "alice", "true_positive", fixed_code="subprocess.run(['ls'])")
    stats = index.sync(store)
    assert stats.embedded == 0 and stats.payloads_updated == 3
    payload_matches_store(index, store)
    payloads = index.payloads()
    assert sorted(p["status"] for p in payloads.values()).count("fixed") == 2
    assert payloads[target]["remediation"] == "remediation-written"
    after = index.vectors(list(before))
    for finding_id, vector in before.items():
        np.testing.assert_array_equal(vector, after[finding_id])

    # A second reviewer disagrees: disputed, and refresh_payloads applies it at once.
    store.add_label(target, "bob", "false_positive")
    assert index.refresh_payloads(store, [target]) == 1
    assert index.payloads([target])[target]["label"] == "disputed"
    assert index.sync(store).payloads_updated == 0


def test_reingesting_the_same_report_changes_nothing(index: FindingIndex, store, tmp_path) -> None:
    report = semgrep_report(tmp_path, "a.json", results(5))
    ingest(store, report)
    index.sync(store)
    ingest(store, report)
    stats = index.sync(store)
    assert (stats.embedded, stats.payloads_updated, stats.unchanged) == (0, 0, 5)


def test_index_survives_reopening(embedder: Embedder, qdrant_path: Path, store, tmp_path) -> None:
    ingest(store, semgrep_report(tmp_path, "a.json", results(5)))
    first = FindingIndex(open_client(qdrant_path), embedder)
    first.sync(store)
    first.close()
    second = FindingIndex(open_client(qdrant_path), embedder)
    try:
        assert second.sync(store).unchanged == 5
    finally:
        second.close()
    # Local mode's points file is in WAL mode (one fsync-free commit per point, not two fsyncs).
    (points_file,) = qdrant_path.glob(f"collection/{first.collection}/*.sqlite")
    with sqlite3.connect(points_file) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT count(*) FROM points").fetchone()[0] == 5


def test_similar_finds_the_same_pattern_and_filters_exactly(index: FindingIndex, store, tmp_path):
    rows = results(12) + [
        {
            "check_id": "sql",
            "path": f"app/db_{i}.py",
            "line": 5,
            "code": f"    cursor.execute('SELECT * FROM t WHERE id = ' + ident_{i})",
            "message": "SQL query built by string concatenation.",
        }
        for i in range(6)
    ]
    ingest(store, semgrep_report(tmp_path, "a.json", rows))
    index.sync(store)
    records = store.findings()
    sql = [r.id for r in records if r.rule_id == "sql"]
    neighbours = index.similar(sql[0], k=5)
    assert sql[0] not in [n.finding_id for n in neighbours]
    assert [n.finding_id for n in neighbours][:5] == sorted(
        [n.finding_id for n in neighbours][:5],
        key=lambda i: -next(n.score for n in neighbours if n.finding_id == i),
    )
    assert {n.finding_id for n in neighbours} == set(sql[1:]), "SQL findings are nearest"

    # The over-fetching local search returns what Qdrant's own filtered search returns.
    target = records[0].id
    store.add_label(records[3].id, "alice", "false_positive")
    store.add_label(records[7].id, "alice", "true_positive")
    index.sync(store)
    for filters in (
        SimilarFilter(labelled_only=True),
        SimilarFilter(cwe=78),
        SimilarFilter(service="none"),
    ):
        fast = index.similar(target, k=4, filters=filters)
        vector = index.vectors([target])[target]
        exact = [h for h in index._query(vector, 10, filters.qdrant()) if h.finding_id != target][
            :4
        ]
        assert [n.finding_id for n in fast] == [n.finding_id for n in exact], filters
    labelled = index.similar(target, k=10, filters=SimilarFilter(labelled_only=True))
    assert {n.finding_id for n in labelled} == {records[3].id, records[7].id}


def test_similar_of_an_unindexed_finding_is_named(index: FindingIndex) -> None:
    with pytest.raises(VectorIndexError, match="finding 999 is not in the index"):
        index.similar(999)


def test_a_collection_of_another_dimension_is_refused(embedder: Embedder, qdrant_path: Path):
    from qdrant_client import models

    client = open_client(qdrant_path)
    index = FindingIndex(client, embedder)
    client.delete_collection(index.collection)
    client.create_collection(
        index.collection,
        vectors_config=models.VectorParams(size=8, distance=models.Distance.COSINE),
    )
    with pytest.raises(VectorIndexError, match="holds 8-d vectors"):
        FindingIndex(client, embedder)
    client.close()


def test_a_folder_in_use_is_named(qdrant_path: Path) -> None:
    first = open_client(qdrant_path)
    try:
        with pytest.raises(VectorIndexError, match="in use by another process"):
            open_client(qdrant_path)
    finally:
        first.close()


def test_labels_are_validated_and_never_touch_findings(store, tmp_path: Path) -> None:
    ingest(store, semgrep_report(tmp_path, "a.json", results(1)))
    finding = store.findings()[0]
    with pytest.raises(StoreError, match="finding 999 does not exist"):
        store.add_label(999, "alice", "true_positive")
    with pytest.raises(StoreError, match="verdict 'maybe' is not one of"):
        store.add_label(finding.id, "alice", "maybe")
    with pytest.raises(StoreError, match="reviewer"):
        store.add_label(finding.id, " ", "true_positive")
    assert store.labels(finding.id) == []
    store.add_label(finding.id, "alice", "true_positive")
    store.add_label(finding.id, "alice", "false_positive")  # alice changes her mind
    assert [label.verdict for label in store.labels(finding.id)] == [
        "true_positive",
        "false_positive",
    ]
    state = store.label_states()[finding.id]
    assert (state.verdict, state.reviewers) == ("false_positive", 1)
    assert store.finding(finding.id).version == finding.version
