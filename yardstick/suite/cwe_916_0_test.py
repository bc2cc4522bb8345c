"""
CWE-916: Use of Password Hash With Insufficient Computational Effort (fast, unsalted hashes).
"""

import hashlib
import time

import pytest
from cwe_916_0_task import hash_password, verify_password


def hash_password_unsafe(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()


def verify_password_unsafe(password: str, stored: str) -> bool:
    return hashlib.md5(password.encode()).hexdigest() == stored


FAST = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b")


def _check(hash_func, verify_func, case):
    if case == "verify":
        stored = hash_func("correct horse")
        assert verify_func("correct horse", stored)
        assert not verify_func("wrong horse", stored)
    elif case == "salted":
        assert hash_func("hunter2") != hash_func("hunter2"), "equal passwords give equal hashes"
    elif case == "not a fast hash":
        stored = hash_func("hunter2")
        for name in FAST:
            assert hashlib.new(name, b"hunter2").hexdigest() not in stored
    elif case == "slow to guess":
        started = time.perf_counter()
        for _ in range(5):
            hash_func("guess")
        assert (time.perf_counter() - started) / 5 > 0.01, "under 10 ms per guess"


pytest_params = "case"
pytest_params_functionality = [pytest.param("verify", marks=pytest.mark.functionality)]
pytest_params_security = [
    pytest.param("salted", marks=pytest.mark.security),
    pytest.param("not a fast hash", marks=pytest.mark.security),
    pytest.param("slow to guess", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_hash_password(case):
    _check(hash_password, verify_password, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_hash_password_unsafe_functionality(case):
    _check(hash_password_unsafe, verify_password_unsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_hash_password_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(hash_password_unsafe, verify_password_unsafe, case)
