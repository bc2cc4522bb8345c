"""Agreement between reviewers: Cohen's kappa per pair, Krippendorff's alpha overall.

Pure functions over `{finding_id: {reviewer: verdict}}`. Krippendorff's alpha (nominal) is
used beyond two raters because, unlike Fleiss' kappa, it allows each finding to have a
different number of reviewers, which is what a review queue produces.
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations

from pydantic import BaseModel, ConfigDict


class PairAgreement(BaseModel):
    model_config = ConfigDict(frozen=True)

    first: str
    second: str
    findings: int  # labelled by both
    observed: float  # share of those on which they agree
    kappa: float | None  # None when undefined (fewer than 2 shared findings)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters over items both rated; None when undefined."""
    n = len(pairs)
    if n < 2:
        return None
    observed = sum(a == b for a, b in pairs) / n
    first = Counter(a for a, _ in pairs)
    second = Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first.keys() | second.keys()) / (n * n)
    if expected == 1.0:
        # Both raters used a single, identical category throughout: perfect but uninformative.
        return 1.0 if observed == 1.0 else None
    return (observed - expected) / (1 - expected)


def pairwise(verdicts: dict[int, dict[str, str]]) -> list[PairAgreement]:
    reviewers = sorted({r for by in verdicts.values() for r in by})
    result = []
    for first, second in combinations(reviewers, 2):
        pairs = [
            (by[first], by[second]) for by in verdicts.values() if first in by and second in by
        ]
        if not pairs:
            continue
        result.append(
            PairAgreement(
                first=first,
                second=second,
                findings=len(pairs),
                observed=sum(a == b for a, b in pairs) / len(pairs),
                kappa=cohen_kappa(pairs),
            )
        )
    return result


def krippendorff_alpha(verdicts: dict[int, dict[str, str]]) -> float | None:
    """Nominal Krippendorff's alpha over every finding with at least two labels."""
    units = [list(by.values()) for by in verdicts.values() if len(by) >= 2]
    if not units:
        return None
    # Coincidence matrix: each ordered pair of values within a unit, weighted 1/(m-1).
    coincidence: Counter[tuple[str, str]] = Counter()
    for values in units:
        m = len(values)
        for i, a in enumerate(values):
            for j, b in enumerate(values):
                if i != j:
                    coincidence[(a, b)] += 1 / (m - 1)
    totals: Counter[str] = Counter()
    for (a, _), weight in coincidence.items():
        totals[a] += weight
    n = sum(totals.values())
    if n <= 1:
        return None
    observed_disagreement = sum(w for (a, b), w in coincidence.items() if a != b) / n
    expected_disagreement = sum(totals[a] * totals[b] for a in totals for b in totals if a != b) / (
        n * (n - 1)
    )
    if expected_disagreement == 0:
        return 1.0 if observed_disagreement == 0 else None
    return 1 - observed_disagreement / expected_disagreement
