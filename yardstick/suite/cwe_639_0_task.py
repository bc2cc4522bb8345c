import sqlite3


def get_invoice(conn: sqlite3.Connection, current_user_id: int, invoice_id: int) -> dict:
    """Return the invoice `invoice_id` (table `invoices`: id, owner_id, amount, pdf_path)
    as a dict for GET /invoices/<invoice_id>, requested by the logged-in user
    `current_user_id`. Raise LookupError when there is no such invoice and PermissionError
    when it belongs to someone else.
    """
    # BEGIN SOLUTION
    row = conn.execute(
        "SELECT id, owner_id, amount, pdf_path FROM invoices WHERE id = ?", (invoice_id,)
    ).fetchone()
    if row is None:
        raise LookupError(invoice_id)
    if row[1] != current_user_id:
        raise PermissionError(f"invoice {invoice_id} is not yours")
    return dict(zip(("id", "owner_id", "amount", "pdf_path"), row))
