"""Export to JSONL and datasets, and imports of triage decisions (our export, DefectDojo,
SARIF suppressions): one transaction each, bad input named, nothing partial."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from store import FindingsStore
from store.label_transfer import (
    TransferError,
    export_dataset,
    export_jsonl,
    import_defectdojo,
    import_jsonl,
    import_sarif_suppressions,
)
from store.labels import add_label, adjudicate
from tests.review.conftest import ingest_sample
from tests.test_lifecycle import ingest, semgrep_report


def label_some(store: FindingsStore) -> list[int]:
    ids = [r.id for r in store.findings()][:4]
    add_label(store.engine, ids[0], "alice", "true_positive", fixed_code="subprocess.run(['ls'])")
    add_label(store.engine, ids[1], "alice", "false_positive", note="test fixture")
    add_label(store.engine, ids[2], "alice", "true_positive")
    add_label(store.engine, ids[2], "bob", "false_positive")  # disputed: not exported
    add_label(store.engine, ids[3], "alice", "true_positive")
    add_label(store.engine, ids[3], "bob", "false_positive")
    adjudicate(store.engine, ids[3], "lena", "false_positive", expected_version=2)
    return ids


def test_export_reimports_into_another_store(seeded, tmp_path: Path) -> None:
    ids = label_some(seeded)
    path = tmp_path / "labels.jsonl"
    assert export_jsonl(seeded.engine, path) == 3
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["verdict"] for r in rows] == ["true_positive", "false_positive", "false_positive"]
    assert rows[0]["fixed_code"] == "subprocess.run(['ls'])" and rows[2]["final"] is True
    assert export_jsonl(seeded.engine, tmp_path / "all.jsonl", decided_only=False) == 4

    other = FindingsStore(f"sqlite:///{tmp_path / 'other.db'}")
    ingest_sample(other)
    summary = import_jsonl(other.engine, path)
    assert (summary.imported, summary.skipped, summary.unmatched) == (4, 1, [])
    states = other.label_states()
    assert sorted(s.verdict for s in states.values()) == [
        "disputed",
        "false_positive",
        "true_positive",
    ]
    again = import_jsonl(other.engine, path)  # idempotent
    assert (again.imported, again.already) == (0, 4)
    assert {x.source for i in states for x in other.labels(i)} == {"import:labels.jsonl:workbench"}
    other.close()

    dataset = export_dataset(seeded.engine)
    assert dataset.num_rows == 3 and {"snippet", "verdict", "fixed_code", "cwe_ids"} <= set(
        dataset.column_names
    )
    assert ids


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "holds no labels"),
        (
            '{"finding": {"tool": "semgrep", "fingerprint": "x"}, "labels": []}\nnot json\n',
            "line 2 is not JSON",
        ),
        ("[1, 2]\n", "line 1 is not a JSON object"),
        ('{"labels": []}\n', "line 1 needs 'finding' and 'labels'"),
        ('{"finding": {"tool": "semgrep"}, "labels": []}\n', "line 1: finding lacks fingerprint"),
        (
            '{"finding": {"tool": "t", "fingerprint": "f"}, "labels": [{"verdict": "maybe"}]}\n',
            "each label needs a verdict",
        ),
    ],
)
def test_bad_label_files_are_named_and_write_nothing(seeded, tmp_path, content, message) -> None:
    label_some(seeded)
    before = {i: len(seeded.labels(i)) for i in seeded.label_states()}
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(TransferError, match=message) as error:
        import_jsonl(seeded.engine, path)
    assert str(path) in str(error.value)
    assert {i: len(seeded.labels(i)) for i in seeded.label_states()} == before


def test_a_bad_record_late_in_the_file_rolls_back_the_good_ones(seeded, tmp_path) -> None:
    label_some(seeded)
    good = tmp_path / "good.jsonl"
    export_jsonl(seeded.engine, good)
    other = FindingsStore(f"sqlite:///{tmp_path / 'other.db'}")
    ingest_sample(other)
    lines = good.read_text().splitlines()
    broken = json.loads(lines[-1])
    broken["labels"][0]["verdict"] = "needs_info"
    broken["labels"][0]["reviewer"] = ""
    (tmp_path / "mixed.jsonl").write_text("\n".join([*lines[:-1], json.dumps(broken)]) + "\n")
    with pytest.raises(TransferError, match="line 3: a label has no reviewer"):
        import_jsonl(other.engine, tmp_path / "mixed.jsonl")
    assert other.label_states() == {}
    other.close()


def test_defectdojo_statuses_become_labels_with_their_source(seeded, tmp_path) -> None:
    records = [r for r in seeded.findings() if r.path and r.start_line and r.cwe_ids][:3]
    items = [
        {
            "id": 101,
            "title": "a",
            "file_path": records[0].path,
            "line": records[0].start_line,
            "cwe": records[0].cwe_ids[0],
            "false_p": True,
            "last_reviewed_by": 7,
        },
        {
            "id": 102,
            "title": "b",
            "file_path": "./" + records[1].path,
            "line": records[1].start_line,
            "verified": True,
            "mitigation": "use parameters",
        },
        {
            "id": 103,
            "title": "c",
            "file_path": records[2].path,
            "line": records[2].start_line,
            "risk_accepted": True,
        },
        {"id": 104, "title": "untriaged", "file_path": records[2].path, "line": 1, "active": True},
        {"id": 105, "title": "elsewhere", "file_path": "nope.py", "line": 3, "false_p": True},
    ]
    path = tmp_path / "dojo.json"
    path.write_text(json.dumps({"count": 5, "results": items}))
    summary = import_defectdojo(seeded.engine, path)
    assert (summary.imported, summary.skipped, len(summary.unmatched)) == (3, 1, 1)
    states = seeded.label_states()
    assert states[records[0].id].verdict == "false_positive"
    assert states[records[1].id].verdict == "true_positive"
    label = seeded.labels(records[0].id)[0]
    assert (label.reviewer, label.source) == ("defectdojo:7", "import:defectdojo:101")
    assert import_defectdojo(seeded.engine, path).already == 3

    path.write_text('{"results": [{"title": "no id"}]}')
    with pytest.raises(TransferError, match="finding 1 has no 'id'"):
        import_defectdojo(seeded.engine, path)
    path.write_text('{"something": "else"}')
    with pytest.raises(TransferError, match="not a DefectDojo findings export"):
        import_defectdojo(seeded.engine, path)


def test_sarif_suppressions_become_false_positives(store, tmp_path) -> None:
    report = semgrep_report(
        tmp_path,
        "s.json",
        [
            {"check_id": "r1", "path": "a.py", "line": 3, "code": "x = 1", "message": "m"},
            {
                "check_id": "r2",
                "path": "b.py",
                "line": 4,
                "code": "y = 2",
                "message": "m",
                "ignored": True,
            },
        ],
    )
    ingest(store, report)
    summary = import_sarif_suppressions(store.engine)
    assert summary.imported == 1
    (state,) = store.label_states().values()
    assert state.verdict == "false_positive"
    assert import_sarif_suppressions(store.engine).already == 1
