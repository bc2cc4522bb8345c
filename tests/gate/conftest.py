"""A labeled corpus in a real store: 60 synthetic findings (6 CWE classes, distinct code)
ingested from a SARIF report, reviewer accounts, and labels written through the store."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ingest.pipeline import IngestOptions, ingest_paths
from store import FindingsStore
from store.accounts import add_user
from store.labels import add_label

RULES = [
    ("xss", "CWE-79"),
    ("sql-injection", "CWE-89"),
    ("path-traversal", "CWE-22"),
    ("command-injection", "CWE-78"),
    ("unsafe-deserialization", "CWE-502"),
    ("ssrf", "CWE-918"),
]
_WORDS = [f"name{i}" for i in range(4000)]

# Small enough for a 60-finding corpus; every other value as shipped.
TEST_THRESHOLDS = """\
version: 1
min_labeled: 40
min_eval: 3
min_cwe_classes: 5
max_cwe_share: 0.40
min_true_positive_ratio: 0.20
max_true_positive_ratio: 0.80
min_kappa: 0.60
min_kappa_pairs: 5
min_remediation_coverage: 0.50
required_fields: [rule_id, tool, verdict, split, code]
trusted_label_sources: []
split_by: group
eval_fraction: 0.2
near_duplicate_jaccard: 0.8
retrain_min_growth: 0.10
retrain_min_new_labels: 200
"""


def synthetic_report(path: Path, count: int, start: int = 0, context_lines: int = 0) -> None:
    """`count` findings of a SARIF report; `context_lines` more lines of code before each
    flagged line make every stored finding larger (~100 bytes a line, twice: code context and
    the raw record)."""
    rng = random.Random(start)
    results = []
    for i in range(start, start + count):
        rule, cwe = RULES[i % len(RULES)]
        body = " + ".join(rng.sample(_WORDS, 10))
        filler = [
            f"    step_{n} = {' * '.join(rng.sample(_WORDS, 4))}" for n in range(context_lines)
        ]
        lines = [
            f"def handler_{i}(request):",
            *filler,
            f"    value = {body}",
            f"    return sink_{i}(value)",
        ]
        results.append(
            {
                "ruleId": f"flywheel.python.{rule}",
                "level": "error",
                "message": {"text": f"{rule}: request data reaches a sink"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"src/views_{i}.py"},
                            "region": {"startLine": len(lines), "snippet": {"text": lines[-1]}},
                            "contextRegion": {
                                "startLine": 1,
                                "endLine": len(lines),
                                "snippet": {"text": "\n".join(lines)},
                            },
                        }
                    }
                ],
                "properties": {"tags": [cwe]},
            }
        )
    document = {
        "version": "2.1.0",
        "runs": [
            {"tool": {"driver": {"name": "Semgrep OSS", "version": "1.182.0"}}, "results": results}
        ],
    }
    path.write_text(json.dumps(document))


def ingest_synthetic(store: FindingsStore, work: Path, count: int, start: int = 0) -> list[int]:
    report = work / f"synthetic-{start}.sarif"
    synthetic_report(report, count, start)
    summary = ingest_paths([report], store, IngestOptions(repository="acme/shop", service="shop"))
    assert not summary.failed, summary.failed
    return sorted(r.id for r in store.findings() if int(r.path.split("_")[1][:-3]) >= start)


def label_corpus(store: FindingsStore, ids: list[int], shared: int = 12) -> None:
    """alice labels every finding (even positions true positives, with fixed code); bob
    labels the first `shared` too and agrees."""
    for position, finding_id in enumerate(ids):
        verdict = "true_positive" if position % 2 == 0 else "false_positive"
        fixed = (
            f"def handler_{finding_id}(request):\n    return safe(request)"
            if position % 2 == 0
            else None
        )
        add_label(store.engine, finding_id, "alice", verdict, fixed_code=fixed)
        if position < shared:
            add_label(store.engine, finding_id, "bob", verdict)


@pytest.fixture
def thresholds_file(tmp_path: Path) -> Path:
    path = tmp_path / "thresholds.yaml"
    path.write_text(TEST_THRESHOLDS)
    return path


@pytest.fixture
def corpus_store(store: FindingsStore, tmp_path: Path) -> FindingsStore:
    """60 findings, all labeled; accounts alice, bob (reviewers) and lena (lead)."""
    for name, role in (("alice", "reviewer"), ("bob", "reviewer"), ("lena", "lead")):
        add_user(store.engine, name, role, "correct horse battery")
    label_corpus(store, ingest_synthetic(store, tmp_path, 60))
    return store
