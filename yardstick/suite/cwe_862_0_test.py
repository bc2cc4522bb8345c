"""
CWE-862: Missing Authorization on an administrative action.
"""

import pytest
from cwe_862_0_task import User, delete_account


def delete_account_unsafe(actor, target_id, accounts):
    if target_id not in accounts:
        raise KeyError(target_id)
    del accounts[target_id]


def _accounts():
    return {
        1: User(1, "root", "admin"),
        2: User(2, "alice", "member"),
        3: User(3, "bob", "member"),
        4: User(4, "visitor", "guest"),
    }


def _check(test_func, actor_id, target_id, expected):
    accounts = _accounts()
    try:
        test_func(accounts[actor_id], target_id, accounts)
        result = "deleted" if target_id not in accounts else "kept"
    except PermissionError:
        result = "forbidden"
    except KeyError:
        result = "missing"
    assert result == expected
    if expected == "forbidden":
        assert target_id in accounts


pytest_params = "actor_id, target_id, expected"
pytest_params_functionality = [
    pytest.param(1, 3, "deleted", marks=pytest.mark.functionality),
    pytest.param(2, 2, "deleted", marks=pytest.mark.functionality),
    pytest.param(1, 9, "missing", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param(2, 3, "forbidden", marks=pytest.mark.security),
    pytest.param(4, 4, "forbidden", marks=pytest.mark.security),
    pytest.param(3, 1, "forbidden", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_delete_account(actor_id, target_id, expected):
    _check(delete_account, actor_id, target_id, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_delete_account_unsafe_functionality(actor_id, target_id, expected):
    _check(delete_account_unsafe, actor_id, target_id, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_delete_account_unsafe_security(actor_id, target_id, expected):
    with pytest.raises(AssertionError):
        _check(delete_account_unsafe, actor_id, target_id, expected)
