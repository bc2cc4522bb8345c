"""Identity against real scanners: edit a real file, rescan with Bandit and Semgrep, re-ingest.

Inserting lines above findings must not change who they are (DefectDojo keys on line numbers
and closes and recreates findings when lines shift); removing a vulnerable line fixes exactly
that finding, with the commit; putting it back reopens it.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.finding import Status
from ingest.pipeline import IngestOptions, ingest_paths
from store import FindingFilter, FindingsStore

RULES = Path(__file__).resolve().parents[1] / "detectors" / "rules" / "python"
SEMGREP = Path(sys.executable).with_name("semgrep")
T0 = datetime(2026, 11, 1, tzinfo=UTC)

pytestmark = pytest.mark.slow


def scan(service: Path, out: Path) -> list[Path]:
    """Real Bandit and Semgrep runs over `service`, reports written under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    bandit, semgrep = out / "bandit.json", out / "semgrep.json"
    subprocess.run(
        [sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q", "-o", str(bandit)],
        cwd=service,
        check=False,
        capture_output=True,
    )
    result = subprocess.run(
        [
            str(SEMGREP),
            "--config",
            str(RULES),
            "--json",
            "--metrics=off",
            "--disable-version-check",
            "-q",
            "-o",
            str(semgrep),
            ".",
        ],
        cwd=service,
        check=False,
        capture_output=True,
        text=True,
    )
    assert semgrep.exists() and bandit.exists(), result.stderr
    return [bandit, semgrep]


def ingest(store: FindingsStore, reports: list[Path], service: Path, day: int, commit: str):
    summary = ingest_paths(
        reports,
        store,
        IngestOptions(
            repo=service,
            repository="acme/sample",
            commit=commit,
            scanned_at=T0 + timedelta(days=day),
        ),
    )
    assert not summary.failed, [r.error for r in summary.failed]
    return summary


def test_editing_a_real_file_keeps_identity_fixes_and_reopens(
    store: FindingsStore,
    sample_service: Path,
    tmp_path: Path,
) -> None:
    first = ingest(store, scan(sample_service, tmp_path / "1"), sample_service, 0, "c1")
    total = first.totals()["new"]
    assert total >= 25  # both tools found the sample's weaknesses
    before = {(r.tool, r.fingerprint): (r.id, r.start_line) for r in store.findings()}

    # Insert lines at the top of ops.py and a blank line right above its shell call.
    ops = sample_service / "app" / "ops.py"
    text = ops.read_text()
    text = (
        '"""Helpers."""\n# reviewed 2026-11\nimport logging\n\nlog = logging.getLogger(__name__)\n'
        + text
    )
    text = text.replace(
        "    return subprocess.check_output(", "\n    return subprocess.check_output("
    )
    ops.write_text(text)
    second = ingest(store, scan(sample_service, tmp_path / "2"), sample_service, 1, "c2")
    assert second.totals() == {"unchanged": total}
    after = {(r.tool, r.fingerprint): (r.id, r.start_line) for r in store.findings()}
    assert set(after) == set(before)  # same identities...
    moved = [key for key in after if after[key][1] != before[key][1]]
    assert moved and all(after[k][0] == before[k][0] for k in after)  # ...same rows, new lines

    # Fix the command injection in archive(): both tools' findings on that line are fixed.
    fixed_text = text.replace(
        '    os.system("tar czf /tmp/backup.tgz " + name)',
        '    subprocess.run(["tar", "czf", "/tmp/backup.tgz", name], check=True)',
    )
    ops.write_text(fixed_text)
    third = ingest(store, scan(sample_service, tmp_path / "3"), sample_service, 2, "c3")
    fixed = store.findings(FindingFilter(statuses=[Status.FIXED]))
    assert third.totals()["fixed"] == len(fixed) >= 2
    assert {r.fixed_commit for r in fixed} == {"c3"}
    assert all(r.path == "app/ops.py" and "system" in (r.flagged_text or "") for r in fixed)
    # The fix brings its own (lower) findings: Bandit flags every subprocess call.
    third_runs = {run.scan_run_id for report in third.reports for run in report.runs}
    introduced = {r.id for r in store.findings() if r.first_scan_run_id in third_runs}
    assert len(introduced) == third.totals()["new"]

    # The vulnerable line comes back (a revert): the same findings reopen.
    ops.write_text(text)
    fourth = ingest(store, scan(sample_service, tmp_path / "4"), sample_service, 3, "c4")
    assert fourth.totals()["reopened"] == len(fixed)
    reopened = store.findings(FindingFilter(statuses=[Status.REOPENED]))
    assert {r.id for r in reopened} == {r.id for r in fixed}
    # What the fix introduced is gone again; nothing was ever duplicated.
    assert fourth.totals()["fixed"] == len(introduced)
    assert store.count() == total + len(introduced)
