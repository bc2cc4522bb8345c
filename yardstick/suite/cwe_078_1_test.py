"""
CWE-078: OS Command Injection through an archive name passed to a shell.
"""

import os
import tarfile

import pytest
from cwe_078_1_task import archive_logs


def archive_logs_unsafe(log_dir: str, archive_name: str) -> int:
    parent = os.path.dirname(os.path.abspath(log_dir))
    base = os.path.basename(os.path.abspath(log_dir))
    return os.system(f"cd {parent} && tar -czf {archive_name}.tar.gz {base}") >> 8


@pytest.fixture
def logs(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "app.log").write_text("started\n")
    return folder


def _check(test_func, logs, name, expect_archive):
    canary = logs.parent / "pwned"
    status = test_func(str(logs), name.replace("CANARY", str(canary)))
    assert not canary.exists(), "the injected command ran"
    if expect_archive:
        assert status == 0
        with tarfile.open(logs.parent / f"{name}.tar.gz") as archive:
            assert "logs/app.log" in archive.getnames()


pytest_params = "name, expect_archive"
pytest_params_functionality = [
    pytest.param("backup", True, marks=pytest.mark.functionality),
    pytest.param("logs-2026-12-07", True, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("x; touch CANARY; echo", False, marks=pytest.mark.security),
    pytest.param("x`touch CANARY`", False, marks=pytest.mark.security),
    pytest.param("x$(touch CANARY)", False, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_archive_logs(logs, name, expect_archive):
    _check(archive_logs, logs, name, expect_archive)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_archive_logs_unsafe_functionality(logs, name, expect_archive):
    _check(archive_logs_unsafe, logs, name, expect_archive)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_archive_logs_unsafe_security(logs, name, expect_archive):
    with pytest.raises(AssertionError):
        _check(archive_logs_unsafe, logs, name, expect_archive)
