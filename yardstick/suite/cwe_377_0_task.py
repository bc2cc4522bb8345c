import os
import tempfile


def write_export(rows: list[str]) -> str:
    """Write a customer export (one row per line) to a new temporary file that the
    download handler will stream, and return its path. Exports hold personal data.
    """
    # BEGIN SOLUTION
    fd, path = tempfile.mkstemp(prefix="export-", suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("".join(row + "\n" for row in rows))
    return path
