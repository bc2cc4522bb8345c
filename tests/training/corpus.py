"""A labeled corpus of real Python code: the task families' insecure solutions reported as
true positives (the reviewer's fix is the secure solution) and their secure solutions
reported by a noisy audit rule as false positives, with two reviewers who agree."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.pipeline import IngestOptions, ingest_paths
from quality_gates.gate import run_gate
from quality_gates.thresholds import load_thresholds
from store import FindingsStore
from store.accounts import add_user
from store.labels import add_label
from store.snapshots import create_snapshot
from tests.gate.conftest import TEST_THRESHOLDS
from training.task_families import tasks


def _result(rule: str, cwe: int, message: str, path: str, code: str) -> dict:
    lines = code.splitlines()
    return {
        "ruleId": rule,
        "level": "error",
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path},
                    "region": {"startLine": len(lines) - 1, "snippet": {"text": lines[-2]}},
                    "contextRegion": {
                        "startLine": 1,
                        "endLine": len(lines),
                        "snippet": {"text": code},
                    },
                }
            }
        ],
        "properties": {"tags": [f"CWE-{cwe}"]},
    }


def families_corpus(store: FindingsStore, work: Path, count: int = 60) -> tuple[int, Path]:
    """Ingest, label, snapshot and gate the corpus; returns (snapshot id, thresholds file)."""
    results = []
    drawn = tasks(count, seed=3)
    for i, task in enumerate(drawn):
        results.append(
            _result(
                f"flywheel.python.{task.family}",
                task.cwe,
                f"{task.family}: untrusted input reaches a dangerous call",
                f"app/{task.family}_{i}.py",
                task.insecure,
            )
        )
        results.append(
            _result(
                f"flywheel.python.audit-{task.family}",
                task.cwe,
                f"{task.family}: review this call",
                f"app/safe_{task.family}_{i}.py",
                task.secure,
            )
        )
    report = work / "families.sarif"
    report.write_text(
        json.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    {
                        "tool": {"driver": {"name": "Semgrep OSS", "version": "1.182.0"}},
                        "results": results,
                    }
                ],
            }
        )
    )
    summary = ingest_paths([report], store, IngestOptions(repository="acme/app", service="app"))
    assert not summary.failed, summary.failed
    for name, role in (("alice", "reviewer"), ("bob", "reviewer")):
        add_user(store.engine, name, role, "correct horse battery")
    secure = {f"app/{t.family}_{i}.py": t.secure for i, t in enumerate(drawn)}
    for position, record in enumerate(sorted(store.findings(), key=lambda r: r.id)):
        if record.path in secure:
            add_label(
                store.engine, record.id, "alice", "true_positive", fixed_code=secure[record.path]
            )
            verdict = "true_positive"
        else:
            add_label(
                store.engine,
                record.id,
                "alice",
                "false_positive",
                note="no untrusted input reaches it; the safe API is used",
            )
            verdict = "false_positive"
        if position < 16:
            add_label(store.engine, record.id, "bob", verdict)
    thresholds_path = work / "thresholds.yaml"
    thresholds_path.write_text(TEST_THRESHOLDS)
    thresholds = load_thresholds(thresholds_path)
    snapshot, _ = create_snapshot(store.engine, thresholds.values.snapshot_policy(1), "test")
    report = run_gate(store.engine, snapshot.id, thresholds, work / "gate")
    assert report.passed, report.summary()
    return snapshot.id, thresholds_path
