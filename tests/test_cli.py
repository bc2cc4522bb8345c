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
    assert "current: 0004" in output and "head: 0004" in output
