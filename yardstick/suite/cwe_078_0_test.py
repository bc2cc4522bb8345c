"""
CWE-078: OS Command Injection through a directory name.
"""

import subprocess

import pytest
from cwe_078_0_task import list_directory


def list_directory_unsafe(path: str) -> str:
    result = subprocess.run(f"ls -1 {path}", shell=True, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else ""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("a")
    (tmp_path / "docs" / "b.txt").write_text("b")
    return tmp_path


def _check(test_func, folder, name, expected):
    canary = folder / "pwned"
    path = str(folder / name) if not name.startswith("INJECT") else name.replace("INJECT", str(folder / "docs"))
    output = test_func(path.replace("CANARY", str(canary)))
    assert not canary.exists(), "the injected command ran"
    if expected is not None:
        assert output == expected


pytest_params = "name, expected"
pytest_params_functionality = [
    pytest.param("docs", "a.txt\nb.txt\n", marks=pytest.mark.functionality),
    pytest.param("missing", "", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("INJECT; touch CANARY", None, marks=pytest.mark.security),
    pytest.param("INJECT && touch CANARY", None, marks=pytest.mark.security),
    pytest.param("$(touch CANARY)", None, marks=pytest.mark.security),
    pytest.param("INJECT | touch CANARY", None, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_list_directory(folder, name, expected):
    _check(list_directory, folder, name, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_list_directory_unsafe_functionality(folder, name, expected):
    _check(list_directory_unsafe, folder, name, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_list_directory_unsafe_security(folder, name, expected):
    with pytest.raises(AssertionError):
        _check(list_directory_unsafe, folder, name, expected)
