import sqlite3


def search_products(conn: sqlite3.Connection, name_part: str, max_price: float) -> list[str]:
    """Return the names of products (table `products`: name TEXT, price REAL, hidden INTEGER)
    whose name contains `name_part` and whose price is at most `max_price`, cheapest first,
    never including hidden products (hidden = 1). Both values come from the shop's search box.
    """
    # BEGIN SOLUTION
    rows = conn.execute(
        "SELECT name FROM products WHERE hidden = 0 AND name LIKE ? ESCAPE '\\' AND price <= ? "
        "ORDER BY price",
        ("%" + name_part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", max_price),
    )
    return [row[0] for row in rows]
