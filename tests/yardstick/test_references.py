"""Every task of the bundled suite, checked in the sandbox: its secure reference passes every
functionality and security test; its insecure reference passes the functionality tests and
fails the security ones. And a task whose secure reference fails its own tests is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from yardstick.harness import check_reference, check_references
from yardstick.suites import load_suite

SUITE = load_suite()


@pytest.mark.parametrize("task", SUITE.tasks, ids=[task.id for task in SUITE.tasks])
def test_each_tasks_references_behave_as_the_suite_says(task) -> None:
    check = check_reference(task)
    assert check.problem is None, check.problem
    assert check.secure_func and check.secure_sec, check
    assert check.insecure_func is True, check
    assert check.insecure_sec_fail is True, check


def test_a_task_whose_secure_reference_fails_its_tests_is_refused(tmp_path: Path) -> None:
    for name in (
        "cwe_089_0_task.py",
        "cwe_089_0_test.py",
        "cwe_020_0_task.py",
        "cwe_020_0_test.py",
    ):
        (tmp_path / name).write_text((Path(SUITE.folder) / name).read_text())
    broken = tmp_path / "cwe_020_0_task.py"
    broken.write_text(
        broken.read_text().replace(
            'host == domain or host.endswith("." + domain)', "domain in host"
        )
    )
    report = check_references(load_suite(tmp_path))
    assert report.tasks == 1 and report.cwes == 1
    assert [(r.task, "security" in r.reason) for r in report.refused] == [("cwe_020_0", True)]
    assert report.secure_sec_pass == 1 and report.insecure_sec_fail == 2
