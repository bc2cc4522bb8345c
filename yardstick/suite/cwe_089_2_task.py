import sqlite3

SORTABLE = ("created", "total", "customer")


def list_orders(conn: sqlite3.Connection, sort_by: str, descending: bool = False) -> list[int]:
    """Return the ids of all orders (table `orders`: id, customer, total, created) sorted by
    the column `sort_by`, one of SORTABLE, as chosen in the dashboard's table header
    (a URL parameter). Raise ValueError for any other column.
    """
    # BEGIN SOLUTION
    if sort_by not in SORTABLE:
        raise ValueError(f"cannot sort by {sort_by!r}")
    direction = "DESC" if descending else "ASC"
    rows = conn.execute(f"SELECT id FROM orders ORDER BY {sort_by} {direction}, id")
    return [row[0] for row in rows]
