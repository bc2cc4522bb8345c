"""Benchmark: ingest a realistic 100,000-result SARIF over 2,000 files into SQLite, then again.

    .venv/bin/python bench/ingest.py [--results 100000] [--files 2000] [--workers 1] [--keep DIR]
                                     [--stages]

Phases, each in a fresh process so peak memory is the phase's own:
1. generate: a Semgrep-like SARIF (rules with CWE tags and help text, results with message,
   region, snippet and a stable fingerprint) written to a temporary folder;
2. ingest: into an empty SQLite store (the embedded default);
3. reingest: the same file again (the store recognises the bytes and does nothing);
4. rescan: the same findings in a new report (another scan time): full lifecycle
   reconciliation that finds every finding unchanged.
With --stages, 5. the first ingest again, one process, each stage of the pipeline timed apart
(read, JSON load, parse, prepare, write) into another empty store.
Prints a line per phase, then one JSON line last:
{"findings_per_s", "reingest_s", "rescan_s", "peak_rss_mb", "ingest_cpu_s", ...}.
`ingest_cpu_s` is the CPU time of the first ingest, its workers included: divided by the
cores, the least wall time that spreading this work over them could reach.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from resource import RUSAGE_CHILDREN, RUSAGE_SELF

import orjson

ROOT = Path(__file__).resolve().parents[1]
RULES = [
    (
        "flywheel.python.sql-injection-formatted-query",
        "CWE-89",
        "error",
        'cursor.execute(f"SELECT * FROM t WHERE id = {uid_%d}")',
    ),
    (
        "flywheel.python.subprocess-shell-true",
        "CWE-78",
        "error",
        'subprocess.check_output(f"ping {host_%d}", shell=True)',
    ),
    (
        "flywheel.python.pickle-loads",
        "CWE-502",
        "error",
        "obj_%d = pickle.loads(request.get_data())",
    ),
    (
        "flywheel.python.weak-hash",
        "CWE-328",
        "warning",
        "digest_%d = hashlib.md5(password.encode()).hexdigest()",
    ),
    ("flywheel.python.insecure-random", "CWE-330", "warning", "token_%d = random.choice(ALPHABET)"),
    (
        "flywheel.python.requests-verify-false",
        "CWE-295",
        "warning",
        "requests.get(url_%d, verify=False, timeout=5)",
    ),
    (
        "flywheel.python.yaml-unsafe-load",
        "CWE-502",
        "error",
        "cfg_%d = yaml.load(text, Loader=yaml.Loader)",
    ),
    (
        "flywheel.python.flask-render-template-string",
        "CWE-94",
        "error",
        'return render_template_string("<p>" + name_%d)',
    ),
]


def generate(path: Path, results: int, files: int) -> None:
    rules = [
        {
            "id": rule_id,
            "name": rule_id,
            "shortDescription": {"text": f"Semgrep Finding: {rule_id}"},
            "fullDescription": {"text": f"{rule_id}: a weakness the rule pack describes in full."},
            "help": {
                "text": "Fix it the way the rule's message says; see the references.",
                "markdown": "Fix it the way the rule's message says.",
            },
            "defaultConfiguration": {"level": level},
            "properties": {"precision": "very-high", "tags": [f"{cwe}: weakness", "security"]},
        }
        for rule_id, cwe, level, _ in RULES
    ]
    out = []
    for i in range(results):
        file_no = i % files
        rule_index = (i // files) % len(RULES)
        rule_id, _, level, code = RULES[rule_index]
        line = 10 + (i // files) * 7 % 2000
        text = "    " + code % i
        out.append(
            {
                "ruleId": rule_id,
                "ruleIndex": rule_index,
                "level": level,
                "message": {
                    "text": f"Data from the request reaches a dangerous call ({rule_id.rsplit('.', 1)[-1]}). "
                    "Validate it, or use the safe API the rule names."
                },
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {
                                "uri": f"src/pkg{file_no % 40:02d}/module_{file_no:04d}.py",
                                "uriBaseId": "%SRCROOT%",
                            },
                            "region": {
                                "startLine": line,
                                "startColumn": 5,
                                "endLine": line,
                                "endColumn": len(text) + 1,
                                "snippet": {"text": text},
                            },
                        }
                    }
                ],
                "fingerprints": {
                    "matchBasedId/v1": hashlib.sha512(f"{rule_id}{file_no}{i}".encode()).hexdigest()
                },
                "properties": {},
            }
        )
    document = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "Semgrep OSS", "semanticVersion": "1.182.0", "rules": rules}
                },
                "invocations": [
                    {"executionSuccessful": True, "endTimeUtc": "2026-11-20T10:00:00Z"}
                ],
                "results": out,
            }
        ],
    }
    path.write_bytes(orjson.dumps(document))


def ingest_phase(report: Path, db: Path, workers: int) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from ingest.pipeline import IngestOptions, ingest_paths
    from store import FindingsStore

    store = FindingsStore(f"sqlite:///{db}")
    sampler = PssSampler()
    started = time.perf_counter()
    # CPU time from here on (the imports above are not the ingest's).
    before = [resource.getrusage(who) for who in (RUSAGE_SELF, RUSAGE_CHILDREN)]
    options = IngestOptions(repository="bench/repo", workers=workers)
    summary = ingest_paths([report], store, options)
    elapsed = time.perf_counter() - started
    sampler.stop()
    if summary.failed:
        raise SystemExit(summary.failed[0].error)
    counts = summary.totals()
    after = [resource.getrusage(who) for who in (RUSAGE_SELF, RUSAGE_CHILDREN)]
    cpu = sum(
        a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime
        for a, b in zip(after, before, strict=True)
    )
    return {
        "seconds": elapsed,
        "cpu_seconds": cpu,
        "new": counts["new"],
        "unchanged": counts["unchanged"],
        "fixed": counts["fixed"],
        "status": summary.reports[0].status,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # The forked workers (the largest of them; 0 when none ran).
        "worker_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "pss_mb": sampler.peak_mb,
    }


def stages_phase(report: Path, db: Path) -> dict[str, float]:
    """The pipeline's stages one after another, each timed: where the single core's time goes.
    The same functions `ingest_paths` calls, with the garbage collector paused as it does."""
    sys.path.insert(0, str(ROOT))
    from ingest.parsers import parse_document
    from ingest.pipeline import gc_paused, load_document, read_report
    from ingest.prepare import prepare_runs
    from store import FindingsStore, Report

    store = FindingsStore(f"sqlite:///{db}")
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[stage] = round(now - started, 2)
        started = now

    with gc_paused():
        data = read_report(report, 1 << 40)
        sha256 = hashlib.sha256(data).hexdigest()
        lap("read")
        document = load_document(data, report)
        lap("load")
        parsed = parse_document(document, None)
        del document
        lap("parse")
        runs = prepare_runs(parsed, "bench/repo", None)
        lap("prepare")
        row = Report(
            path=str(report),
            sha256=sha256,
            format=parsed.format,
            size_bytes=len(data),
            repository="bench/repo",
            record_count=parsed.finding_count,
        )
        store.write_report(row, runs)
        lap("write")
    return seconds


class PssSampler:
    """The largest proportional set size of this process and its children together, sampled
    every 200 ms: what the processes really hold (pages shared copy-on-write count once)."""

    def __init__(self) -> None:
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(0.2):
            pids = [os.getpid()]
            for children in Path("/proc/self/task").glob("*/children"):
                pids += [int(pid) for pid in children.read_text().split()]
            total_kb = 0
            for pid in pids:
                try:
                    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
                except OSError:
                    continue  # a worker that just exited
                for line in rollup.splitlines():
                    if line.startswith("Pss:"):
                        total_kb += int(line.split()[1])
            self.peak_mb = max(self.peak_mb, total_kb / 1024)


def child(phase: str, *args: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=100_000)
    parser.add_argument("--files", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument(
        "--workers", type=int, default=1, help="ingest processes (1: none forked; 0: one per core)"
    )
    parser.add_argument(
        "--stages", action="store_true", help="also time each stage of one ingest apart"
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.phase == "generate":
        started = time.perf_counter()
        generate(Path(options.args[0]), int(options.args[1]), int(options.args[2]))
        print(json.dumps({"seconds": time.perf_counter() - started}))
        return
    if options.phase == "stages":
        print(json.dumps(stages_phase(Path(options.args[0]), Path(options.args[1]))))
        return
    if options.phase == "ingest":
        report, db, workers = options.args
        print(json.dumps(ingest_phase(Path(report), Path(db), int(workers))))
        return

    work = options.keep or Path(tempfile.mkdtemp(prefix="flywheel-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    report, rescan, db = work / "scan.sarif", work / "rescan.sarif", work / "findings.db"
    for stale in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        stale.unlink(missing_ok=True)
    child("generate", str(report), str(options.results), str(options.files))
    # The rescan: the same results, but another scan (different bytes, a later time).
    rescan.write_bytes(
        report.read_bytes().replace(b"2026-11-20T10:00:00Z", b"2026-11-21T10:00:00Z")
    )
    size_mb = report.stat().st_size / 1e6

    first = child("ingest", str(report), str(db), str(options.workers))
    print(
        f"ingest   {options.results:,} results ({size_mb:.0f} MB SARIF): {first['seconds']:.2f} s, "
        f"{first['new']:,} new, peak {first['rss_mb']:.0f} MB "
        f"(+ worker {first['worker_rss_mb']:.0f} MB; together {first['pss_mb']:.0f} MB PSS)",
        file=sys.stderr,
    )
    again = child("ingest", str(report), str(db), str(options.workers))
    print(
        f"reingest same file: {again['seconds']:.2f} s ({again['status']}), "
        f"peak {again['rss_mb']:.0f} MB",
        file=sys.stderr,
    )
    rescanned = child("ingest", str(rescan), str(db), str(options.workers))
    print(
        f"rescan   same findings, new report: {rescanned['seconds']:.2f} s, "
        f"{rescanned['unchanged']:,} unchanged, {rescanned['new']} new, {rescanned['fixed']} fixed, "
        f"peak {rescanned['rss_mb']:.0f} MB",
        file=sys.stderr,
    )
    stages = None
    if options.stages:
        staged_db = work / "stages.db"
        for stale in (staged_db, Path(f"{staged_db}-wal"), Path(f"{staged_db}-shm")):
            stale.unlink(missing_ok=True)
        stages = child("stages", str(report), str(staged_db))
        print(
            "stages   " + ", ".join(f"{name} {s:.2f} s" for name, s in stages.items()),
            file=sys.stderr,
        )
    assert first["new"] == options.results, first
    assert rescanned["unchanged"] == options.results and rescanned["new"] == 0, rescanned
    figures = {
        "results": options.results,
        "files": options.files,
        "report_mb": round(size_mb, 1),
        "findings_per_s": round(options.results / first["seconds"]),
        "ingest_s": round(first["seconds"], 2),
        "reingest_s": round(again["seconds"], 2),
        "rescan_s": round(rescanned["seconds"], 2),
        "peak_rss_mb": round(max(first["rss_mb"], again["rss_mb"], rescanned["rss_mb"])),
        # The ingest's processes together (forked workers included), pages they share counted
        # once: sampled, so a short peak between samples may be missed.
        "peak_pss_mb": round(max(p["pss_mb"] for p in (first, again, rescanned))),
        "ingest_cpu_s": round(first["cpu_seconds"], 2),
        "workers": options.workers,
        "cpu_count": os.cpu_count(),
    }
    if stages is not None:
        figures["stages_s"] = stages
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
