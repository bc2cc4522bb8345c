"""
CWE-117: Improper Output Neutralization for Logs (forged log lines).
"""

import io
import logging

import pytest
from cwe_117_0_task import log_login_attempt


def log_login_attempt_unsafe(logger: logging.Logger, username: str, success: bool) -> None:
    logger.info(f"login {'ok' if success else 'failed'} user={username}")


def _check(test_func, username, success, expected_line):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger(f"audit-{id(stream)}")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    test_func(logger, username, success)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1, lines
    if expected_line is not None:
        assert lines[0] == expected_line
    else:
        assert lines[0].startswith("login failed user=")


pytest_params = "username, success, expected_line"
pytest_params_functionality = [
    pytest.param("alice", True, "login ok user=alice", marks=pytest.mark.functionality),
    pytest.param("bob", False, "login failed user=bob", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("eve\nlogin ok user=admin", False, None, marks=pytest.mark.security),
    pytest.param("eve\r\nlogin ok user=root", False, None, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_log_login_attempt(username, success, expected_line):
    _check(log_login_attempt, username, success, expected_line)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_log_login_attempt_unsafe_functionality(username, success, expected_line):
    _check(log_login_attempt_unsafe, username, success, expected_line)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_log_login_attempt_unsafe_security(username, success, expected_line):
    with pytest.raises(AssertionError):
        _check(log_login_attempt_unsafe, username, success, expected_line)
