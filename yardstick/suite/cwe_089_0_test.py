"""
CWE-089: SQL Injection in a lookup by user name.
"""

import sqlite3

import pytest
from cwe_089_0_task import find_user


def find_user_unsafe(conn: sqlite3.Connection, username: str) -> tuple | None:
    cursor = conn.execute(f"SELECT id, username, email FROM users WHERE username = '{username}'")
    return cursor.fetchone()


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT)")
    connection.executemany(
        "INSERT INTO users (username, email) VALUES (?, ?)",
        [("admin", "root@example.com"), ("alice", "alice@example.com"), ("o'brien", "ob@example.com")],
    )
    yield connection
    connection.close()


def _check(test_func, conn, username, expected):
    try:
        found = test_func(conn, username)
    except sqlite3.Error:
        found = "error"
    assert found == expected


pytest_params = "username, expected"
pytest_params_functionality = [
    pytest.param("alice", (2, "alice", "alice@example.com"), marks=pytest.mark.functionality),
    pytest.param("nobody", None, marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("' OR '1'='1", None, marks=pytest.mark.security),
    pytest.param("nobody' UNION SELECT 1, 'x', sqlite_version() --", None, marks=pytest.mark.security),
    pytest.param("o'brien", (3, "o'brien", "ob@example.com"), marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_find_user(conn, username, expected):
    _check(find_user, conn, username, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_find_user_unsafe_functionality(conn, username, expected):
    _check(find_user_unsafe, conn, username, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_find_user_unsafe_security(conn, username, expected):
    with pytest.raises(AssertionError):
        _check(find_user_unsafe, conn, username, expected)
