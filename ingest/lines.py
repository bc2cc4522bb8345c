"""Lines as scanners count them."""

from __future__ import annotations


def split_lines(text: str) -> list[str]:
    """Lines split on \\n only (a \\r before it is dropped).

    str.splitlines() also splits on form feeds, vertical tabs, U+2028 and others, which would
    shift every later line number away from the scanner's.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # a final newline ends the last line; it does not start a new one
    return [line[:-1] if line.endswith("\r") else line for line in lines]
