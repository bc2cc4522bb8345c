"""Bad input: a clear error naming the file and the problem, nothing from it written, the
other reports of the same call still ingested, and nothing already stored lost."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.errors import (
    EmptyReport,
    IngestError,
    MalformedReport,
    ReportTooLarge,
    UnreadableReport,
    UnsupportedFormat,
)
from ingest.pipeline import IngestOptions, ingest_paths, ingest_report
from orchestration.cli import app
from store import FindingsStore

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "reports"
SEMGREP_JSON = (
    Path(__file__).resolve().parent / "fixtures" / "reports" / "semgrep" / "sample_service.json"
)


def _truncated(tmp: Path) -> Path:
    data = SEMGREP_JSON.read_bytes()
    path = tmp / "truncated.json"
    path.write_bytes(data[: len(data) // 2])
    return path


def _write(name: str, content: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(content)
        return path

    return make


def _directory(tmp: Path) -> Path:
    path = tmp / "reports.json"
    path.mkdir()
    return path


CASES = [
    # (maker, error type, words the message must hold)
    (
        _write("broken.json", b'{"runs": [{"tool": '),
        MalformedReport,
        ["not valid JSON", "truncated"],
    ),
    (_truncated, MalformedReport, ["not valid JSON", "line"]),
    (
        _write("unknown.json", b'{"hello": 1, "world": [2]}'),
        UnsupportedFormat,
        ["no known report format", "'hello'", "sarif"],
    ),
    (
        _write("old.sarif", b'{"version": "2.0.0", "runs": []}'),
        UnsupportedFormat,
        ["SARIF version '2.0.0'", "2.1.0"],
    ),
    (_write("empty.json", b""), EmptyReport, ["empty"]),
    (_write("blank.json", b"  \n\t\n"), EmptyReport, ["whitespace"]),
    (
        _write("binary.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
        MalformedReport,
        ["not valid JSON"],
    ),
    (_write("numbers.json", b"[1, 2, 3]"), UnsupportedFormat, ["array of int"]),
    (_write("scalar.json", b'"just a string"'), UnsupportedFormat, ["JSON str"]),
    (_write("bad-results.json", b'{"results": 7, "errors": []}'), MalformedReport, ["results"]),
    (lambda tmp: tmp / "missing.json", UnreadableReport, ["no such file"]),
    (_directory, UnreadableReport, ["directory"]),
]
IDS = [
    "malformed",
    "truncated-real-report",
    "unknown-format",
    "wrong-sarif-version",
    "zero-bytes",
    "only-whitespace",
    "binary",
    "array-of-numbers",
    "json-scalar",
    "semgrep-results-not-array",
    "missing-file",
    "directory",
]


@pytest.mark.parametrize(("make", "error", "words"), CASES, ids=IDS)
def test_bad_report_is_refused_clearly_and_writes_nothing(
    store: FindingsStore,
    tmp_path: Path,
    make: Callable[[Path], Path],
    error: type[IngestError],
    words: list[str],
) -> None:
    # Something is stored already; it must survive the bad report untouched.
    ingest_paths([EXAMPLES / "bandit.json"], store, IngestOptions(repository="acme/shop"))
    before = [(r.id, r.version, r.status) for r in store.findings()]
    bad = make(tmp_path)

    with pytest.raises(error) as raised:
        ingest_report(bad, store, IngestOptions(repository="acme/shop"))

    message = str(raised.value)
    assert str(bad) in message  # it names the file...
    for word in words:
        assert word in message  # ...and the problem
    assert [(r.id, r.version, r.status) for r in store.findings()] == before
    assert len(store.reports()) == 1


def test_too_large_report_is_refused_before_reading(store: FindingsStore) -> None:
    report = SEMGREP_JSON
    with pytest.raises(ReportTooLarge, match="over the limit") as raised:
        ingest_report(report, store, IngestOptions(max_report_bytes=1000))
    assert str(report) in str(raised.value)
    assert "FLYWHEEL_MAX_REPORT_MB" in str(raised.value)
    assert store.count() == 0


def test_one_bad_report_does_not_stop_the_others(store: FindingsStore, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"runs": ')
    summary = ingest_paths(
        [EXAMPLES / "bandit.json", bad, SEMGREP_JSON],
        store,
        IngestOptions(repository="acme/shop"),
    )
    assert [r.status for r in summary.reports] == ["ingested", "failed", "ingested"]
    assert summary.failed[0].path == str(bad)
    assert store.count() == 17 + 15
    assert len(store.reports()) == 2


def test_cli_exit_status_and_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"")
    result = CliRunner().invoke(
        app, ["ingest", str(EXAMPLES / "bandit.json"), str(bad), "--repository", "acme/shop"]
    )
    assert result.exit_code == 1
    assert f"{bad}: the file is empty" in result.output
    assert "1 of 2 reports ingested or unchanged; 1 failed" in result.output


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--format", "nessus"], "--format 'nessus' is not one of"),
        (["--repo", "/no/such/checkout"], "--repo /no/such/checkout: not a directory"),
    ],
    ids=["unknown-format-option", "repo-not-a-directory"],
)
def test_cli_refuses_bad_options_before_ingesting(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    words: str,
) -> None:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["ingest", str(EXAMPLES / "bandit.json"), *args])
    assert result.exit_code == 2
    assert words in result.output
    assert not (tmp_path / "home" / "findings.db").exists()


def test_cli_refuses_a_bad_database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLYWHEEL_DB_URL", "mysql://root@localhost/x")
    result = CliRunner().invoke(app, ["findings"])
    assert result.exit_code == 2
    assert "is not a SQLite or PostgreSQL URL" in result.output


def test_cli_reports_an_unreachable_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLYWHEEL_DB_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["findings"])
    assert result.exit_code == 2
    assert "cannot open the findings store" in result.output
