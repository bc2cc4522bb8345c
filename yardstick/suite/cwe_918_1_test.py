"""
CWE-918: Server-Side Request Forgery in a link preview (the check must use the address the
host resolves to, not the host name).
"""

from urllib.parse import urlsplit

import pytest
from cwe_918_1_task import fetch_preview

DNS = {
    "example.com": "93.184.216.34",
    "news.example.org": "151.101.1.1",
    "internal.example.com": "10.1.2.3",
    "metadata.example.net": "169.254.169.254",
    "localtest.me": "127.0.0.1",
}


def fetch_preview_unsafe(url, resolve, get):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname in ("localhost", "127.0.0.1"):
        raise PermissionError(url)
    return get(url)[:200]


def _check(test_func, url, expected):
    fetched = []

    def get(target):
        fetched.append(target)
        return "<html>" + "x" * 300

    try:
        result = test_func(url, lambda host: DNS[host], get)
    except PermissionError:
        result = "refused"
    if expected == "refused":
        assert result == "refused" and fetched == []
    else:
        assert result == expected and fetched == [url]


pytest_params = "url, expected"
pytest_params_functionality = [
    pytest.param("https://example.com/article", ("<html>" + "x" * 300)[:200], marks=pytest.mark.functionality),
    pytest.param("http://news.example.org/", ("<html>" + "x" * 300)[:200], marks=pytest.mark.functionality),
    pytest.param("gopher://example.com/", "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("http://internal.example.com/admin", "refused", marks=pytest.mark.security),
    pytest.param("http://metadata.example.net/latest/meta-data", "refused", marks=pytest.mark.security),
    pytest.param("http://localtest.me:6379/", "refused", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_fetch_preview(url, expected):
    _check(fetch_preview, url, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_fetch_preview_unsafe_functionality(url, expected):
    _check(fetch_preview_unsafe, url, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_fetch_preview_unsafe_security(url, expected):
    with pytest.raises(AssertionError):
        _check(fetch_preview_unsafe, url, expected)
