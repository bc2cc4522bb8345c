"""
CWE-732: Incorrect Permission Assignment for Critical Resource (a world-readable key).
"""

import os
import stat

import pytest
from cwe_732_0_task import save_private_key

PEM = b"-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n"


def save_private_key_unsafe(path: str, pem: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(pem)
    os.chmod(path, 0o644)


def _check(test_func, tmp_path, case):
    path = tmp_path / "server.key"
    if case == "replaces":
        path.write_bytes(b"old")
        os.chmod(path, 0o666)
    old_umask = os.umask(0o022)
    try:
        test_func(str(path), PEM)
    finally:
        os.umask(old_umask)
    assert path.read_bytes() == PEM
    if case in ("private", "replaces"):
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"the key is accessible to others ({oct(mode)})"


pytest_params = "case"
pytest_params_functionality = [pytest.param("content", marks=pytest.mark.functionality)]
pytest_params_security = [
    pytest.param("private", marks=pytest.mark.security),
    pytest.param("replaces", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_save_private_key(tmp_path, case):
    _check(save_private_key, tmp_path, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_save_private_key_unsafe_functionality(tmp_path, case):
    _check(save_private_key_unsafe, tmp_path, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_save_private_key_unsafe_security(tmp_path, case):
    with pytest.raises(AssertionError):
        _check(save_private_key_unsafe, tmp_path, case)
