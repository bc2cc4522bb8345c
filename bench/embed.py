"""Benchmark: embed realistic findings into the Qdrant index, and search it.

    .venv/bin/python bench/embed.py [--findings 20000] [--steps 2000,5000,10000,20000]

Generates a SARIF report whose findings carry realistic code contexts (a 15-line context
region of a Python handler around the flagged line, identifiers varied per finding: no two
texts are equal, so nothing is saved by deduplication), ingests it into an empty SQLite store
in growing steps, and after each step runs the incremental `FindingIndex.sync` (embedding +
batched local-mode writes) and times `similar` (200 queries, k=10; unfiltered and with a
service filter). Embedding uses the configured default: all-MiniLM-L6-v2, ONNX backend, 128
tokens. Prints a line per step, then one JSON line last with `embed_per_s` (findings per
second through the whole sync: text, embedding, upsert) and `similar_p95_ms` at the largest
size in local mode.
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

import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ingest.memory.embedder import Embedder  # noqa: E402
from ingest.memory.index import FindingIndex, SimilarFilter, open_client  # noqa: E402
from ingest.pipeline import IngestOptions, ingest_paths  # noqa: E402
from ingest.store import FindingsStore  # noqa: E402

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


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=20_000)
    parser.add_argument("--steps", default="2000,5000,10000,20000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    steps = sorted({int(s) for s in args.steps.split(",")} | {args.findings})
    steps = [s for s in steps if s <= args.findings]
    work = Path(tempfile.mkdtemp(prefix="flywheel-embed-"))
    store = FindingsStore(f"sqlite:///{work / 'findings.db'}")
    t = time.perf_counter()
    embedder = Embedder(cache_dir=work / "onnx")
    load_s = time.perf_counter() - t
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
        plain, filtered = [], []
        for finding_id in ids:
            t = time.perf_counter()
            index.similar(finding_id, k=10)
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            index.similar(finding_id, k=10, filters=SimilarFilter(service=f"svc{steps[0]}"))
            filtered.append(time.perf_counter() - t)
        row = {
            "points": index.count(),
            "embedded": stats.embedded,
            "sync_s": round(seconds, 2),
            "embed_per_s": round(stats.embedded / seconds, 1),
            "similar_p95_ms": round(p95(plain), 1),
            "similar_filtered_p95_ms": round(p95(filtered), 1),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    t = time.perf_counter()
    again = index.sync(store)
    resync_s = time.perf_counter() - t
    index.close()
    t = time.perf_counter()
    reopened = FindingIndex(open_client(work / "qdrant"), embedder)
    reopen_s = time.perf_counter() - t
    reopened.close()
    final = {
        "embed_per_s": round(embedded_total / embed_seconds, 1),
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
        "cpus": os.cpu_count(),
    }
    print(json.dumps(final))


if __name__ == "__main__":
    main()
