"""`flywheel eval suite`: the references of a suite, and a model on it, from the shell."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from orchestration.cli import app
from yardstick.suites import BUNDLED

runner = CliRunner()


def copy_tasks(folder: Path, *ids: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for task_id in ids:
        for kind in ("task", "test"):
            shutil.copy(BUNDLED / f"{task_id}_{kind}.py", folder / f"{task_id}_{kind}.py")
    return folder


def test_references_of_a_suite_as_json(tmp_path: Path) -> None:
    suite = copy_tasks(tmp_path / "suite", "cwe_089_0", "cwe_601_0")
    (suite / "cwe_079_9_task.py").write_text("def f():\n    return 1\n")  # no reference
    (suite / "cwe_079_9_test.py").write_text("from cwe_079_9_task import f\n")
    result = runner.invoke(app, ["eval", "suite", str(suite), "--references", "--json"])
    assert result.exit_code == 1, result.output  # a task was refused
    report = json.loads(result.stdout)
    assert {k: report[k] for k in ("tasks", "cwes", "secure_func_pass", "secure_sec_pass", "insecure_func_pass", "insecure_sec_fail")} == {
        "tasks": 2, "cwes": 2, "secure_func_pass": 2, "secure_sec_pass": 2, "insecure_func_pass": 2, "insecure_sec_fail": 2,
    }  # fmt: skip
    assert report["refused"] == [
        {"task": "cwe_079_9", "reason": "no reference solution: the task file has no '# BEGIN SOLUTION' line"}
    ]


def test_a_folder_that_is_no_suite_exits_2_naming_it(tmp_path: Path) -> None:
    result = runner.invoke(app, ["eval", "suite", str(tmp_path / "nope"), "--references"])
    assert result.exit_code == 2 and "nope: no such folder" in result.output


def test_a_model_on_the_suite(tmp_path: Path, tiny_model: Path, monkeypatch) -> None:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    suite = copy_tasks(tmp_path / "suite", "cwe_089_0", "cwe_601_0")
    result = runner.invoke(
        app,
        ["eval", "suite", str(suite), "--model", str(tiny_model), "--json",
         "--set", "suite.max_new_tokens=32", "--set", "suite.samples_per_task=2", "--set", "suite.k=2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    evaluation = json.loads(result.stdout)
    assert evaluation["k"] == 2 and evaluation["samples_per_task"] == 2
    assert set(evaluation["per_cwe"]) == {"CWE-89", "CWE-601"}
    assert set(evaluation["overall"]) >= {"func_at_1", "func_sec_at_1", "func_at_k", "func_sec_at_k", "functional_vulnerable_rate", "over_refusal_rate"}
    assert [t["samples"] for t in evaluation["per_task"]] == [2, 2]


def test_without_a_champion_the_model_must_be_named(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FLYWHEEL_HOME", str(tmp_path / "home"))
    result = runner.invoke(app, ["eval", "suite"])
    assert result.exit_code == 2 and "no champion" in result.output and "--model" in result.output
