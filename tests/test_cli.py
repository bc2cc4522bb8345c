"""The `flywheel` command line, driven as users drive it (Typer's runner, a real store)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
COMMANDS = [
    ["run"],
    ["ingest"],
    ["findings"],
    ["scan"],
    ["score"],
    ["eval-detector"],
    ["embed"],
    ["similar"],
    ["label"],
    ["suggest"],
    ["eval-triage"],
    ["db"],
    ["db", "upgrade"],
    ["db", "current"],
    ["users"],
    ["users", "add"],
    ["users", "disable"],
    ["users", "enable"],
    ["users", "list"],
    ["labels"],
    ["labels", "export"],
    ["labels", "import"],
    ["ui"],
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("FLYWHEEL_DB_URL", raising=False)
    monkeypatch.delenv("FLYWHEEL_CONFIG", raising=False)
    return tmp_path / "home"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_has_help(command: list[str]) -> None:
    code, output = invoke(*command, "--help")
    assert code == 0
    assert "Usage:" in output and "--help" in output


def test_top_level_help_lists_the_commands() -> None:
    code, output = invoke("--help")
    assert code == 0
    for name in ("run", "ingest", "findings", "scan", "score", "eval-detector", "db"):
        assert name in output


def test_ingest_workers_setting_reaches_the_ingest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ingest.prepare

    monkeypatch.delenv("FLYWHEEL_DB_URL", raising=False)
    monkeypatch.delenv("FLYWHEEL_CONFIG", raising=False)
    monkeypatch.setattr(ingest.prepare, "PARALLEL_MIN_FINDINGS", 1)
    real = ingest.prepare.run_forked
    parts: list[int] = []

    def recording(work: object, n: int) -> object:
        parts.append(n)
        return real(work, n)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest.prepare, "run_forked", recording)
    report = str(EXAMPLES / "reports" / "semgrep.sarif")
    summaries = []
    for workers in ("1", "2"):
        monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / workers))
        monkeypatch.setenv("FLYWHEEL_INGEST_WORKERS", workers)
        code, output = invoke("ingest", report, "--service", "shop", "--json")
        assert code == 0, output
        summaries.append(json.loads(output)["totals"])
    assert parts == [1, 2]  # the default forks nothing; the setting splits the run in two
    assert summaries[0] == summaries[1] and summaries[0]["new"] > 5


def test_ingest_json_summary(home: Path) -> None:
    code, output = invoke(
        "ingest",
        str(EXAMPLES / "reports" / "bandit.json"),
        "--repo",
        str(EXAMPLES / "sample_service"),
        "--service",
        "shop",
        "--commit",
        "abc123",
        "--json",
    )
    assert code == 0, output
    summary = json.loads(output)
    assert summary["totals"] == {"new": 17}
    assert summary["by_severity"]["high"]["new"] == 5
    report = summary["reports"][0]
    assert report["format"] == "bandit" and report["records"] == 17


def test_findings_filters(home: Path) -> None:
    reports = [str(p) for p in sorted((EXAMPLES / "reports").iterdir()) if p.suffix != ".md"]
    assert invoke("ingest", *reports, "--repo", str(EXAMPLES / "sample_service"))[0] == 0

    code, output = invoke("findings", "--cwe", "89", "--json")
    rows = [json.loads(line) for line in output.splitlines()]
    assert code == 0 and len(rows) == 4  # Bandit and Semgrep, on two queries each
    assert all(89 in row["cwe_ids"] for row in rows)
    assert "raw" not in rows[0]

    _, output = invoke("findings", "--severity", "high", "--json")
    assert {json.loads(line)["severity"] for line in output.splitlines()} == {"high"}

    _, output = invoke("findings", "--tool", "pip-audit", "--limit", "3", "--json")
    assert len(output.splitlines()) == 3

    _, output = invoke("findings", "--status", "fixed", "--json")
    assert output.strip() == ""

    _, output = invoke("findings", "--kind", "secret", "--path", "app/settings")
    assert "gitleaks" in output and "of 2 findings" in output


def test_db_commands(home: Path) -> None:
    code, output = invoke("db", "current")
    assert code == 0 and "current: empty database" in output
    assert invoke("db", "upgrade")[0] == 0
    code, output = invoke("db", "current")
    assert "current: 0005" in output and "head: 0005" in output
