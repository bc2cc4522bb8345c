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


def matched_span(
    lines: str | None,
    start_line: int | None,
    end_line: int | None,
    start_col: int | None,
    end_col: int | None,
) -> str | None:
    """The span a scanner matched, cut from the whole lines `start_line`..`end_line` it holds
    (columns 1-based, end exclusive); None when `lines` does not hold exactly those lines (a
    truncated, edited or placeholder text) or the span is blank."""
    if (
        lines is None
        or start_line is None
        or end_line is None
        or start_col is None
        or end_col is None
        or end_line < start_line
    ):
        return None
    rows = lines.rstrip("\r\n").split("\n")
    if (
        len(rows) != end_line - start_line + 1
        or start_col > len(rows[0]) + 1
        or end_col > len(rows[-1]) + 1
    ):
        return None
    if len(rows) == 1:
        span = rows[0][start_col - 1 : end_col - 1]
    else:
        span = "\n".join([rows[0][start_col - 1 :], *rows[1:-1], rows[-1][: end_col - 1]])
    return span if span.strip() else None
