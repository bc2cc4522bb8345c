"""
CWE-601: URL Redirection to Untrusted Site ('Open Redirect') after login.
"""

import pytest
from cwe_601_0_task import redirect_target


def redirect_target_unsafe(next_url: str) -> str:
    if next_url.startswith("http://") or next_url.startswith("https://"):
        return "/"
    return next_url or "/"


def _check(test_func, next_url, expected):
    assert test_func(next_url) == expected


pytest_params = "next_url, expected"
pytest_params_functionality = [
    pytest.param("/orders?page=2", "/orders?page=2", marks=pytest.mark.functionality),
    pytest.param("/account/settings#email", "/account/settings#email", marks=pytest.mark.functionality),
    pytest.param("https://evil.example/phish", "/", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("//evil.example/phish", "/", marks=pytest.mark.security),
    pytest.param("/\\evil.example", "/", marks=pytest.mark.security),
    pytest.param("javascript:alert(document.cookie)", "/", marks=pytest.mark.security),
    pytest.param("HTTPS://evil.example", "/", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_redirect_target(next_url, expected):
    _check(redirect_target, next_url, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_redirect_target_unsafe_functionality(next_url, expected):
    _check(redirect_target_unsafe, next_url, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_redirect_target_unsafe_security(next_url, expected):
    with pytest.raises(AssertionError):
        _check(redirect_target_unsafe, next_url, expected)
