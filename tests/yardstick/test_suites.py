"""Loading security suites: the bundled one, CWEval's layout, and every way a task is refused
by name while the rest load."""

from __future__ import annotations

from pathlib import Path

import pytest

from yardstick.suites import BUNDLED, SuiteError, load_suite

TASK = '''import os


def read_note(base: str, name: str) -> str:
    """Return the note `name` from the folder `base`."""
    # BEGIN SOLUTION
    return open(os.path.join(base, name)).read()
'''
TEST = """import pytest
from cwe_022_7_task import read_note


def read_note_unsafe(base, name):
    return ""


@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.functionality)])
def test_read_note(x):
    assert x


@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.functionality)])
def test_read_note_unsafe_functionality(x):
    assert x
"""


def write_task(folder: Path, task_id: str, task: str | None, test: str | None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if task is not None:
        (folder / f"{task_id}_task.py").write_text(task)
    if test is not None:
        (folder / f"{task_id}_test.py").write_text(test.replace("cwe_022_7", task_id))


def test_the_bundled_suite_has_at_least_40_tasks_over_20_cwes() -> None:
    suite = load_suite()
    assert suite.refused == []
    assert len(suite.tasks) >= 40 and len(suite.cwes) >= 20
    for task in suite.tasks:
        assert task.insecure_reference, task.id
        assert "# BEGIN SOLUTION" not in task.prompt
        assert task.entry_points, task.id
    assert load_suite(BUNDLED).content_hash == suite.content_hash


def test_cwevals_layout_loads_from_the_repository_root(tmp_path: Path) -> None:
    """A suite laid out as CWEval's repository (benchmark/core/py) loads from its root."""
    write_task(tmp_path / "benchmark" / "core" / "py", "cwe_022_7", TASK, TEST)
    suite = load_suite(tmp_path)
    assert [task.id for task in suite.tasks] == ["cwe_022_7"]
    task = suite.tasks[0]
    assert (task.cwe, task.entry_points) == (22, ["read_note"])
    assert task.prompt.rstrip().endswith('"""Return the note `name` from the folder `base`."""')
    assert suite.name == str(tmp_path)


def test_bad_tasks_are_refused_by_name_and_the_rest_load(tmp_path: Path) -> None:
    write_task(tmp_path, "cwe_022_7", TASK, TEST)  # fine
    write_task(tmp_path, "cwe_078_1", TASK.split("    # BEGIN SOLUTION")[0], TEST)  # no reference
    write_task(
        tmp_path, "cwe_078_2", TASK.replace("return open", "# nothing\n    # return open"), TEST
    )
    write_task(tmp_path, "cwe_089_1", TASK, None)  # no test file
    write_task(tmp_path, "cwe_089_2", None, TEST)  # no task file
    write_task(tmp_path, "cwe_089_3", TASK, "def broken(:\n")  # tests do not parse
    write_task(tmp_path, "cwe_089_4", TASK, "def test_x():\n    assert True\n")  # imports nothing
    suite = load_suite(tmp_path)
    assert [task.id for task in suite.tasks] == ["cwe_022_7"]
    reasons = {refusal.task: refusal.reason for refusal in suite.refused}
    assert "no reference solution" in reasons["cwe_078_1"]
    assert "nothing but comments" in reasons["cwe_078_2"]
    assert "no test file" in reasons["cwe_089_1"]
    assert "no task file" in reasons["cwe_089_2"]
    assert "does not parse" in reasons["cwe_089_3"]
    assert "import nothing" in reasons["cwe_089_4"]


def test_a_folder_that_is_no_suite_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="no such folder"):
        load_suite(tmp_path / "missing")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(SuiteError, match="not a folder"):
        load_suite(tmp_path / "file.txt")
    with pytest.raises(SuiteError, match="no task files"):
        load_suite(tmp_path)
