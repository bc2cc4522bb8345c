"""Benchmark: embed realistic findings into the Qdrant index, and search it.

    .venv/bin/python bench/embed.py [--findings 20000] [--steps 2000,5000,10000,20000]
                                    [--beyond 50000,100000]

Generates a SARIF report whose findings carry realistic code contexts (a 15-line context
region of a Python handler around the flagged line, identifiers varied per finding: no two
texts are equal, so nothing is saved by deduplication), ingests it into an empty SQLite store
in growing steps, and after each step runs the incremental `FindingIndex.sync` (embedding +
batched local-mode writes) and times `similar` (200 queries, k=10; unfiltered and with a
service filter). Embedding uses the default: all-MiniLM-L6-v2, ONNX int8 backend, 128 tokens
(`--backend onnx` for float32, `torch` for sentence-transformers itself; `--max-tokens`
for another truncation). Prints a line per
step, then one JSON line last with `embed_per_s` (findings per second through the whole sync:
text, embedding, upsert), `model_per_s` (the model's share alone) and `similar_p95_ms` at the
largest size in local mode.

`--beyond` then grows the local collection past what is worth embedding on two cores: copies
of the real points (each vector with a little noise, renormalized; the payload of its
original) up to each size given, and times `similar` and reopening the folder again. This is
how local mode's search degrades with size (`beyond` in the JSON line).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.pipeline import IngestOptions, ingest_paths  # noqa: E402
from store import FindingsStore  # noqa: E402
from vector_memory.embedder import Embedder  # noqa: E402
from vector_memory.index import FindingIndex, SimilarFilter, open_client  # noqa: E402

SINKS = [
    ("sql-injection", "CWE-89", 'cursor.execute("SELECT * FROM {t} WHERE id = " + {v})'),
    ("command-injection", "CWE-78", 'subprocess.run("convert " + {v}, shell=True)'),
    ("unsafe-deserialization", "CWE-502", "obj = pickle.loads({v})"),
    ("path-traversal", "CWE-22", 'open(os.path.join(BASE_DIR, {v}), "rb").read()'),
    ("ssrf", "CWE-918", "requests.get({v}, timeout=5).text"),
    ("xss", "CWE-79", 'return "<div>" + {v} + "</div>"'),
    ("weak-hash", "CWE-328", "hashlib.md5({v}.encode()).hexdigest()"),
    ("open-redirect", "CWE-601", "return redirect({v})"),
]
BODY = [
    "{v} = request.args.get('{p}', '')",
    "if not {v}:",
    "    abort(400, 'missing {p}')",
    "log.info('handling %s for %s', '{p}', current_user.id)",
    "{t}_rows = []",
    "for item in {t}_service.list(limit=50):",
    "    {t}_rows.append(item.to_dict())",
    "cache_key = f'{t}:{{{v}}}'",
    "if cache.get(cache_key):",
    "    return cache.get(cache_key)",
    "timeout = settings.{t}_TIMEOUT or 30",
    "result = {sink}",
    "metrics.increment('{t}.{p}.calls')",
    "cache.set(cache_key, result, timeout)",
    "return jsonify(result=result, count=len({t}_rows))",
]
WORDS = "order invoice user account report export image upload profile billing ticket".split()


def generate(path: Path, start: int, count: int) -> None:
    rng = random.Random(start)
    results = []
    for i in range(start, start + count):
        rule, cwe, sink = SINKS[i % len(SINKS)]
        t, p = rng.choice(WORDS), rng.choice(WORDS)
        v = f"{p}_{i}"
        lines = [f"@app.route('/{t}/<int:{t}_id>/{p}')", f"def {t}_{p}_{i}({t}_id):"]
        lines += ["    " + line.format(v=v, p=p, t=t, sink=sink.format(v=v, t=t)) for line in BODY]
        flagged = 2 + BODY.index("result = {sink}") + 1
        results.append(
            {
                "ruleId": f"flywheel.python.{rule}",
                "level": "error",
                "message": {"text": f"{rule} ({cwe}): data from the request reaches {t}."},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"src/{t}/views_{i}.py"},
                            "region": {
                                "startLine": 100 + flagged,
                                "snippet": {"text": lines[flagged - 1]},
                            },
                            "contextRegion": {
                                "startLine": 101,
                                "endLine": 100 + len(lines),
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
    path.write_bytes(orjson.dumps(document))


def time_similar(index: FindingIndex, ids: list[int], service: str) -> tuple[float, float]:
    plain, filtered = [], []
    for finding_id in ids:
        t = time.perf_counter()
        index.similar(finding_id, k=10)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        index.similar(finding_id, k=10, filters=SimilarFilter(service=service))
        filtered.append(time.perf_counter() - t)
    return round(p95(plain), 1), round(p95(filtered), 1)


def grow_beyond(
    index: FindingIndex, folder: Path, real: int, service: str, args, rng: random.Random
) -> list[dict]:
    """Noisy copies of the real points up to each size; similar p95 and reopen time there."""
    from qdrant_client import models

    originals, offset = [], None
    while True:
        points, offset = index.client.scroll(
            index.collection, limit=5_000, offset=offset, with_payload=True, with_vectors=True
        )
        originals += points
        if offset is None:
            break
    noise = np.random.default_rng(11)
    real_ids = [int(p.id) for p in originals]
    out, next_id = [], 10_000_000
    for size in sorted(int(s) for s in args.beyond.split(",")):
        t = time.perf_counter()
        while index.count() < size:
            batch = [originals[i % len(originals)] for i in range(next_id, next_id + 1_000)]
            vectors = np.asarray([p.vector for p in batch], dtype=np.float32)
            vectors += noise.normal(0, 0.02, vectors.shape).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            count = min(1_000, size - index.count())
            index.client.upsert(
                index.collection,
                points=models.Batch(
                    ids=list(range(next_id, next_id + count)),
                    vectors=vectors[:count].tolist(),
                    payloads=[p.payload for p in batch[:count]],
                ),
                wait=True,
            )
            next_id += count
        grow_s = time.perf_counter() - t
        plain, filtered = time_similar(index, rng.sample(real_ids, args.queries), service)
        index.client.close()
        t = time.perf_counter()
        index.client = open_client(folder)
        reopen_s = time.perf_counter() - t
        row = {
            "points": index.count(),
            "upsert_per_s": round((size - real) / grow_s) if size > real else None,
            "similar_p95_ms": plain,
            "similar_filtered_p95_ms": filtered,
            "reopen_s": round(reopen_s, 2),
        }
        real = size
        out.append(row)
        print(json.dumps(row), flush=True)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--steps", default="2000,5000,10000,20000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--beyond", default="", help="e.g. 50000,100000 (see the docstring)")
    parser.add_argument("--backend", default="onnx-int8", choices=["onnx-int8", "onnx", "torch"])
    parser.add_argument(
        "--max-tokens", type=int, default=128, help="truncation (FLYWHEEL_EMBEDDING_MAX_TOKENS)"
    )
    args = parser.parse_args()
    steps = sorted({int(s) for s in args.steps.split(",")} | {args.findings})
    steps = [s for s in steps if s <= args.findings]
    work = Path(tempfile.mkdtemp(prefix="flywheel-embed-"))
    store = FindingsStore(f"sqlite:///{work / 'findings.db'}")
    t = time.perf_counter()
    embedder = Embedder(backend=args.backend, max_tokens=args.max_tokens, cache_dir=work / "onnx")
    load_s = time.perf_counter() - t
    # The model's own share of the sync (tokenize + ONNX + pooling), to say where time goes.
    model_time = [0.0, 0]
    embed = embedder.embed

    def timed_embed(texts: list[str]):
        started = time.perf_counter()
        vectors = embed(texts)
        model_time[0] += time.perf_counter() - started
        model_time[1] += len(texts)
        return vectors

    embedder.embed = timed_embed  # type: ignore[method-assign]
    index = FindingIndex(open_client(work / "qdrant"), embedder)
    rng = random.Random(7)
    done, embedded_total, embed_seconds, rows = 0, 0, 0.0, []
    for step in steps:
        report = work / f"report_{step}.sarif"
        generate(report, done, step - done)
        # Each step is another service's report: earlier findings stay open.
        summary = ingest_paths(
            [report], store, IngestOptions(repository="acme/shop", service=f"svc{step}")
        )
        assert not summary.failed, summary.failed
        done = step
        t = time.perf_counter()
        stats = index.sync(store)
        seconds = time.perf_counter() - t
        embedded_total += stats.embedded
        embed_seconds += seconds
        ids = [
            r.id
            for r in store.findings(
                limit=args.queries, offset=rng.randrange(max(1, step - args.queries))
            )
        ]
        plain, filtered = time_similar(index, ids, f"svc{steps[0]}")
        row = {
            "points": index.count(),
            "embedded": stats.embedded,
            "sync_s": round(seconds, 2),
            "embed_per_s": round(stats.embedded / seconds, 1),
            "similar_p95_ms": plain,
            "similar_filtered_p95_ms": filtered,
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    t = time.perf_counter()
    again = index.sync(store)
    resync_s = time.perf_counter() - t
    # After the re-sync: the copies are not in the store, and a sync would delete them.
    beyond = (
        grow_beyond(index, work / "qdrant", rows[-1]["points"], f"svc{steps[0]}", args, rng)
        if args.beyond
        else []
    )
    index.close()
    t = time.perf_counter()
    reopened = FindingIndex(open_client(work / "qdrant"), embedder)
    reopen_s = time.perf_counter() - t
    reopened.close()
    final = {
        "embed_per_s": round(embedded_total / embed_seconds, 1),
        "model_per_s": round(model_time[1] / model_time[0], 1),
        "similar_p95_ms": rows[-1]["similar_p95_ms"],
        "similar_filtered_p95_ms": rows[-1]["similar_filtered_p95_ms"],
        "points": rows[-1]["points"],
        "resync_unchanged_s": round(resync_s, 2),
        "resync_embedded": again.embedded,
        "reopen_s": round(reopen_s, 2),
        "model_load_s": round(load_s, 2),
        "backend": embedder.backend,
        "max_tokens": embedder.max_tokens,
        "by_size": rows,
        "beyond": beyond,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(final))


if __name__ == "__main__":
    main()
