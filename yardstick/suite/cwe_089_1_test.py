"""
CWE-089: SQL Injection in a search with a LIKE pattern.
"""

import sqlite3

import pytest
from cwe_089_1_task import search_products


def search_products_unsafe(conn: sqlite3.Connection, name_part: str, max_price: float) -> list[str]:
    rows = conn.execute(
        f"SELECT name FROM products WHERE hidden = 0 AND name LIKE '%{name_part}%' "
        f"AND price <= {max_price} ORDER BY price"
    )
    return [row[0] for row in rows]


@pytest.fixture
def conn():
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE products (name TEXT, price REAL, hidden INTEGER)")
    connection.executemany(
        "INSERT INTO products VALUES (?, ?, ?)",
        [("red shoes", 50.0, 0), ("red hat", 20.0, 0), ("blue shoes", 70.0, 0), ("prototype", 1.0, 1)],
    )
    yield connection
    connection.close()


def _check(test_func, conn, name_part, max_price, expected):
    try:
        found = test_func(conn, name_part, max_price)
    except sqlite3.Error:
        found = "error"
    assert found == expected


pytest_params = "name_part, max_price, expected"
pytest_params_functionality = [
    pytest.param("red", 100.0, ["red hat", "red shoes"], marks=pytest.mark.functionality),
    pytest.param("shoes", 60.0, ["red shoes"], marks=pytest.mark.functionality),
    pytest.param("green", 100.0, [], marks=pytest.mark.functionality),
]
pytest_params_security = [
    pytest.param("%' OR hidden = 1 --", 100.0, [], marks=pytest.mark.security),
    pytest.param("x' UNION SELECT name FROM products WHERE hidden = 1 --", 100.0, [], marks=pytest.mark.security),
]


@pytest.mark.parametrize(pytest_params, pytest_params_functionality + pytest_params_security)
def test_search_products(conn, name_part, max_price, expected):
    _check(search_products, conn, name_part, max_price, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_functionality)
def test_search_products_unsafe_functionality(conn, name_part, max_price, expected):
    _check(search_products_unsafe, conn, name_part, max_price, expected)


@pytest.mark.parametrize(pytest_params, pytest_params_security)
def test_search_products_unsafe_security(conn, name_part, max_price, expected):
    with pytest.raises(AssertionError):
        _check(search_products_unsafe, conn, name_part, max_price, expected)
