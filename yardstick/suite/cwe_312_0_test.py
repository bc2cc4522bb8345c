"""
CWE-312: Cleartext Storage of Sensitive Information (API tokens stored as issued).
"""

import pytest
from cwe_312_0_task import store_token, token_owner

TOKEN = "fw_3f9a1c77e0b24d58a6c1d2e3f4a5b6c7"


def store_token_unsafe(tokens, user, token):
    tokens[user] = token


def token_owner_unsafe(tokens, presented):
    for user, stored in tokens.items():
        if stored == presented:
            return user
    return None


def _check(store, owner, case):
    tokens: dict[str, str] = {}
    store(tokens, "alice", TOKEN)
    store(tokens, "bob", "fw_" + "b" * 32)
    if case == "lookup":
        assert owner(tokens, TOKEN) == "alice"
        assert owner(tokens, "fw_" + "b" * 32) == "bob"
        assert owner(tokens, "fw_" + "c" * 32) is None
    elif case == "a leaked table is useless":
        dumped = repr(tokens)
        assert TOKEN not in dumped and TOKEN[3:] not in dumped, "the table holds the token itself"
        assert owner(tokens, tokens.get("alice", "")) is None, "the stored value works as a token"


pytest_params = "case"
pytest_params_functionality = [pytest.param("lookup", marks=pytest.mark.functionality)]
pytest_params_security = [pytest.param("a leaked table is useless", marks=pytest.mark.security)]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_store_token(case):
    _check(store_token, token_owner, case)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_store_token_unsafe_functionality(case):
    _check(store_token_unsafe, token_owner_unsafe, case)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_store_token_unsafe_security(case):
    with pytest.raises(AssertionError):
        _check(store_token_unsafe, token_owner_unsafe, case)
