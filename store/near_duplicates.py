"""Exact and near-duplicate code among snapshot items: MinHash with banded LSH, then the
exact Jaccard similarity on every candidate pair (so a reported pair is never a hash
artefact).

Text is compared as token 3-grams after folding whitespace and case: renaming nothing and
re-indenting a snippet still matches; a real edit of a few tokens in a 20-token line does not.
Identical normalized texts are grouped first, so a thousand copies of one snippet cost one
MinHash signature, not half a million candidate pairs.
"""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

_TOKEN = re.compile(r"\w+|[^\w\s]")
_PRIME = (1 << 31) - 1  # hash values and the permutation coefficients stay below 2**31
_PERMUTATIONS = 64
_BANDS = 16  # 16 bands of 4 rows: a pair at Jaccard 0.8 is a candidate with p > 0.999
_SEED = 20261121
_MAX_GROUPS = 64  # groups per bucket a new member is compared with
_SLACK = 0.15  # MinHash estimates (64 values) within this of the threshold are verified


def normalize(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))


def shingles(normalized: str, n: int = 3) -> frozenset[int]:
    tokens = normalized.split(" ")
    if len(tokens) < n:
        grams = [" ".join(tokens)] if tokens != [""] else []
    else:
        grams = [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return frozenset(zlib.crc32(gram.encode()) % _PRIME for gram in grams)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _signatures(sets: Sequence[frozenset[int]]) -> np.ndarray:
    rng = np.random.default_rng(_SEED)
    a = rng.integers(1, _PRIME, size=_PERMUTATIONS, dtype=np.uint64)
    b = rng.integers(0, _PRIME, size=_PERMUTATIONS, dtype=np.uint64)
    signatures = np.full((len(sets), _PERMUTATIONS), _PRIME, dtype=np.uint64)
    for row, values in enumerate(sets):
        if values:
            x = np.fromiter(values, dtype=np.uint64, count=len(values))[:, None]
            signatures[row] = ((x * a + b) % _PRIME).min(axis=0)
    return signatures


class Groups:
    """Union-find over item indexes."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int) -> None:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def link_duplicates(texts: Sequence[str], threshold: float, groups: Groups) -> None:
    """Join in `groups` the indexes whose texts are identical after normalization or whose
    token 3-gram Jaccard similarity is at least `threshold`. Empty texts match nothing.

    Only connectivity matters (which findings must share a split), so a bucket member is
    compared with one representative of each group already seen in that bucket, not with
    every member: templated code, where thousands of snippets collide, stays linear. The
    price: a pair similar only through a member that is not its group's representative in
    any shared bucket can be missed (the gate's leakage check uses the same routine).
    """
    by_text: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        normalized = normalize(text)
        if normalized:
            by_text[normalized].append(index)
    for members in by_text.values():
        for other in members[1:]:
            groups.union(members[0], other)
    distinct = list(by_text)
    first = [by_text[text][0] for text in distinct]  # the item standing for each text
    sets = [shingles(text) for text in distinct]
    signatures = _signatures(sets)
    rows = _PERMUTATIONS // _BANDS
    for band in range(_BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        block = signatures[:, band * rows : (band + 1) * rows]
        for index in range(len(distinct)):
            buckets[block[index].tobytes()].append(index)
        for bucket in buckets.values():
            if len(bucket) > 1:
                _link_bucket(bucket, first, sets, signatures, threshold, groups)


def _link_bucket(
    bucket: list[int],
    first: list[int],
    sets: list[frozenset[int]],
    signatures: np.ndarray,
    threshold: float,
    groups: Groups,
) -> None:
    """Each member is compared with one representative per group seen in this bucket (at most
    `_MAX_GROUPS`): first by the MinHash estimate of their similarity (vectorized), then,
    for the plausible ones only, by the exact Jaccard similarity."""
    reps: list[int] = []  # a representative text per group, in the order met
    for index in bucket:
        root = groups.find(first[index])
        if any(groups.find(first[rep]) == root for rep in reps):
            continue  # already joined to a group present here
        if reps:
            estimate = (signatures[reps] == signatures[index]).mean(axis=1)
            for position in np.flatnonzero(estimate >= threshold - _SLACK):
                rep = reps[int(position)]
                if jaccard(sets[index], sets[rep]) >= threshold:
                    groups.union(first[index], first[rep])
                    break
            else:
                if len(reps) < _MAX_GROUPS:
                    reps.append(index)
        else:
            reps.append(index)
