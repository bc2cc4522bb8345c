"""
CWE-1333: Inefficient Regular Expression Complexity (ReDoS) in an e-mail check.
"""

import re
import time

import pytest
from cwe_1333_0_task import is_valid_email


def is_valid_email_unsafe(address: str) -> bool:
    return re.match(r"^([a-zA-Z0-9_.%+-]+)*@(([a-zA-Z0-9-])+\.)+[a-zA-Z]{2,}$", address) is not None


def _check(test_func, address, expected, budget_s=0.5):
    started = time.perf_counter()
    result = test_func(address)
    elapsed = time.perf_counter() - started
    assert elapsed < budget_s, f"took {elapsed:.2f} s"
    assert result is expected


pytest_params = "address, expected"
pytest_params_functionality = [
    pytest.param("alice@example.com", True, marks=pytest.mark.functionality),
    pytest.param("first.last+tag@mail.example.co.uk", True, marks=pytest.mark.functionality),
    pytest.param("no-at-sign.example.com", False, marks=pytest.mark.functionality),
    pytest.param("x@localhost", False, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("a" * 25 + "!", False, marks=pytest.mark.security),
    pytest.param("a" * 22 + "@" + "a" * 22, False, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_is_valid_email(address, expected):
    _check(is_valid_email, address, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_is_valid_email_unsafe_functionality(address, expected):
    _check(is_valid_email_unsafe, address, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_is_valid_email_unsafe_security(address, expected):
    with pytest.raises(AssertionError):
        _check(is_valid_email_unsafe, address, expected)
