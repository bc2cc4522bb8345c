"""A finding's life across scans: dedup, fixed, reopened, suppressed, out-of-order scans.

Every test runs on a SQLite file and on PostgreSQL (the `store` fixture).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from core.finding import Finding, Status
from core.severity import Severity
from ingest.pipeline import IngestOptions, IngestSummary, ingest_paths
from store import (
    FindingFilter,
    FindingsStore,
    PreparedRun,
    Report,
    ScanRun,
    prepare_finding,
)
from store.tables import FindingRecord

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def semgrep_report(
    tmp_path: Path, name: str, results: list[dict], version: str = "1.182.0"
) -> Path:
    """A Semgrep JSON report holding `results` (check_id, path, line, code[, ignored])."""
    document = {
        "version": version,
        "errors": [],
        "results": [
            {
                "check_id": r["check_id"],
                "path": r["path"],
                "start": {"line": r["line"], "col": 5},
                "end": {"line": r["line"], "col": 40},
                "extra": {
                    "message": r.get("message", "Command built from input runs in a shell."),
                    "severity": r.get("severity", "ERROR"),
                    "metadata": {"cwe": ["CWE-78: OS Command Injection"]},
                    "lines": r["code"],
                    "is_ignored": r.get("ignored", False),
                    "fingerprint": "requires login",
                },
            }
            for r in results
        ],
    }
    path = tmp_path / name
    path.write_bytes(orjson.dumps(document))
    return path


SHELL = {
    "check_id": "shell-true",
    "path": "app/ops.py",
    "line": 9,
    "code": "    subprocess.check_output(cmd, shell=True)",
}
SYSTEM = {
    "check_id": "os-system",
    "path": "app/ops.py",
    "line": 13,
    "code": "    os.system('tar czf ' + name)",
}


def ingest(
    store: FindingsStore,
    report: Path,
    *,
    at: datetime = T0,
    commit: str | None = None,
    repository: str = "acme/shop",
    service: str = "",
) -> IngestSummary:
    summary = ingest_paths(
        [report],
        store,
        IngestOptions(repository=repository, service=service, commit=commit, scanned_at=at),
    )
    assert not summary.failed, summary.failed[0].error
    return summary


def by_rule(store: FindingsStore) -> dict[str, FindingRecord]:
    return {row.rule_id: row for row in store.findings()}


def test_reingesting_the_same_report_changes_nothing(store: FindingsStore, tmp_path: Path) -> None:
    report = semgrep_report(tmp_path, "scan.json", [SHELL, SYSTEM])
    first = ingest(store, report)
    assert first.totals()["new"] == 2
    before = [(r.id, r.version, r.observed_hash) for r in store.findings()]

    again = ingest(store, report)

    assert again.reports[0].status == "unchanged"
    assert again.totals() == {}
    assert [(r.id, r.version, r.observed_hash) for r in store.findings()] == before
    assert len(store.scan_runs()) == 1 and len(store.reports()) == 1


def test_a_newer_scan_fixes_what_disappeared_and_reopens_what_returns(
    store: FindingsStore,
    tmp_path: Path,
) -> None:
    ingest(store, semgrep_report(tmp_path, "1.json", [SHELL, SYSTEM]), commit="c1")

    second = ingest(
        store, semgrep_report(tmp_path, "2.json", [SHELL]), at=T0 + timedelta(days=1), commit="c2"
    )
    assert second.totals()["fixed"] == 1 and second.totals()["unchanged"] == 1
    fixed = by_rule(store)["os-system"]
    assert fixed.status == Status.FIXED
    assert fixed.fixed_commit == "c2"  # the remediation outcome later stages learn from
    assert fixed.fixed_at is not None
    assert [e.event for e in store.events(fixed.id)] == ["fixed"]

    third = ingest(
        store,
        semgrep_report(tmp_path, "3.json", [SHELL, SYSTEM]),
        at=T0 + timedelta(days=2),
        commit="c3",
    )
    assert third.totals()["reopened"] == 1
    reopened = by_rule(store)["os-system"]
    assert reopened.id == fixed.id  # the same finding, not a new one
    assert reopened.status == Status.REOPENED
    assert reopened.reopened_count == 1
    assert reopened.fixed_commit is None
    assert [e.event for e in store.events(fixed.id)] == ["fixed", "reopened"]
    assert store.count() == 2


def test_scans_of_other_tools_services_or_repositories_close_nothing(
    store: FindingsStore,
    tmp_path: Path,
) -> None:
    ingest(store, semgrep_report(tmp_path, "1.json", [SHELL, SYSTEM]))
    empty = semgrep_report(tmp_path, "empty.json", [])
    later = T0 + timedelta(days=1)

    ingest(store, empty, at=later, repository="acme/other")
    ingest(store, empty, at=later, service="billing")
    assert store.count(FindingFilter(statuses=[Status.OPEN])) == 2

    # The same repository and tool with no findings: everything is fixed.
    ingest(store, empty, at=later + timedelta(hours=1))
    assert store.count(FindingFilter(statuses=[Status.FIXED])) == 2


def test_a_report_with_no_repository_or_service_closes_nothing(
    store: FindingsStore,
    tmp_path: Path,
) -> None:
    ingest(store, semgrep_report(tmp_path, "1.json", [SHELL, SYSTEM]), repository="")
    summary = ingest(
        store, semgrep_report(tmp_path, "2.json", [SHELL]), at=T0 + timedelta(days=1), repository=""
    )
    assert summary.totals()["fixed"] == 0
    assert any("not closed" in w for w in summary.reports[0].warnings)
    assert store.count(FindingFilter(statuses=[Status.OPEN])) == 2


def test_an_older_scan_arriving_late_changes_no_lifecycle(
    store: FindingsStore,
    tmp_path: Path,
) -> None:
    ingest(store, semgrep_report(tmp_path, "new.json", [SHELL]), at=T0 + timedelta(days=5))
    late = ingest(store, semgrep_report(tmp_path, "old.json", [SHELL, SYSTEM]), at=T0)

    run = late.reports[0].runs[0]
    assert run.applied_lifecycle is False
    rows = by_rule(store)
    assert rows["shell-true"].status == Status.OPEN
    # Seen only by the older scan: stored, but as already gone in the newer one.
    assert rows["os-system"].status == Status.FIXED
    assert [s.applied_lifecycle for s in store.scan_runs()] == [True, False]


def test_suppression_follows_the_tool(store: FindingsStore, tmp_path: Path) -> None:
    ingest(store, semgrep_report(tmp_path, "1.json", [SHELL]))
    suppressed = ingest(
        store,
        semgrep_report(tmp_path, "2.json", [{**SHELL, "ignored": True}]),
        at=T0 + timedelta(days=1),
    )
    assert suppressed.totals()["suppressed"] == 1
    row = by_rule(store)["shell-true"]
    assert row.status == Status.SUPPRESSED and row.suppression == "nosemgrep"

    ingest(store, semgrep_report(tmp_path, "3.json", [SHELL]), at=T0 + timedelta(days=2))
    row = by_rule(store)["shell-true"]
    assert row.status == Status.OPEN
    assert [e.event for e in store.events(row.id)] == ["suppressed", "unsuppressed"]


def test_moved_lines_keep_identity_and_update_location(
    store: FindingsStore, tmp_path: Path
) -> None:
    ingest(store, semgrep_report(tmp_path, "1.json", [SHELL, SYSTEM]))
    ids = {r.rule_id: r.id for r in store.findings()}
    moved = [{**SHELL, "line": 19}, {**SYSTEM, "line": 23}]
    summary = ingest(store, semgrep_report(tmp_path, "2.json", moved), at=T0 + timedelta(days=1))
    assert summary.totals() == {"unchanged": 2}
    rows = by_rule(store)
    assert {r: rows[r].id for r in rows} == ids
    assert rows["shell-true"].start_line == 19 and rows["shell-true"].version == 2


def test_repeated_records_in_one_report_are_one_finding(
    store: FindingsStore, tmp_path: Path
) -> None:
    summary = ingest(store, semgrep_report(tmp_path, "1.json", [SHELL, SHELL, SYSTEM]))
    assert summary.reports[0].runs[0].duplicates == 1
    assert store.count() == 2
    assert store.scan_runs()[0].duplicate_count == 1


def test_a_failed_write_leaves_nothing(store: FindingsStore) -> None:
    good = Finding(
        tool="semgrep",
        rule_id="r",
        message="m",
        severity=Severity.HIGH,
        fingerprint="a" * 32,
        match_key="b" * 32,
        cross_tool_key="c" * 32,
    )
    # A finding the contract would refuse (no message) makes the database refuse the row:
    # everything written before it in the same report must be rolled back.
    broken = Finding.model_construct(**{**good.__dict__, "message": None, "fingerprint": "d" * 32})
    runs = [
        PreparedRun(
            tool="semgrep",
            tool_version=None,
            repository="acme/shop",
            service="",
            commit=None,
            scanned_at=T0,
            findings=[prepare_finding(good)],
            record_count=1,
            duplicates=0,
        ),
        PreparedRun(
            tool="bandit",
            tool_version=None,
            repository="acme/shop",
            service="",
            commit=None,
            scanned_at=T0,
            findings=[prepare_finding(broken)],
            record_count=1,
            duplicates=0,
        ),
    ]
    report = Report(
        path="x.json",
        sha256="0" * 64,
        format="sarif",
        size_bytes=1,
        repository="acme/shop",
        service="",
        record_count=2,
    )
    with pytest.raises(sa.exc.IntegrityError):
        store.write_report(report, runs)
    with store.engine.connect() as conn:
        for table in (Report, ScanRun, FindingRecord):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0


def test_cross_tool_group_spans_tools_on_the_same_weakness(
    store: FindingsStore,
    tmp_path: Path,
) -> None:
    semgrep = semgrep_report(tmp_path, "semgrep.json", [SHELL])
    bandit = tmp_path / "bandit.json"
    bandit.write_bytes(
        orjson.dumps(
            {
                "generated_at": "2026-11-01T09:00:00Z",
                "errors": [],
                "metrics": {},
                "results": [
                    {
                        "test_id": "B602",
                        "test_name": "subprocess_popen_with_shell_equals_true",
                        "issue_text": "subprocess call with shell=True identified, security issue.",
                        "issue_severity": "HIGH",
                        "issue_confidence": "HIGH",
                        "issue_cwe": {
                            "id": 78,
                            "link": "https://cwe.mitre.org/data/definitions/78.html",
                        },
                        "filename": "./app/ops.py",
                        "line_number": 9,
                        "line_range": [9],
                        "code": "9     subprocess.check_output(cmd, shell=True)\n",
                    }
                ],
            }
        )
    )
    ingest(store, semgrep)
    ingest(store, bandit)
    rows = store.findings()
    assert {r.tool for r in rows} == {"semgrep", "bandit"}
    assert len({r.cross_tool_key for r in rows}) == 1


def test_runs_of_one_report_group_across_tools(store: FindingsStore, tmp_path: Path) -> None:
    # One SARIF log, two tools' runs on the same shell=True call: one cross-tool group.
    def run(tool: str, rule: str, cwe: str) -> dict:
        return {
            "tool": {
                "driver": {"name": tool, "rules": [{"id": rule, "properties": {"tags": [cwe]}}]}
            },
            "results": [
                {
                    "ruleId": rule,
                    "level": "error",
                    "message": {"text": "shell=True"},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "app/ops.py"},
                                "region": {"startLine": 9, "snippet": {"text": SHELL["code"]}},
                            }
                        }
                    ],
                }
            ],
        }

    report = tmp_path / "two-runs.sarif"
    report.write_bytes(
        orjson.dumps(
            {
                "version": "2.1.0",
                "runs": [
                    run("Bandit", "B602", "external/cwe/cwe-78"),
                    run("CodeQL", "py/command-line-injection", "external/cwe/cwe-77"),
                ],
            }
        )
    )
    ingest(store, report)
    rows = store.findings()
    assert {r.tool for r in rows} == {"bandit", "codeql"}
    assert len({r.cross_tool_key for r in rows}) == 1
