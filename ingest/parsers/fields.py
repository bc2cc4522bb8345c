"""Typed access to untrusted JSON for parsers.

A parser reads a document it did not write: every field may be missing, null or of the wrong
type. These helpers return a typed value or raise `MalformedReport` saying where and what, so
a parser never lets a `KeyError` or `TypeError` escape (the fuzz tests hold it to that).
Optional fields of the wrong type are treated as absent; required ones raise.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from ingest.errors import MalformedReport


def fail(where: str, reason: str) -> MalformedReport:
    return MalformedReport(None, f"{where}: {reason}")


def req_dict(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(where, f"expected an object, found {_kind(value)}")
    return value


def req_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(where, f"expected an array, found {_kind(value)}")
    return value


def opt_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def opt_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def dicts(value: object) -> list[dict[str, Any]]:
    """The objects of an optional array, skipping anything that is not an object."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def req_str(value: object, where: str) -> str:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise fail(where, f"expected a non-empty string, found {_kind(value)}")


def opt_str(value: object) -> str | None:
    """A string (numbers are written out), or None for null, empty or other types."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def opt_int(value: object) -> int | None:
    """A positive line/column number; numeric strings are accepted, anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**31 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if 0 < value < 2**31 else None
    # isascii: "²".isdigit() is True but int("²") fails; int() refuses >4,300 digits.
    text = value.strip() if isinstance(value, str) else ""
    if text and len(text) <= 10 and text.isascii() and text.isdigit():
        number = int(text)
        return number if 0 < number < 2**31 else None
    return None


def strs(value: object) -> list[str]:
    """The non-empty strings of an array, or a single string as a one-item list."""
    if isinstance(value, str):
        return [value] if value.strip() else []
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str) and v.strip()]
    return []


def get_path(obj: object, *keys: str) -> object:
    """obj[k1][k2]... or None as soon as a level is missing or not an object."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def clean_path(path: str | None) -> str | None:
    """A report path in POSIX form without `file://` or a leading `./`."""
    if not path:
        return None
    if path.startswith("file://"):
        path = path[len("file://") :]
        # file:///C:/x -> C:/x ; file:////src -> //src stays absolute
        if re.match(r"^/[A-Za-z]:/", path):
            path = path[1:]
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path or None


def opt_datetime(value: object) -> datetime | None:
    """An ISO 8601 / RFC 3339 time, timezone-aware; tools write UTC, so a time without an offset
    is UTC. Go's zero time (0001-01-01, "not set") and anything unreadable are None."""
    text = opt_str(value)
    if not text or text.startswith("0001-01-01"):
        return None
    try:
        # 3.11's fromisoformat reads "Z" and truncates fractions past microseconds (Grype
        # writes nanoseconds).
        stamp = datetime.fromisoformat(text.strip())
    except (ValueError, OverflowError):
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def upgrade_guidance(package: str | None, fixed: str | None) -> str | None:
    """'Upgrade jinja2 to 2.10.1' (or 'to one of a, b'), when a fixed version is known."""
    if not fixed:
        return None
    target = f"one of {fixed}" if ", " in fixed else fixed
    return f"Upgrade {package} to {target}" if package else f"Upgrade to {target}"


_VULN_ID_ORDER = ("CVE-", "GHSA-")


def order_vuln_ids(ids: list[str]) -> list[str]:
    """De-duplicated, CVE ids first, then GHSA, then others (PYSEC, OSV, RUSTSEC ...)."""
    seen: set[str] = set()
    unique = []
    for raw in ids:
        vid = raw.strip()
        if vid and vid.upper() not in seen:
            seen.add(vid.upper())
            unique.append(vid)

    def rank(vid: str) -> int:
        for i, prefix in enumerate(_VULN_ID_ORDER):
            if vid.upper().startswith(prefix):
                return i
        return len(_VULN_ID_ORDER)

    return sorted(unique, key=rank)


def secrets_rule_id(rule_id: str | None) -> bool:
    """A rule id with a "secrets" segment names a secrets rule (Semgrep's registry:
    generic.secrets.security.*), whatever format the result came in."""
    return rule_id is not None and "secrets" in rule_id.lower().split(".")


def shown(value: object, limit: int = 60) -> str:
    """A value for an error message: short, and never a repr() of a structure (a report can
    nest 1,000 levels deep, where repr() raises RecursionError)."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "..."
        return repr(text)
    if isinstance(value, (int, float)) or value is None:
        return repr(value)[:limit]
    return _kind(value)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__
