"""Parse Python source written for newer interpreters than the one running.

Python 3.12 (PEP 701) lets f-strings nest quotes of their own kind (`f'{', '.join(x)}'`); the
3.11 parser rejects them, and code in the wild (and OWASP BenchmarkPython) is full of them.
`parse_python` parses as usual, and on a syntax error parses a copy in which every f-string is
replaced by a plain string of the same length and the same line breaks. Positions in the tree
are therefore positions in the original text, which is what callers that edit or quote the
source need; what they lose is the inside of f-strings.
"""

from __future__ import annotations

import ast

_PREFIX_CHARS = set("rRbBuUfF")


def parse_python(source: str) -> ast.Module | None:
    """The module's tree, or None when it is not Python (even with f-strings masked)."""
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    masked = mask_fstrings(source)
    if masked is None or masked == source:
        return None
    try:
        return ast.parse(masked)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def mask_fstrings(source: str) -> str | None:
    """`source` with each f-string replaced by a same-length plain string; None when the
    scanner cannot follow the source (an unterminated string, say)."""
    out = list(source)
    n = len(source)
    i = 0
    try:
        while i < n:
            char = source[i]
            if char == "#":
                end = source.find("\n", i)
                i = n if end < 0 else end
                continue
            if char in "'\"" or (char in _PREFIX_CHARS and _starts_string(source, i)):
                start = i
                prefix_end = i
                while source[prefix_end] in _PREFIX_CHARS:
                    prefix_end += 1
                prefix = source[start:prefix_end].lower()
                if start > 0 and (source[start - 1].isalnum() or source[start - 1] == "_"):
                    i += 1  # part of an identifier, not a prefix
                    continue
                end = _string_end(source, prefix_end, "f" in prefix)
                if "f" in prefix:
                    _blank(out, source, start, end)
                i = end
                continue
            i += 1
    except (IndexError, _Unterminated):
        return None
    return "".join(out)


class _Unterminated(Exception):
    pass


def _starts_string(source: str, i: int) -> bool:
    j = i
    while j < len(source) and source[j] in _PREFIX_CHARS and j - i < 3:
        j += 1
    return j < len(source) and source[j] in "'\"" and j > i


def _string_end(source: str, i: int, is_f: bool) -> int:
    """Index just past the string literal whose opening quote is at i."""
    quote = source[i]
    triple = source.startswith(quote * 3, i)
    delimiter = quote * 3 if triple else quote
    i += len(delimiter)
    n = len(source)
    while i < n:
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if source.startswith(delimiter, i):
            return i + len(delimiter)
        if not triple and char == "\n":
            raise _Unterminated
        if is_f and char == "{":
            if source.startswith("{{", i):
                i += 2
                continue
            i = _replacement_field_end(source, i + 1)
            continue
        i += 1
    raise _Unterminated


def _replacement_field_end(source: str, i: int) -> int:
    """Index just past the `}` closing a replacement field whose expression starts at i."""
    depth = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char in "'\"" or (char in _PREFIX_CHARS and _starts_string(source, i)):
            prefix_end = i
            while source[prefix_end] in _PREFIX_CHARS:
                prefix_end += 1
            i = _string_end(source, prefix_end, "f" in source[i:prefix_end].lower())
            continue
        if char in "([{":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "}":
            if depth == 0:
                return i + 1
            depth -= 1
        elif char == ":" and depth == 0 and not source.startswith(":=", i):
            # The format spec: literal text with nested replacement fields.
            return _format_spec_end(source, i + 1)
        i += 1
    raise _Unterminated


def _format_spec_end(source: str, i: int) -> int:
    n = len(source)
    while i < n:
        char = source[i]
        if char == "{":
            i = _replacement_field_end(source, i + 1)
            continue
        if char == "}":
            return i + 1
        i += 1
    raise _Unterminated


def _blank(out: list[str], source: str, start: int, end: int) -> None:
    """Replace source[start:end] (an f-string) by a plain string of the same shape."""
    text = source[start:end]
    multiline = "\n" in text
    quote = '"""' if multiline else '"'
    inner_length = len(text) - 2 * len(quote)
    if inner_length < 0:
        return
    inner = "".join("\n" if c == "\n" else " " for c in text[len(quote) : len(text) - len(quote)])
    replacement = quote + inner + quote
    out[start:end] = list(replacement)
