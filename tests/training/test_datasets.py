"""Datasets from a gate-passing snapshot: content, determinism, lineage, refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.retraining import TrainingRefused, gated_snapshot
from quality_gates.thresholds import load_thresholds
from store import FindingsStore
from store.snapshots import create_snapshot, get_snapshot, load_items
from tests.training.corpus import families_corpus
from training.datasets import build_datasets, dataset_rows, guidelines, task_of


@pytest.fixture
def corpus(tmp_path: Path):
    store = FindingsStore(f"sqlite:///{tmp_path / 'findings.db'}")
    snapshot_id, thresholds = families_corpus(store, tmp_path)
    yield store, snapshot_id, thresholds
    store.close()


def test_the_four_datasets_hold_what_reviewers_decided(corpus):
    store, snapshot_id, _ = corpus
    snapshot = get_snapshot(store.engine, snapshot_id)
    items = load_items(store.engine, snapshot_id)
    bundle = build_datasets(items, snapshot.id, snapshot.content_hash, "train")
    train_tps = [i for i in items if i.split == "train" and i.verdict == "true_positive"]
    stats = bundle.statistics()
    assert stats["snapshot_id"] == snapshot_id and stats["snapshot_hash"] == snapshot.content_hash
    # Remediation: a task prompt (signature recovered from the code) and a "fix this" prompt
    # per confirmed finding with a fix; DPO pairs mirror them.
    assert stats["sft_remediation"] == stats["dpo_pairs"] == 2 * len(train_tps)
    assert stats["grpo_prompts"] == len(train_tps)
    assert stats["cwes"] == [78, 89, 95, 295, 502]
    pair = bundle.dpo[0]
    item = next(i for i in items if i.finding_id == pair["finding_id"])
    assert item.record.fixed_code.strip() in pair["chosen"][0]["content"]
    assert item.code.strip() in pair["rejected"][0]["content"]
    assert pair["prompt"][0]["content"].startswith("Write the Python function `")
    # False positives are never trained on as vulnerable code or as tasks.
    fp_ids = {i.finding_id for i in items if i.verdict == "false_positive"}
    used = {row["finding_id"] for rows in (bundle.sft, bundle.dpo, bundle.grpo) for row in rows}
    assert not used & fp_ids
    # TRL sees only its columns.
    assert set(dataset_rows(bundle, "dpo")[0]) == {"prompt", "chosen", "rejected"}
    assert set(dataset_rows(bundle, "grpo")[0]) >= {"prompt", "cwe", "tests", "expected_lines"}


def test_rule_learning_states_what_was_real_and_what_was_safe_with_why(corpus):
    store, snapshot_id, _ = corpus
    items = [i for i in load_items(store.engine, snapshot_id) if i.split == "train"]
    rules = {g.cwe: g for g in guidelines(items)}
    assert set(rules) == {78, 89, 95, 295, 502}
    text = rules[78].render()
    assert "Vulnerable (" in text and "shell: untrusted input reaches a dangerous call" in text
    assert "Looked risky but was safe" in text and "the safe API is used" in text
    assert "shlex.split" in text  # the safe version comes from a reviewer's fix


def test_building_is_deterministic_and_records_the_snapshot(corpus, tmp_path: Path):
    store, snapshot_id, _ = corpus
    snapshot = get_snapshot(store.engine, snapshot_id)
    first = build_datasets(
        load_items(store.engine, snapshot_id), snapshot.id, snapshot.content_hash
    )
    second = build_datasets(
        load_items(store.engine, snapshot_id), snapshot.id, snapshot.content_hash
    )
    a, b = first.write(tmp_path / "a"), second.write(tmp_path / "b")
    assert a == b
    for name in ("sft.jsonl", "dpo.jsonl", "grpo.jsonl", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["snapshot_id"] == snapshot_id
    assert manifest["snapshot_hash"] == snapshot.content_hash
    assert set(manifest["files"]) == {"sft.jsonl", "dpo.jsonl", "grpo.jsonl"}


def test_training_is_refused_on_a_snapshot_that_failed_or_skipped_the_gate(corpus, tmp_path):
    from store.labels import add_label

    store, snapshot_id, thresholds_path = corpus
    assert gated_snapshot(store.engine, snapshot_id)[0].id == snapshot_id
    # A new label makes a new snapshot, which has not been gated.
    add_label(store.engine, store.findings()[0].id, "bob", "false_positive")
    thresholds = load_thresholds(thresholds_path)
    fresh, created = create_snapshot(store.engine, thresholds.values.snapshot_policy(1), "test")
    assert created
    with pytest.raises(TrainingRefused, match=f"snapshot {fresh.id} was never gated"):
        gated_snapshot(store.engine, fresh.id)
    with pytest.raises(TrainingRefused, match="no snapshot 999|999"):
        gated_snapshot(store.engine, 999)


def test_the_task_is_recovered_from_the_enclosing_function():
    from store.snapshots import Item

    code = 'def export(report, target):\n    """Write the report to target."""\n    os.system(target)\n'
    record = {"tool": "t", "rule_id": "r", "kind": "sast", "severity": "high"}
    item = Item.model_validate(
        {
            "finding_id": 1,
            "split": "train",
            "status": "decided",
            "verdict": "true_positive",
            "group_key": "g",
            "record": {**record, "code": code, "enclosing": "def export"},
        }
    )
    task = task_of(item)
    assert (task.function, task.signature, task.docstring) == (
        "export",
        "export(report, target)",
        "Write the report to target.",
    )
