"""
CWE-020: Improper Input Validation of an Origin by substring matching.
"""

import pytest
from cwe_020_0_task import is_trusted_origin


def is_trusted_origin_unsafe(origin: str, site_domain: str) -> bool:
    return origin.startswith("https://") and site_domain in origin


def _check(test_func, origin, expected):
    assert test_func(origin, "example.com") is expected


pytest_params = "origin, expected"
pytest_params_functionality = [
    pytest.param("https://example.com", True, marks=pytest.mark.functionality),
    pytest.param("https://app.example.com", True, marks=pytest.mark.functionality),
    pytest.param("http://example.com", False, marks=pytest.mark.functionality),
    pytest.param("https://other.org", False, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("https://example.com.evil.net", False, marks=pytest.mark.security),
    pytest.param("https://evilexample.com", False, marks=pytest.mark.security),
    pytest.param("https://evil.net/example.com", False, marks=pytest.mark.security),
    pytest.param("https://example.com@evil.net", False, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_is_trusted_origin(origin, expected):
    _check(is_trusted_origin, origin, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_is_trusted_origin_unsafe_functionality(origin, expected):
    _check(is_trusted_origin_unsafe, origin, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_is_trusted_origin_unsafe_security(origin, expected):
    with pytest.raises(AssertionError):
        _check(is_trusted_origin_unsafe, origin, expected)
