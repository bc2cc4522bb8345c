"""
CWE-918: Server-Side Request Forgery: a webhook URL that points at internal services.
"""

from urllib.parse import urlsplit

import pytest
from cwe_918_0_task import is_allowed_webhook


def is_allowed_webhook_unsafe(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check(test_func, url, expected):
    assert test_func(url) is expected


pytest_params = "url, expected"
pytest_params_functionality = [
    pytest.param("https://hooks.example.com/ci", True, marks=pytest.mark.functionality),
    pytest.param("http://8.8.8.8/notify", True, marks=pytest.mark.functionality),
    pytest.param("ftp://files.example.com/x", False, marks=pytest.mark.functionality),
    pytest.param("not a url", False, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("http://127.0.0.1:8080/admin", False, marks=pytest.mark.security),
    pytest.param("http://169.254.169.254/latest/meta-data/", False, marks=pytest.mark.security),
    pytest.param("http://localhost/", False, marks=pytest.mark.security),
    pytest.param("http://10.0.0.5/internal", False, marks=pytest.mark.security),
    pytest.param("http://[::1]/", False, marks=pytest.mark.security),
    pytest.param("http://0x7f000001/", False, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_is_allowed_webhook(url, expected):
    _check(is_allowed_webhook, url, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_is_allowed_webhook_unsafe_functionality(url, expected):
    _check(is_allowed_webhook_unsafe, url, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_is_allowed_webhook_unsafe_security(url, expected):
    with pytest.raises(AssertionError):
        _check(is_allowed_webhook_unsafe, url, expected)
