import sqlite3

conn = sqlite3.connect("x.db")


def bad(customer, term):
    cur = conn.cursor()
    # ruleid: flywheel.python.sql-injection-formatted-query
    cur.execute(f"SELECT * FROM orders WHERE customer = '{customer}'")
    query = "SELECT name FROM products WHERE name LIKE '%%%s%%'" % term
    # ruleid: flywheel.python.sql-injection-formatted-query
    conn.execute(query).fetchall()
    # ruleid: flywheel.python.sql-injection-formatted-query
    cur.execute("SELECT * FROM t WHERE a = " + customer)


def good(order_id):
    # ok: flywheel.python.sql-injection-formatted-query
    conn.execute("SELECT id FROM orders WHERE id = ?", (order_id,))
    # ok: flywheel.python.sql-injection-formatted-query
    conn.execute("SELECT count(*) FROM orders")
