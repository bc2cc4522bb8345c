"""OSV records (https://ossf.github.io/osv-schema/), read the same way wherever they appear.

The OSV-Scanner parser (`ingest.parsers.osv_scanner`) meets them inside a report; the offline
dependency check (`detectors.dependencies`) reads them from an advisory directory. Both
rate, cite and classify a record with these helpers, so one advisory reads the same from both.

- severity: the highest GHSA word (`database_specific.severity`, the "osv-scanner" table), else
  the highest CVSS v3 base score of the `severity` vectors, else "medium".
- references: every `references[].url`, in order, de-duplicated.
- CWEs: `database_specific.cwe_ids` (GHSA) and `affected[].database_specific.cwes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.cwe import parse_cwe
from core.severity import Severity, cvss3_base_score, from_score, from_table
from ingest.parsers.fields import dicts, get_path, opt_str

SEVERITY_TABLE = "osv-scanner"


def record_severity(records: Iterable[dict[str, Any]]) -> tuple[Severity, str | None]:
    """(severity, the tool's own value) of the worst of `records`; ("medium", None) unrated."""
    records = list(records)
    best: tuple[Severity, str] | None = None
    for record in records:  # GHSA's own rating
        word = opt_str(get_path(record, "database_specific", "severity"))
        if word and (best is None or from_table(SEVERITY_TABLE, word).rank > best[0].rank):
            best = (from_table(SEVERITY_TABLE, word), word)
    if best:
        return best
    best_score: tuple[float, str] | None = None
    for record in records:
        for rating in dicts(record.get("severity")):
            vector = opt_str(rating.get("score"))
            if not vector or rating.get("type") != "CVSS_V3":
                continue
            vector_score = cvss3_base_score(vector)
            if vector_score is not None and (best_score is None or vector_score > best_score[0]):
                best_score = (vector_score, vector)
    if best_score:
        return from_score(best_score[0]), best_score[1]
    return from_table(SEVERITY_TABLE, None), None


def record_references(records: Iterable[dict[str, Any]]) -> list[str]:
    """The records' reference URLs, first occurrence first."""
    urls = (
        url
        for record in records
        for ref in dicts(record.get("references"))
        if isinstance(url := ref.get("url"), str) and url.strip()
    )
    return list(dict.fromkeys(urls))


def record_cwes(records: Iterable[dict[str, Any]]) -> list[int]:
    """The records' CWE ids (GHSA's `cwe_ids`, then per-package `cwes`), de-duplicated."""
    cwes: list[int] = []
    for record in records:
        cwes.extend(parse_cwe(get_path(record, "database_specific", "cwe_ids")))
        for affected in dicts(record.get("affected")):
            cwes.extend(parse_cwe(get_path(affected, "database_specific", "cwes")))
    return list(dict.fromkeys(cwes))
