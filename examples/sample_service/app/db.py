"""Order lookups. Two queries are injectable; the last one is how to do it."""

import sqlite3

DB_PATH = "orders.db"


def connect():
    return sqlite3.connect(DB_PATH)


def find_orders(customer):
    conn = connect()
    cursor = conn.cursor()
    # SQL injection (CWE-89): user input formatted into the query.
    cursor.execute(f"SELECT id, total FROM orders WHERE customer = '{customer}'")
    return cursor.fetchall()


def search_products(term):
    conn = connect()
    query = "SELECT name FROM products WHERE name LIKE '%%%s%%'" % term
    return conn.execute(query).fetchall()


def find_order(order_id):
    conn = connect()
    # Safe: a parameterized query.
    return conn.execute("SELECT id, total FROM orders WHERE id = ?", (order_id,)).fetchone()
