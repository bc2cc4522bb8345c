"""Semgrep with our own rule pack, on many files in one process.

Python files are scanned as `ingest.scanners.simplify` rewrites them (constant conditions
decided, dead branches removed, known container reads resolved; line numbers unchanged), from
a temporary shadow tree; findings are mapped back to the real paths. The OCaml CLI
(`semgrep --experimental`) is used: it starts in ~0.2 s against ~2 s for the Python one, which
decides whether scoring a batch takes one second or three.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import orjson

from ingest.errors import IngestError
from ingest.finding import ParsedReport
from ingest.parsers.semgrep import parse_semgrep
from ingest.scanners.scratch import scratch_directory
from ingest.scanners.simplify import simplify

RULES = Path(__file__).with_name("rules")
SEMGREP_TIMEOUT_S = 600


class ScannerError(IngestError):
    """A scanner could not run (missing binary, crash, unreadable output)."""


def semgrep_binary() -> str:
    """The semgrep next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("semgrep")
    if beside.exists():
        return str(beside)
    found = shutil.which("semgrep")
    if found is None:
        raise ScannerError(None, "semgrep is not installed", hint="pip install semgrep")
    return found


def run_semgrep(
    root: Path,
    files: Iterable[str],
    *,
    rules: Path = RULES,
    simplified: bool = True,
    jobs: int | None = None,
    timeout_s: int = SEMGREP_TIMEOUT_S,
) -> ParsedReport:
    """Scan `files` (paths relative to `root`) in one semgrep process.

    Returns the parsed report with paths relative to `root`.
    """
    relative = sorted(set(files))
    report = ParsedReport(format="semgrep")
    if not relative:
        return report
    with scratch_directory("flywheel-semgrep-") as shadow:
        shadow_root = Path(shadow)
        for name in relative:
            target = shadow_root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            text = (root / name).read_text(encoding="utf-8", errors="replace")
            if simplified and name.endswith(".py"):
                text = simplify(text)
            target.write_text(text, encoding="utf-8")
        document = _invoke(shadow_root, rules, jobs or max(1, os.cpu_count() or 1), timeout_s)
    report = parse_semgrep(document)
    for run in report.runs:
        for finding in run.findings:
            if finding.path:
                finding.path = _relative(finding.path)
    return report


def _invoke(target: Path, rules: Path, jobs: int, timeout_s: int) -> object:
    command = [
        semgrep_binary(),
        "--experimental",
        "--config",
        str(rules),
        "--json",
        "--quiet",
        "--metrics=off",
        "--disable-version-check",
        "--jobs",
        str(jobs),
        "--timeout",
        "30",
        "--no-git-ignore",
        # Relative to the shadow tree (the working directory): paths in results and in their
        # dataflow traces then name the real files, and stay equal from one scan to the next.
        ".",
    ]
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            timeout=timeout_s,
            check=False,
            cwd=target,
            env={**os.environ, "SEMGREP_SEND_METRICS": "off"},
        )
    except subprocess.TimeoutExpired:
        raise ScannerError(None, f"semgrep ran longer than {timeout_s} s") from None
    except OSError as exc:
        raise ScannerError(None, f"semgrep could not start: {exc}") from None
    try:
        document = orjson.loads(completed.stdout)
    except orjson.JSONDecodeError:
        tail = completed.stderr.decode("utf-8", "replace")[-600:]
        raise ScannerError(None, f"semgrep exited with {completed.returncode}: {tail}") from None
    return document


def _relative(path: str) -> str:
    """A path semgrep printed, relative to the scanned root (it ran there on ".")."""
    return path[2:] if path.startswith("./") else path
