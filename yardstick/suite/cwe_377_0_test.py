"""
CWE-377: Insecure Temporary File (a predictable name created without O_EXCL, readable by
everyone).
"""

import os
import stat
import tempfile

import pytest
from cwe_377_0_task import write_export


def write_export_unsafe(rows: list[str]) -> str:
    path = tempfile.mktemp(suffix=".csv")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("".join(row + "\n" for row in rows))
    return path


def _check(test_func, tmp_path, monkeypatch, case):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old_umask = os.umask(0o022)
    try:
        path = test_func(["id,name", "1,alice"])
    finally:
        os.umask(old_umask)
    if case == "content":
        with open(path, encoding="utf-8") as handle:
            assert handle.read() == "id,name\n1,alice\n"
        assert os.path.dirname(os.path.abspath(path)) == str(tmp_path)
    elif case == "private":
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"the export is readable by others ({oct(mode)})"


pytest_params = "case"
pytest_params_functionality = [pytest.param("content", marks=pytest.mark.functionality)]
pytest_params_security = [pytest.param("private", marks=pytest.mark.security)]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_write_export(tmp_path, monkeypatch, case):
    _check(write_export, tmp_path, monkeypatch, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_write_export_unsafe_functionality(tmp_path, monkeypatch, case):
    _check(write_export_unsafe, tmp_path, monkeypatch, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_write_export_unsafe_security(tmp_path, monkeypatch, case):
    with pytest.raises(AssertionError):
        _check(write_export_unsafe, tmp_path, monkeypatch, case)
