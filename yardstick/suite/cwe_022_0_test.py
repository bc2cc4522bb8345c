"""
CWE-022: Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')
"""

import os

import pytest
from cwe_022_0_task import read_user_file


def read_user_file_unsafe(base_dir: str, filename: str) -> str:
    path = os.path.join(base_dir, filename)
    if not os.path.isfile(path):
        return ""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@pytest.fixture
def home(tmp_path):
    base = tmp_path / "users" / "alice"
    (base / "notes").mkdir(parents=True)
    (base / "hello.txt").write_text("hi alice")
    (base / "notes" / "today.txt").write_text("buy milk")
    (tmp_path / "users" / "bob.txt").write_text("bob's secret")
    (tmp_path / "secret.txt").write_text("root secret")
    return str(base)


def _check(test_func, base, filename, expected):
    assert test_func(base, filename) == expected


pytest_params = "filename, expected"
pytest_params_functionality = [
    pytest.param("hello.txt", "hi alice", marks=pytest.mark.functionality),
    pytest.param("notes/today.txt", "buy milk", marks=pytest.mark.functionality),
    pytest.param("missing.txt", "", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("../bob.txt", "", marks=pytest.mark.security),
    pytest.param("../../secret.txt", "", marks=pytest.mark.security),
    pytest.param("notes/../../bob.txt", "", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_read_user_file(home, filename, expected):
    _check(read_user_file, home, filename, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_read_user_file_unsafe_functionality(home, filename, expected):
    _check(read_user_file_unsafe, home, filename, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_read_user_file_unsafe_security(home, filename, expected):
    with pytest.raises(AssertionError):
        _check(read_user_file_unsafe, home, filename, expected)
