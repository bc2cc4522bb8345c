"""Exact and near-duplicate detection: what joins, what does not, and templated code at scale."""

from __future__ import annotations

import random
import time

from store.near_duplicates import Groups, jaccard, link_duplicates, normalize, shingles


def groups_of(texts: list[str], threshold: float = 0.8) -> list[int]:
    groups = Groups(len(texts))
    link_duplicates(texts, threshold, groups)
    return [groups.find(i) for i in range(len(texts))]


def test_whitespace_and_case_do_not_hide_a_duplicate() -> None:
    roots = groups_of(["x = os.system(cmd)", "X  =  os.system( cmd )", "y = 1"])
    assert roots[0] == roots[1] != roots[2]


def test_a_small_edit_is_near_a_real_rewrite_is_not() -> None:
    words = [f"w{i}" for i in range(40)]
    base = "def f(a):\n    return " + " + ".join(words)
    edited = base.replace("w7", "v7")
    rewritten = "def f(a):\n    return " + " * ".join(reversed(words))
    assert jaccard(shingles(normalize(base)), shingles(normalize(edited))) >= 0.8
    roots = groups_of([base, edited, rewritten])
    assert roots[0] == roots[1] != roots[2]


def test_empty_texts_match_nothing() -> None:
    roots = groups_of(["", "", "a = b"])
    assert len(set(roots)) == 3


def test_templated_code_stays_fast_and_distinct_handlers_stay_apart() -> None:
    rng = random.Random(1)
    vocabulary = [f"n{i}" for i in range(3000)]
    texts = [
        "def handler(request):\n    value = request.args.get('q')\n    return "
        + " + ".join(rng.sample(vocabulary, 6))
        for _ in range(5000)
    ]
    start = time.perf_counter()
    roots = groups_of(texts)
    elapsed = time.perf_counter() - start
    assert elapsed < 30, elapsed  # pairwise comparison would take minutes
    assert len(set(roots)) > 4000  # shared boilerplate alone does not make duplicates
