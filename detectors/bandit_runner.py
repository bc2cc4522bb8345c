"""Bandit, in this process, on many files at once.

Bandit's own manager runs its tests; the issues it finds are turned into Bandit's JSON records
and read by the same parser as a Bandit report, so scanning and ingesting normalize alike.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import bandit
from bandit.core import config as bandit_config
from bandit.core import manager as bandit_manager

from core.finding import ParsedReport
from ingest.parsers.bandit import parse_bandit

# Bandit logs every file it reads at INFO and warns about each nosec; its findings are the
# output that matters.
logging.getLogger("bandit").setLevel(logging.ERROR)
_CONFIG: bandit_config.BanditConfig | None = None


def _config() -> bandit_config.BanditConfig:
    global _CONFIG
    if _CONFIG is None:
        _CONFIG = bandit_config.BanditConfig()  # loading the plugins costs ~0.3 s: once
    return _CONFIG


def run_bandit(root: Path, files: Iterable[str]) -> ParsedReport:
    """Run Bandit's default tests over `files` (relative to `root`) in this process."""
    # Absolute paths: Bandit writes a relative one as "./<path>", which would not map back.
    base = os.path.abspath(root)
    targets = [os.path.join(base, name) for name in sorted(set(files)) if name.endswith(".py")]
    # ignore_nosec: report what `# nosec` would hide (see detectors.suppressions).
    manager = bandit_manager.BanditManager(_config(), "file", quiet=True, ignore_nosec=True)
    if targets:
        manager.discover_files(targets, recursive=False)
        manager.run_tests()
    prefix = base.rstrip("/") + "/"
    results = []
    for issue in manager.get_issue_list(sev_level="LOW", conf_level="LOW"):
        record = issue.as_dict(with_code=True, max_lines=3)
        if record["filename"].startswith(prefix):
            record["filename"] = record["filename"][len(prefix) :]
        results.append(record)
    errors = [{"filename": name, "reason": reason} for name, reason in manager.skipped]
    document = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "errors": errors,
        "results": results,
        "metrics": {},
    }
    report = parse_bandit(document)
    for run in report.runs:
        run.tool_version = bandit.__version__  # Bandit's JSON does not carry it
    return report
