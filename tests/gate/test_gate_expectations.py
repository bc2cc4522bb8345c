"""The gate passes and fails for the right reasons: one crafted corpus per expectation,
each breaking exactly that expectation of a corpus that otherwise passes (real GX runs)."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from quality_gates.gate import evaluate
from quality_gates.thresholds import load_thresholds
from store.snapshots import DECIDED, DISPUTED, Item


def replace(item: Item, **changes) -> Item:
    """A copy of `item` with `changes` (a record given as a dict), validated as stored ones are."""
    data = item.model_dump()
    data.update(changes)
    return Item.model_validate(data)


CWES = [79, 89, 22, 78, 502, 918]
REVIEWERS = {"alice", "bob"}
THRESHOLDS = load_thresholds().values.model_copy(
    update={"min_labeled": 50, "min_eval": 5, "min_cwe_classes": 5, "min_kappa_pairs": 5}
)
_WORDS = [f"w{i}" for i in range(5000)]


def code(rng: random.Random) -> str:
    return f"def {rng.choice(_WORDS)}():\n    return " + " + ".join(rng.sample(_WORDS, 12))


def label(reviewer: str, verdict: str, note: str | None = None) -> dict:
    return {"reviewer": reviewer, "verdict": verdict, "kind": "review", "source": "t", "note": note}


def corpus() -> list[Item]:
    """60 decided findings: 6 CWE classes of 10, half true positives (all with fixed code),
    every 5th held out, 12 labeled by both reviewers (who disagree on one)."""
    rng = random.Random(7)
    items = []
    for i in range(60):
        verdict = "true_positive" if i % 2 == 0 else "false_positive"
        labels = [label("alice", verdict)]
        if i < 12:
            other = verdict if i != 3 else "true_positive"  # one disagreement...
            labels.append(label("bob", other))
        record = {
            "tool": "semgrep",
            "kind": "sast",
            "severity": "high",
            "rule_id": f"rule-{i % 6}",
            "cwe_ids": [CWES[i % 6]],
            "language": "python",
            "message": "finding",
            "code": code(rng),
            "fixed_code": code(rng) if verdict == "true_positive" else None,
            "cross_tool_key": f"key-{i}",
            "labels": labels,
        }
        # ...resolved by a lead, so the corpus has no open conflict
        split = "eval" if i % 5 == 0 else "train"
        items.append(
            Item.model_validate(
                {
                    "finding_id": i + 1,
                    "split": split,
                    "status": DECIDED,
                    "verdict": verdict,
                    "group_key": f"group-{i}",
                    "record": record,
                }
            )
        )
    return items


def _record(items: list[Item], index: int, **changes) -> list[Item]:
    items = list(items)
    items[index] = replace(items[index], record={**items[index].record.model_dump(), **changes})
    return items


def _flip(items: list[Item], count: int, to: str) -> list[Item]:
    items = list(items)
    for i in range(count):
        item = items[i]
        labels = [{**one, "verdict": to} for one in item.record.model_dump()["labels"]]
        items[i] = replace(item, verdict=to, record={**item.record.model_dump(), "labels": labels})
    return items


def _disagree(items: list[Item]) -> list[Item]:
    items = list(items)
    for i in range(12):
        verdicts = ["true_positive", "false_positive"]
        first = verdicts[i % 2]
        second = verdicts[(i // 2) % 2]  # agreement no better than chance
        items[i] = replace(
            items[i],
            verdict=first,
            record={
                **items[i].record.model_dump(),
                "labels": [label("alice", first), label("bob", second)],
            },
        )
    return items


CASES: dict[str, tuple[Callable[[list[Item]], list[Item]], set[str], set[str]]] = {
    # name: (how the corpus is broken, expectations that must fail, active reviewers)
    "labeled_volume": (lambda c: c[:45], {"labeled_volume"}, REVIEWERS),
    "eval_split_size": (
        lambda c: [replace(i, split="train") if i.finding_id > 16 else i for i in c],
        {"eval_split_size"},
        REVIEWERS,
    ),
    "cwe_diversity": (
        lambda c: [
            replace(i, record={**i.record.model_dump(), "cwe_ids": [CWES[i.finding_id % 3] + 1000]})
            for i in c
        ],
        {"cwe_diversity"},
        REVIEWERS,
    ),
    "cwe_concentration": (
        lambda c: [
            replace(i, record={**i.record.model_dump(), "cwe_ids": [79]})
            if i.finding_id <= 30
            else i
            for i in c
        ],
        {"cwe_concentration"},
        REVIEWERS,
    ),
    "true_positive_ratio_low": (
        lambda c: _flip(c, 54, "false_positive"),
        {"true_positive_ratio"},
        REVIEWERS,
    ),
    "true_positive_ratio_high": (
        lambda c: [
            replace(
                i,
                verdict="true_positive",
                record={
                    **i.record.model_dump(),
                    "labels": [label("alice", "true_positive")],
                    "fixed_code": i.record.fixed_code or "safe()",
                },
            )
            for i in c
        ],
        {"true_positive_ratio"},
        REVIEWERS,
    ),
    "label_consistency": (_disagree, {"label_consistency"}, REVIEWERS),
    "no_unresolved_conflicts": (
        lambda c: [replace(c[0], status=DISPUTED, verdict=None), *c[1:]],
        {"no_unresolved_conflicts"},
        REVIEWERS,
    ),
    "remediation_coverage": (
        lambda c: [
            replace(i, record={**i.record.model_dump(), "fixed_code": None})
            if i.finding_id <= 40
            else i
            for i in c
        ],
        {"remediation_coverage"},
        REVIEWERS,
    ),
    "no_secrets_in_code": (
        lambda c: _record(
            c, 4, code='token = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"'
        ),
        {"no_secrets"},
        REVIEWERS,
    ),
    "no_secrets_in_fixed_code": (
        lambda c: _record(
            c, 0, fixed_code="key = 'AKIA" + "IOSFODNN7EXAMPLE'\nclient = boto3.client('s3')"
        ),
        {"no_secrets"},
        REVIEWERS,
    ),
    "leakage_exact_duplicate": (
        lambda c: _record(c, 0, code=c[1].record.code.replace("    ", "\t")),
        {"no_train_eval_leakage"},
        REVIEWERS,
    ),
    "leakage_near_duplicate": (
        lambda c: _record(c, 0, code=c[1].record.code + " + extra"),
        {"no_train_eval_leakage"},
        REVIEWERS,
    ),
    "leakage_cross_tool_twin": (
        lambda c: _record(c, 0, cross_tool_key=c[1].record.cross_tool_key),
        {"no_train_eval_leakage"},
        REVIEWERS,
    ),
    "labels_from_active_reviewers": (lambda c: c, {"labels_from_active_reviewers"}, {"alice"}),
    "required_field_code": (
        lambda c: _record(c, 7, code=""),
        {"required_field:code"},
        REVIEWERS,
    ),
    "required_field_rule_id": (
        lambda c: _record(c, 7, rule_id=""),
        {"required_field:rule_id"},
        REVIEWERS,
    ),
}


def failed(items: list[Item], reviewers: set[str] = REVIEWERS, thresholds=THRESHOLDS) -> set[str]:
    return {o.name for o in evaluate(items, thresholds, reviewers) if not o.passed}


def test_the_crafted_corpus_passes_every_expectation() -> None:
    outcomes = {o.name: o for o in evaluate(corpus(), THRESHOLDS, REVIEWERS)}
    assert {name for name, o in outcomes.items() if not o.passed} == set()
    assert outcomes["labeled_volume"].observed == 60
    assert outcomes["eval_split_size"].observed == 12
    assert outcomes["cwe_diversity"].observed == 6
    assert outcomes["true_positive_ratio"].observed == 0.5
    assert outcomes["remediation_coverage"].observed == 1.0
    # 12 shared findings, one disagreement; pooled marginals 13 TP / 11 FP of 24 ratings:
    # kappa = (11/12 - p_e) / (1 - p_e) with p_e = (13/24)^2 + (11/24)^2
    p_e = (13 / 24) ** 2 + (11 / 24) ** 2
    expected = (11 / 12 - p_e) / (1 - p_e)
    assert outcomes["label_consistency"].observed == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_expectation_fails_for_its_own_reason(case: str) -> None:
    breaks, expected, reviewers = CASES[case]
    assert failed(breaks(corpus()), reviewers) == expected


def test_failing_rows_are_named() -> None:
    items = _record(corpus(), 7, rule_id="")
    items = [replace(items[0], status=DISPUTED, verdict=None), *items[1:]]
    outcomes = {o.name: o for o in evaluate(items, THRESHOLDS, {"alice"})}
    assert outcomes["required_field:rule_id"].details == [8]
    assert outcomes["no_unresolved_conflicts"].details == [1]
    assert outcomes["no_unresolved_conflicts"].observed == 1
    concentrated = [
        replace(i, record={**i.record.model_dump(), "cwe_ids": [79]}) if i.finding_id <= 30 else i
        for i in corpus()
    ]
    outcome = {o.name: o for o in evaluate(concentrated, THRESHOLDS, REVIEWERS)}
    assert outcome["cwe_concentration"].details == ["CWE-79"]
    assert outcome["cwe_concentration"].observed == pytest.approx((30 + 5) / 60, abs=1e-4)


def test_kappa_is_not_judged_on_too_few_shared_findings() -> None:
    strict = THRESHOLDS.model_copy(update={"min_kappa_pairs": 13})
    outcome = {o.name: o for o in evaluate(_disagree(corpus()), strict, REVIEWERS)}
    assert outcome["label_consistency"].passed
    assert str(outcome["label_consistency"].observed).startswith("n/a (12 reviewer pairs")


def test_trusted_automation_may_author_labels() -> None:
    items = _record(corpus(), 2, labels=[label("sarif-suppression", "false_positive")])
    assert failed(items) == {"labels_from_active_reviewers"}
    trusting = THRESHOLDS.model_copy(update={"trusted_label_sources": ["sarif-suppression"]})
    assert failed(items, thresholds=trusting) == set()


def test_an_empty_corpus_fails_on_volume_not_on_an_error() -> None:
    assert failed([]) >= {"labeled_volume", "eval_split_size", "cwe_diversity"}
