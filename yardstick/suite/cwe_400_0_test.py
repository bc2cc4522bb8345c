"""
CWE-400: Uncontrolled Resource Consumption: an unbounded read of a request body.
"""

import pytest
from cwe_400_0_task import read_upload


def read_upload_unsafe(stream, max_bytes: int) -> bytes:
    data = stream.read()
    if len(data) > max_bytes:
        raise ValueError("too large")
    return data


class Body:
    """A request body of `size` bytes that counts what was read of it."""

    def __init__(self, size: int):
        self.size, self.served = size, 0

    def read(self, n: int = -1) -> bytes:
        left = self.size - self.served
        count = left if n is None or n < 0 else min(n, left)
        self.served += count
        return b"a" * count


def _check(test_func, size, limit, expected):
    body = Body(size)
    try:
        result = test_func(body, limit)
    except ValueError:
        result = "refused"
    if expected == "refused":
        assert result == "refused"
        assert body.served <= limit + 1024 * 1024, f"read {body.served} bytes of an oversized body"
    else:
        assert result == b"a" * size


pytest_params = "size, limit, expected"
pytest_params_functionality = [
    pytest.param(10, 100, "ok", marks=pytest.mark.functionality),
    pytest.param(100, 100, "ok", marks=pytest.mark.functionality),
    pytest.param(0, 100, "ok", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param(200 * 1024 * 1024, 1024, "refused", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_read_upload(size, limit, expected):
    _check(read_upload, size, limit, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_read_upload_unsafe_functionality(size, limit, expected):
    _check(read_upload_unsafe, size, limit, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_read_upload_unsafe_security(size, limit, expected):
    with pytest.raises(AssertionError):
        _check(read_upload_unsafe, size, limit, expected)
