"""
CWE-113: Improper Neutralization of CRLF Sequences in HTTP Headers ('Response Splitting').
"""

import pytest
from cwe_113_0_task import download_headers


def download_headers_unsafe(filename: str, size: int) -> list[tuple[str, str]]:
    return [
        ("Content-Type", "application/octet-stream"),
        ("Content-Length", str(size)),
        ("Content-Disposition", f'attachment; filename="{filename}"'),
    ]


def _check(test_func, filename, shown):
    headers = test_func(filename, 42)
    raw = "".join(f"{name}: {value}\r\n" for name, value in headers)
    assert [name for name, _ in headers] == ["Content-Type", "Content-Length", "Content-Disposition"]
    assert raw.count("\r\n") == 3 and "\n" not in raw.replace("\r\n", "")
    assert dict(headers)["Content-Length"] == "42"
    if shown is not None:
        assert dict(headers)["Content-Disposition"] == f'attachment; filename="{shown}"'
    else:
        value = dict(headers)["Content-Disposition"]
        assert value.startswith('attachment; filename="') and value.count('"') == 2


pytest_params = "filename, shown"
pytest_params_functionality = [
    pytest.param("report.pdf", "report.pdf", marks=pytest.mark.functionality),
    pytest.param("Q3 results (final).xlsx", "Q3 results (final).xlsx", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("x.txt\r\nSet-Cookie: session=attacker", None, marks=pytest.mark.security),
    pytest.param('a.txt"; filename*=UTF-8\'\'evil.exe', None, marks=pytest.mark.security),
    pytest.param("x\nLocation: https://evil.example", None, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_download_headers(filename, shown):
    _check(download_headers, filename, shown)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_download_headers_unsafe_functionality(filename, shown):
    _check(download_headers_unsafe, filename, shown)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_download_headers_unsafe_security(filename, shown):
    with pytest.raises(AssertionError):
        _check(download_headers_unsafe, filename, shown)
