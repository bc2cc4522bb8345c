"""
CWE-643: Improper Neutralization of Data within XPath Expressions ('XPath Injection').
"""

import xml.etree.ElementTree as ET

import pytest
from cwe_643_0_task import USERS, role_of


def role_of_unsafe(users_xml: str, username: str) -> str | None:
    root = ET.fromstring(users_xml)
    found = root.find(f"./user[@name='{username}']")
    return found.get("role") if found is not None else None


def _check(test_func, username, expected):
    try:
        result = test_func(USERS, username)
    except SyntaxError:
        result = None
    assert result == expected


pytest_params = "username, expected"
pytest_params_functionality = [
    pytest.param("alice", "editor", marks=pytest.mark.functionality),
    pytest.param("bob", "viewer", marks=pytest.mark.functionality),
    pytest.param("carol", None, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("alice']/../user[@role='superuser", None, marks=pytest.mark.security),
    pytest.param("bob']/../user[@name='admin", None, marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_role_of(username, expected):
    _check(role_of, username, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_role_of_unsafe_functionality(username, expected):
    _check(role_of_unsafe, username, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_role_of_unsafe_security(username, expected):
    with pytest.raises(AssertionError):
        _check(role_of_unsafe, username, expected)
