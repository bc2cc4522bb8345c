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


def duplicate_pairs(texts: Sequence[str], threshold: float) -> list[tuple[int, int]]:
    """Index pairs (i < j) whose texts are identical after normalization or whose token
    3-gram Jaccard similarity is at least `threshold`. Empty texts match nothing."""
    by_text: dict[str, list[int]] = defaultdict(list)
    for index, text in enumerate(texts):
        normalized = normalize(text)
        if normalized:
            by_text[normalized].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in by_text.values():
        pairs.update((members[0], other) for other in members[1:])
    distinct = list(by_text)
    sets = [shingles(text) for text in distinct]
    signatures = _signatures(sets)
    rows = _PERMUTATIONS // _BANDS
    candidates: set[tuple[int, int]] = set()
    for band in range(_BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        block = signatures[:, band * rows : (band + 1) * rows]
        for index in range(len(distinct)):
            buckets[block[index].tobytes()].append(index)
        for bucket in buckets.values():
            for i, first in enumerate(bucket):
                candidates.update((first, second) for second in bucket[i + 1 :])
    for first, second in candidates:
        if jaccard(sets[first], sets[second]) >= threshold:
            # every member of one text group pairs with the representative of the other
            left, right = by_text[distinct[first]][0], by_text[distinct[second]][0]
            pairs.add((min(left, right), max(left, right)))
    return sorted(pairs)
