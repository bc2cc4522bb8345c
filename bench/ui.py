"""Benchmark: the workbench's server-side time with 50,000 findings in the store.

    .venv/bin/python bench/ui.py [--findings 50000] [--openings 50]

Builds a SQLite store with N realistic findings (bench/embed.py's generator: 17-line
handler contexts), 2,000 of them labelled by other reviewers, a stored suggestion and
review priority for every open one, and a guideline per CWE. Then, through Streamlit's
AppTest (the page scripts run for real, in process, as the server runs them):

- queue: the queue page rendered, p95 over `--openings` runs cycling through filters
  (none, a tool, a severity, a CWE, a suggested label) and pages;
- finding: "open the next finding": the finding page rendered for the next queued finding,
  after labelling the current one, p95 over `--openings` openings.

The vector index is left empty here (the page then says so): embedding 50,000 findings
takes ~15 minutes on 2 cores; `similar` itself is timed by bench/embed.py. Prints one JSON
line last with `queue_p95_ms` and `finding_p95_ms`.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from embed import SINKS, generate  # noqa: E402

from core.verdict import DECISIVE, Verdict  # noqa: E402
from ingest.pipeline import IngestOptions, ingest_paths  # noqa: E402
from labeling_ui.review_desk import ReviewDesk  # noqa: E402
from store import FindingsStore  # noqa: E402
from store.guidelines import save_guideline  # noqa: E402
from store.labels import add_label  # noqa: E402
from vector_memory.label_model import Suggestion  # noqa: E402


def p95(values: list[float]) -> float:
    return round(statistics.quantiles(values, n=20)[18] * 1000, 1)


def seed(work: Path, count: int) -> FindingsStore:
    store = FindingsStore(f"sqlite:///{work / 'findings.db'}")
    report = work / "report.sarif"
    generate(report, 0, count)
    summary = ingest_paths([report], store, IngestOptions(repository="acme/shop", service="shop"))
    assert not summary.failed, summary.failed
    rng = random.Random(5)
    ids = [r.id for r in store.findings()]
    for finding_id in rng.sample(ids, 2000):
        add_label(
            store.engine,
            finding_id,
            rng.choice(["bob", "carol"]),
            rng.choice([v.value for v in DECISIVE]),
        )
    labelled = set(store.label_states())
    ReviewDesk(store.engine).save_suggestions(
        [
            Suggestion(
                finding_id=i,
                priority=rng.random(),
                suggested_label=rng.choice(DECISIVE),
                confidence=0.5 + rng.random() / 2,
                method="classifier",
            )
            for i in ids
            if i not in labelled
        ]
    )
    for _, cwe, _ in SINKS:
        save_guideline(
            store.engine,
            int(cwe.split("-")[1]),
            f"Guideline for {cwe}.",
            "lena",
            expected_version=0,
        )
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--openings", type=int, default=50)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flywheel-ui-"))
    os.environ["FLYWHEEL_HOME"] = str(work)
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "FLYWHEEL_QDRANT_URL"):
        os.environ.pop(name, None)
    t = time.perf_counter()
    store = seed(work, args.findings)
    seed_s = time.perf_counter() - t

    from streamlit.testing.v1 import AppTest

    app = str(ROOT / "orchestration" / "workbench_app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.session_state["user"] = {"username": "alice", "role": "reviewer"}
    at.run()  # first run: imports, opening the store, caches (reported apart)
    filters = [
        {},
        {"f_tool": "semgrep"},
        {"f_severity": ["high"]},
        {"f_cwe": 89},
        {"f_suggested": Verdict.FALSE_POSITIVE.value},
    ]
    queue_times = []
    for i in range(args.openings):
        for key in ("f_tool", "f_cwe", "f_suggested"):
            at.session_state[key] = None
        at.session_state["f_severity"] = []
        for key, value in filters[i % len(filters)].items():
            at.session_state[key] = value
        at.session_state["queue_page"] = (i // len(filters)) % 3
        t = time.perf_counter()
        at.switch_page("../labeling_ui/pages/review_queue.py").run()
        queue_times.append(time.perf_counter() - t)
        assert not at.exception, at.exception
    total = ReviewDesk(store.engine).queue("alice").total

    at = AppTest.from_file(app, default_timeout=120)  # a fresh session on the queue
    at.session_state["user"] = {"username": "alice", "role": "reviewer"}
    at.run()
    at.button(key="start").click().run()
    assert not at.exception, at.exception
    finding_times = []
    for _ in range(args.openings):
        current = at.session_state["finding_id"]
        t = time.perf_counter()
        at.button(key="verdict_fp").click().run()  # label, then the next finding's page
        finding_times.append(time.perf_counter() - t)
        assert not at.exception, at.exception
        assert at.session_state["finding_id"] != current, [e.value for e in at.error]
    labelled = sum(1 for s in store.label_states().values())
    print(
        json.dumps(
            {
                "findings": args.findings,
                "queue_total_unfiltered": total,
                "labels": labelled,
                "seed_s": round(seed_s, 1),
                "queue_median_ms": round(statistics.median(queue_times) * 1000, 1),
                "finding_median_ms": round(statistics.median(finding_times) * 1000, 1),
                "queue_p95_ms": p95(queue_times),
                "finding_p95_ms": p95(finding_times),
                "cpus": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
