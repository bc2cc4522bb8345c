"""Agreement statistics against published values and scikit-learn."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import cohen_kappa_score

from core.agreement import cohen_kappa, krippendorff_alpha, pairwise


def test_cohen_kappa_matches_scikit_learn() -> None:
    rng = random.Random(7)
    a = [rng.choice(["tp", "fp", "info"]) for _ in range(200)]
    b = [x if rng.random() < 0.7 else rng.choice(["tp", "fp", "info"]) for x in a]
    assert cohen_kappa(list(zip(a, b, strict=True))) == pytest.approx(cohen_kappa_score(a, b))
    assert cohen_kappa([("tp", "tp")]) is None  # undefined on one item


def test_krippendorff_alpha_reproduces_the_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers,
    # 12 units, missing values; nominal alpha = 0.743.
    rows = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    verdicts = {
        unit: {o: str(values[unit]) for o, values in rows.items() if values[unit] is not None}
        for unit in range(12)
    }
    assert krippendorff_alpha(verdicts) == pytest.approx(0.743, abs=0.001)


def test_pairwise_counts_shared_findings_only() -> None:
    verdicts = {
        1: {"alice": "tp", "bob": "tp"},
        2: {"alice": "fp", "bob": "tp"},
        3: {"alice": "fp", "bob": "fp", "carol": "fp"},
        4: {"carol": "tp"},
    }
    pairs = {(p.first, p.second): p for p in pairwise(verdicts)}
    assert pairs[("alice", "bob")].findings == 3
    assert pairs[("alice", "bob")].observed == pytest.approx(2 / 3)
    assert pairs[("alice", "carol")].findings == 1 and pairs[("alice", "carol")].kappa is None
