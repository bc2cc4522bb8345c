"""Harness throughput: the security suite's references, and completions, through the sandbox.

    .venv/bin/python bench/yardstick.py [--workers 2]

Times (1) the reference check of the bundled suite: one sandboxed pytest run per task (the
secure reference against every test, the insecure one against its own); (2) the judging of
one completion per task, where every completion is the task's secure reference (so every run
collects and runs the tests: the costly case; a completion that does not define the task's
functions is judged without a sandbox). One JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox.process import bwrap_prefix  # noqa: E402
from yardstick.harness import check_references, evaluate_completions  # noqa: E402
from yardstick.suites import MARKER, load_suite  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    suite = load_suite()
    started = time.perf_counter()
    report = check_references(suite, workers=args.workers)
    references_s = time.perf_counter() - started
    completions = {
        task.id: [f"```python\n{task.task_source.replace(MARKER, '')}```"] for task in suite.tasks
    }
    started = time.perf_counter()
    evaluation = evaluate_completions(
        suite.tasks, completions, model="secure references", suite=suite, workers=args.workers
    )
    completions_s = time.perf_counter() - started
    figures = {
        "tasks": report.tasks,
        "cwes": report.cwes,
        "refused": len(report.refused),
        "isolation": "bwrap" if bwrap_prefix("/tmp") else "namespaces",
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "references_s": round(references_s, 2),
        "references_tasks_per_s": round(len(suite.tasks) / references_s, 3),
        "completions_s": round(completions_s, 2),
        "completions_tasks_per_s": round(len(suite.tasks) / completions_s, 3),
        "secure_references_func_sec_at_1": evaluation.overall.func_sec_at_1,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
