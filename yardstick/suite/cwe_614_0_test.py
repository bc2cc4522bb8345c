"""
CWE-614 / CWE-1004: a session cookie without the Secure and HttpOnly attributes.
"""

from http.cookies import SimpleCookie

import pytest
from cwe_614_0_task import session_cookie


def session_cookie_unsafe(session_id: str, max_age: int = 3600) -> str:
    return f"session={session_id}; Max-Age={max_age}; Path=/"


def _check(test_func, session_id, case):
    jar = SimpleCookie()
    jar.load(test_func(session_id, 600))
    morsel = jar["session"]
    if case == "value":
        assert morsel.value == session_id and morsel["path"] == "/" and morsel["max-age"] == "600"
    elif case == "secure":
        assert morsel["secure"], "sent over plain HTTP too"
    elif case == "httponly":
        assert morsel["httponly"], "readable by page scripts"
    elif case == "samesite":
        assert morsel["samesite"].lower() in ("lax", "strict"), "sent on cross-site requests"


pytest_params = "session_id, case"
pytest_params_functionality = [pytest.param("abc123", "value", marks=pytest.mark.functionality)]
pytest_params_security = [
    pytest.param("abc123", "secure", marks=pytest.mark.security),
    pytest.param("abc123", "httponly", marks=pytest.mark.security),
    pytest.param("abc123", "samesite", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_session_cookie(session_id, case):
    _check(session_cookie, session_id, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_session_cookie_unsafe_functionality(session_id, case):
    _check(session_cookie_unsafe, session_id, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_session_cookie_unsafe_security(session_id, case):
    with pytest.raises(AssertionError):
        _check(session_cookie_unsafe, session_id, case)
