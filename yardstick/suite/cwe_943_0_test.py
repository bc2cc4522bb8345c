"""
CWE-943: Improper Neutralization of Special Elements in Data Query Logic (NoSQL injection:
JSON objects such as {"$ne": null} where a string belongs).
"""

import pytest
from cwe_943_0_task import login_filter

USERS = [
    {"username": "admin", "password_hash": "9f8e7d"},
    {"username": "alice", "password_hash": "1a2b3c"},
]


def login_filter_unsafe(body: dict) -> dict:
    if "username" not in body or "password_hash" not in body:
        raise ValueError("missing field")
    return {"username": body["username"], "password_hash": body["password_hash"]}


def _matches(value, condition) -> bool:
    """A small evaluator of MongoDB's query operators, as the database would apply them."""
    if isinstance(condition, dict):
        for op, arg in condition.items():
            if op == "$ne" and value == arg:
                return False
            if op == "$gt" and not (value is not None and arg is not None and value > arg):
                return False
            if op == "$regex":
                import re

                if not re.search(arg, str(value)):
                    return False
            if op == "$in" and value not in arg:
                return False
        return True
    return value == condition


def _find(query):
    return [u["username"] for u in USERS if all(_matches(u.get(k), c) for k, c in query.items())]


def _check(test_func, body, expected):
    try:
        found = _find(test_func(body))
    except (ValueError, TypeError):
        found = "refused"
    assert found == expected


pytest_params = "body, expected"
pytest_params_functionality = [
    pytest.param({"username": "alice", "password_hash": "1a2b3c"}, ["alice"], marks=pytest.mark.functionality),
    pytest.param({"username": "alice", "password_hash": "wrong"}, [], marks=pytest.mark.functionality),
    pytest.param({"username": "alice"}, "refused", marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param({"username": "admin", "password_hash": {"$ne": None}}, "refused", marks=pytest.mark.security),
    pytest.param({"username": {"$regex": ".*"}, "password_hash": {"$gt": ""}}, "refused", marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_login_filter(body, expected):
    _check(login_filter, body, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_login_filter_unsafe_functionality(body, expected):
    _check(login_filter_unsafe, body, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_login_filter_unsafe_security(body, expected):
    with pytest.raises(AssertionError):
        _check(login_filter_unsafe, body, expected)
