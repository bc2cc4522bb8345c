"""
CWE-502: Deserialization of Untrusted Data in a session cookie.
"""

import base64
import json
import pickle

import pytest
from cwe_502_0_task import dump_session, load_session


def load_session_unsafe(cookie: str) -> dict:
    data = base64.urlsafe_b64decode(cookie.encode("ascii"))
    try:
        return pickle.loads(data)
    except Exception:
        return json.loads(data)


class _Exploit:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _check(test_func, tmp_path, cookie, expected):
    canary = tmp_path / "pwned"
    if cookie == "EXPLOIT":
        cookie = base64.urlsafe_b64encode(pickle.dumps(_Exploit(str(canary)))).decode()
    try:
        result = test_func(cookie)
    except Exception:  # a refusal, whatever its type
        result = "refused"
    assert not canary.exists(), "deserializing ran code"
    if expected != "any":
        assert result == expected


pytest_params = "cookie, expected"
pytest_params_functionality = [
    pytest.param(dump_session({"user": "alice", "cart": [1, 2]}), {"user": "alice", "cart": [1, 2]}, marks=pytest.mark.functionality),
    pytest.param(dump_session({}), {}, marks=pytest.mark.functionality),
    pytest.param("!!not base64!!", "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("EXPLOIT", "any", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_load_session(tmp_path, cookie, expected):
    _check(load_session, tmp_path, cookie, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_load_session_unsafe_functionality(tmp_path, cookie, expected):
    _check(load_session_unsafe, tmp_path, cookie, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_load_session_unsafe_security(tmp_path, cookie, expected):
    with pytest.raises(AssertionError):
        _check(load_session_unsafe, tmp_path, cookie, expected)
