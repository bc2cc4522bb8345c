import sqlite3

import sqlalchemy
from flask import Flask, request

app = Flask(__name__)
conn = sqlite3.connect("shop.db")


@app.route("/orders")
def orders():
    customer = request.args.get("customer")
    cur = conn.cursor()
    # ruleid: flywheel.python.sql-injection
    cur.execute(f"SELECT id FROM orders WHERE customer = '{customer}'")
    query = "SELECT name FROM products WHERE name LIKE '%" + request.form["term"] + "%'"
    # ruleid: flywheel.python.sql-injection
    conn.execute(query)
    # ok: flywheel.python.sql-injection
    cur.execute("SELECT id FROM orders WHERE customer = ?", (customer,))
    limit = int(request.args.get("limit", "10"))
    # ok: flywheel.python.sql-injection
    cur.execute(f"SELECT id FROM orders LIMIT {limit}")
    # ruleid: flywheel.python.sql-injection
    return conn.execute(sqlalchemy.text("SELECT * FROM t WHERE a = '%s'" % customer)).fetchall()


def find_user(name):
    cur = conn.cursor()
    # ruleid: flywheel.python.sql-injection-from-parameter
    cur.execute(f"SELECT * FROM users WHERE name = '{name}'")
    sql = "DELETE FROM sessions WHERE user = '" + name + "'"
    # ruleid: flywheel.python.sql-injection-from-parameter
    cur.execute(sql)
    # ok: flywheel.python.sql-injection-from-parameter
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))


def run_migration(statement):
    # ok: flywheel.python.sql-injection-from-parameter
    conn.executescript(statement)


def find_by_tag(cur, tag, limit):
    query = "".join(["SELECT * FROM posts WHERE tag = '", tag, "'"])
    # ruleid: flywheel.python.sql-injection-from-parameter
    cur.execute(query)
    query = "SELECT * FROM posts WHERE 1 = 1"
    query += " AND tag = '%s'" % tag
    # ruleid: flywheel.python.sql-injection-from-parameter
    cur.execute(query)
    # ok: flywheel.python.sql-injection-from-parameter
    cur.execute(" ".join(["SELECT * FROM posts", "WHERE tag = ?", "LIMIT ?"]), (tag, int(limit)))
