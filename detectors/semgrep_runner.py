"""Semgrep with our own rule pack, on many files in one process.

The OCaml CLI (`semgrep --experimental`) is used: it starts in ~0.2 s against ~2 s for the
Python one, which decides whether scoring a batch takes one second or three.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson

from core.finding import ParsedReport
from ingest.errors import IngestError
from ingest.parsers.semgrep import parse_semgrep

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
    tree: Path,
    *,
    rules: Path = RULES,
    jobs: int | None = None,
    timeout_s: int = SEMGREP_TIMEOUT_S,
) -> ParsedReport:
    """Scan every file under `tree` (made for the scan: see `detectors.shadow`) in one
    semgrep process. Findings' paths are relative to `tree`."""
    document = _invoke(Path(tree), rules, jobs or max(1, os.cpu_count() or 1), timeout_s)
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
        str(Path(rules).resolve()),  # semgrep runs in the shadow tree
        "--json",
        "--quiet",
        "--metrics=off",
        "--disable-version-check",
        "--jobs",
        str(jobs),
        "--timeout",
        "30",
        "--no-git-ignore",
        # Report what `# nosemgrep` would hide: see detectors.suppressions.
        "--disable-nosem",
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
        raise ScannerError(rules, f"semgrep exited with {completed.returncode}: {tail}") from None
    # A rule that does not load would silently find nothing (and the reward would call the code
    # clean): fatal. Errors on one file (a timeout, a parse error) stay warnings of the report.
    errors = document.get("errors") if isinstance(document, dict) else None
    fatal = [
        e
        for e in errors or []
        if isinstance(e, dict) and e.get("level") == "error" and not e.get("path")
    ]
    if fatal or completed.returncode not in (0, 1):
        detail = "; ".join(str(e.get("message", e)).replace("\n", " ") for e in fatal[:3])
        raise ScannerError(
            rules, f"semgrep exited with {completed.returncode}: {detail or 'no detail'}"
        )
    return document


def _relative(path: str) -> str:
    """A path semgrep printed, relative to the scanned root (it ran there on ".")."""
    return path[2:] if path.startswith("./") else path
