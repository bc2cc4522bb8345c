"""Quality-gate speed: snapshot the labeled corpus and run the gate at a given size.

    .venv/bin/python bench/quality_gate.py [--findings 20000]

Seeds a SQLite store with synthetic findings (bench/embed.py's generator: 8 CWE classes,
templated handler code, so near-duplicate detection has real work), labels every one of
them (two reviewers on 10%), then times: snapshot (read + split with MinHash LSH + write),
snapshot again (unchanged corpus: hash only), the gate (GX expectations + data docs + stored
report), and the retraining sensor's cheap path (one count query). One JSON line last.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from embed import generate  # noqa: E402

from core.verdict import Verdict  # noqa: E402
from ingest.pipeline import IngestOptions, ingest_paths  # noqa: E402
from quality_gates.gate import run_gate  # noqa: E402
from quality_gates.thresholds import load_thresholds  # noqa: E402
from quality_gates.trigger import measure_growth  # noqa: E402
from store import FindingsStore  # noqa: E402
from store.accounts import add_user  # noqa: E402
from store.labels import write_label  # noqa: E402
from store.snapshots import create_snapshot  # noqa: E402


def seed(work: Path, count: int) -> FindingsStore:
    store = FindingsStore(f"sqlite:///{work / 'findings.db'}")
    report = work / "report.sarif"
    generate(report, 0, count)
    summary = ingest_paths([report], store, IngestOptions(repository="acme/shop", service="shop"))
    assert not summary.failed, summary.failed
    for name in ("alice", "bob"):
        add_user(store.engine, name, "reviewer", "correct horse battery")
    rng = random.Random(3)
    with store.engine.begin() as conn:  # one transaction: seeding is not what is measured
        for finding in store.findings():
            verdict = Verdict.TRUE_POSITIVE if rng.random() < 0.4 else Verdict.FALSE_POSITIVE
            fixed = "safe()" if verdict == Verdict.TRUE_POSITIVE and rng.random() < 0.7 else None
            write_label(conn, finding.id, "alice", verdict, fixed_code=fixed, source="bench")
            if rng.random() < 0.1:
                write_label(conn, finding.id, "bob", verdict, source="bench")
    return store


def timed(function):
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=20_000)
    args = parser.parse_args()
    thresholds = load_thresholds()
    policy = thresholds.values.snapshot_policy(1)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        store, seed_s = timed(lambda: seed(work, args.findings))
        print(f"seeded {args.findings} labeled findings in {seed_s:.1f} s", file=sys.stderr)
        (snapshot, created), snapshot_s = timed(lambda: create_snapshot(store.engine, policy))
        assert created
        (_, again), unchanged_s = timed(lambda: create_snapshot(store.engine, policy))
        assert not again
        report, gate_s = timed(
            lambda: run_gate(store.engine, snapshot.id, thresholds, work / "gate_reports")
        )
        _, growth_s = timed(lambda: measure_growth(store.engine, 1))
        print(report.summary(), file=sys.stderr)
        store.close()
    figures = {
        "findings": args.findings,
        "decided": snapshot.decided,
        "eval": snapshot.eval,
        "snapshot_s": round(snapshot_s, 2),
        "snapshot_unchanged_s": round(unchanged_s, 2),
        "gate_s": round(gate_s, 2),
        "sensor_idle_tick_ms": round(growth_s * 1000, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
