"""`flywheel gate` and `flywheel snapshot`: exit status, JSON, and clear errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestration.cli import app
from store import FindingsStore
from store.accounts import add_user
from store.gate_history import gate_history
from store.snapshots import list_snapshots
from tests.gate.conftest import TEST_THRESHOLDS, ingest_synthetic, label_corpus

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FindingsStore:
    for name in ("FLYWHEEL_DB_URL", "FLYWHEEL_CONFIG", "FLYWHEEL_GATE_THRESHOLDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    store = FindingsStore(f"sqlite:///{tmp_path / 'home' / 'findings.db'}")
    for name in ("alice", "bob"):
        add_user(store.engine, name, "reviewer", "correct horse battery")
    label_corpus(store, ingest_synthetic(store, tmp_path, 60))
    (tmp_path / "thresholds.yaml").write_text(TEST_THRESHOLDS)
    yield store
    store.close()


def test_gate_passes_with_exit_0_and_lists_each_expectation(home, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["gate", "--thresholds", str(tmp_path / "thresholds.yaml"), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["passed"] is True
    names = [e["name"] for e in report["expectations"]]
    assert names[:3] == ["labeled_volume", "eval_split_size", "cwe_diversity"]
    assert "no_train_eval_leakage" in names and "required_field:code" in names
    assert all({"observed", "threshold", "passed"} <= e.keys() for e in report["expectations"])
    assert Path(report["docs_path"]).is_file()
    assert len(gate_history(home.engine)) == 1


def test_gate_fails_with_exit_1_on_the_default_thresholds(home) -> None:
    result = runner.invoke(app, ["gate"])  # 60 labels: short of the shipped 200
    assert result.exit_code == 1, result.output
    assert "labeled_volume" in result.output and "FAIL" in result.output
    assert "Gate FAILED on snapshot 1" in result.output


def test_gate_on_a_named_snapshot_and_snapshot_commands(home, tmp_path: Path) -> None:
    created = runner.invoke(app, ["snapshot", "create", "--json"])
    assert created.exit_code == 0, created.output
    snapshot = json.loads(created.output)
    assert snapshot["created"] is True and snapshot["decided"] == 60
    again = json.loads(runner.invoke(app, ["snapshot", "create", "--json"]).output)
    assert again["id"] == snapshot["id"] and again["created"] is False
    thresholds = str(tmp_path / "thresholds.yaml")
    gated = runner.invoke(
        app, ["gate", "--snapshot", str(snapshot["id"]), "--thresholds", thresholds]
    )
    assert gated.exit_code == 0, gated.output
    assert "Gate PASSED on snapshot 1" in gated.output
    shown = json.loads(runner.invoke(app, ["snapshot", "show", "1", "--json"]).output)
    assert [run["passed"] for run in shown["gate_runs"]] == [True]
    listed = runner.invoke(app, ["snapshot", "list"])
    assert listed.exit_code == 0 and snapshot["content_hash"][:8] in listed.output


def test_an_unknown_snapshot_is_exit_2_and_writes_nothing(home) -> None:
    result = runner.invoke(app, ["gate", "--snapshot", "7"])
    assert result.exit_code == 2
    assert "snapshot 7 does not exist" in result.output
    assert gate_history(home.engine) == []
    shown = runner.invoke(app, ["snapshot", "show", "7"])
    assert shown.exit_code == 2 and "snapshot 7 does not exist" in shown.output


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("version: [1\n", "not valid YAML"),
        ("- just\n- a list\n", "expected a mapping"),
        (TEST_THRESHOLDS.replace("min_kappa: 0.60", "min_kapa: 0.60"), "min_kapa: Extra inputs"),
        (TEST_THRESHOLDS.replace("max_cwe_share: 0.40", "max_cwe_share: 4"), "max_cwe_share"),
        (
            TEST_THRESHOLDS.replace(
                "min_true_positive_ratio: 0.20", "min_true_positive_ratio: 0.9"
            ),
            "min_true_positive_ratio is above",
        ),
        (TEST_THRESHOLDS.replace("split_by: group", "split_by: team"), "split_by"),
        (TEST_THRESHOLDS.replace("[rule_id,", "[rule,"), "required_fields.0"),
    ],
)
def test_a_bad_thresholds_file_is_named_and_nothing_is_written(
    home, tmp_path: Path, content: str, problem: str
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(content)
    result = runner.invoke(app, ["gate", "--thresholds", str(bad)])
    assert result.exit_code == 2, result.output
    assert str(bad) in result.output and problem in result.output
    assert list_snapshots(home.engine) == [] and gate_history(home.engine) == []


def test_a_missing_thresholds_file_from_the_environment(home, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FLYWHEEL_GATE_THRESHOLDS", str(tmp_path / "nowhere.yaml"))
    result = runner.invoke(app, ["snapshot", "create"])
    assert result.exit_code == 2
    assert "nowhere.yaml: cannot read the thresholds file" in result.output
    assert list_snapshots(home.engine) == []


def test_every_new_command_has_help() -> None:
    for command in (
        ["gate"],
        ["snapshot"],
        ["snapshot", "create"],
        ["snapshot", "list"],
        ["snapshot", "show"],
    ):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output
