import sqlite3


def find_user(conn: sqlite3.Connection, username: str) -> tuple | None:
    """Return the row (id, username, email) of the user called `username` from the table
    `users`, or None when there is none. `username` comes from the login form.
    """
    # BEGIN SOLUTION
    cursor = conn.execute("SELECT id, username, email FROM users WHERE username = ?", (username,))
    return cursor.fetchone()
