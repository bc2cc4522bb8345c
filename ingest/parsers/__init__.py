"""Parsers: pure functions from a loaded document to a `ParsedReport`, and format detection.

`parse_document(document, fmt=None)` detects the format from the content unless `fmt` says
it. Every parser is `parse_<format>(document) -> ParsedReport`: no I/O, no database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.finding import ParsedReport
from ingest.errors import UnsupportedFormat
from ingest.parsers.bandit import parse_bandit
from ingest.parsers.gitleaks import parse_gitleaks
from ingest.parsers.grype import parse_grype
from ingest.parsers.osv_scanner import parse_osv_scanner
from ingest.parsers.pip_audit import parse_pip_audit
from ingest.parsers.sarif import parse_sarif
from ingest.parsers.semgrep import parse_semgrep
from ingest.parsers.snyk import parse_snyk
from ingest.parsers.trivy import parse_trivy

Parser = Callable[[Any], ParsedReport]

PARSERS: dict[str, Parser] = {
    "sarif": parse_sarif,
    "semgrep": parse_semgrep,
    "bandit": parse_bandit,
    "trivy": parse_trivy,
    "pip-audit": parse_pip_audit,
    "osv-scanner": parse_osv_scanner,
    "gitleaks": parse_gitleaks,
    "snyk": parse_snyk,
    "grype": parse_grype,
}
FORMATS = tuple(PARSERS)
EMPTY = "empty"  # `null` or `[]`: a valid report with no findings whose tool cannot be told


def detect_format(document: Any) -> str:
    """The format of a loaded document, from its shape; `EMPTY` for `null` and `[]`.

    Raises UnsupportedFormat (naming what was seen) when no format fits.
    """
    if document is None:
        return EMPTY
    if isinstance(document, dict):
        detected = _detect_object(document)
    elif isinstance(document, list):
        detected = _detect_list(document)
    else:
        raise UnsupportedFormat(
            None,
            f"the document is a JSON {type(document).__name__}, not a report",
            hint=_formats_hint(),
        )
    if detected is None:
        raise UnsupportedFormat(
            None, f"no known report format matches {_shape(document)}", hint=_formats_hint()
        )
    return detected


def _detect_object(doc: dict[str, Any]) -> str | None:
    keys = doc.keys()
    if "runs" in keys and ("version" in keys or "sarif" in str(doc.get("$schema", "")).lower()):
        return "sarif"
    if "SchemaVersion" in keys or ("Results" in keys and "ArtifactName" in keys):
        return "trivy"
    if "ClusterName" in keys and (
        {"Resources", "Findings", "Vulnerabilities", "Misconfigurations"} & keys
    ):
        return "trivy"  # trivy k8s
    if "matches" in keys and ("descriptor" in keys or "source" in keys):
        return "grype"
    if "vulns" in keys and ("hasMore" in keys or "cursor" in keys):
        return "semgrep"  # Semgrep App supply-chain export
    if "vulnerabilities" in keys and (
        {"packageManager", "projectName", "dependencyCount", "ok"} & keys
    ):
        return "snyk"
    if "ok" in keys and "error" in keys and "path" in keys:
        return "snyk"  # snyk's error document
    if "dependencies" in keys and set(keys) <= {"dependencies", "fixes"}:
        return "pip-audit"
    if "results" in keys:
        if "generated_at" in keys or "metrics" in keys:
            return "bandit"
        results = doc["results"]
        first = results[0] if isinstance(results, list) and results else None
        if isinstance(first, dict):
            if "check_id" in first:
                return "semgrep"
            if "test_id" in first:
                return "bandit"
            if "packages" in first or "source" in first:
                return "osv-scanner"
        if "errors" in keys or "paths" in keys or "version" in keys:
            return "semgrep"
        if isinstance(results, list):
            return "osv-scanner"  # `{"results": []}` is what osv-scanner writes for none
    return None


def _detect_list(items: list[Any]) -> str | None:
    if not items:
        return EMPTY
    first = items[0]
    if not isinstance(first, dict):
        return None
    keys = first.keys()
    if "RuleID" in keys or ("Secret" in keys and "Match" in keys):
        return "gitleaks"
    if (
        "offender" in keys
        or ("rule" in keys and "leakURL" in keys)
        or ("rule" in keys and "line" in keys)
    ):
        return "gitleaks"
    if "name" in keys and ("vulns" in keys or "skip_reason" in keys):
        return "pip-audit"
    if "Target" in keys:
        return "trivy"
    if any(
        isinstance(item, dict) and ({"vulnerabilities", "packageManager"} & item.keys())
        for item in items
    ):
        return "snyk"  # --all-projects; a failed project may come first
    return None


def parse_document(document: Any, fmt: str | None = None) -> ParsedReport:
    """Parse with the parser for `fmt`, or for the detected format."""
    if fmt is not None and fmt not in PARSERS:
        raise UnsupportedFormat(None, f"unknown format {fmt!r}", hint=_formats_hint())
    chosen = fmt or detect_format(document)
    if chosen == EMPTY:
        return ParsedReport(
            format=EMPTY,
            warnings=[
                "the report holds no findings and does not say which tool wrote it, so it "
                "closes nothing; pass --format to let an empty scan mark findings fixed"
            ],
        )
    return PARSERS[chosen](document)


def _shape(document: dict[str, Any] | list[Any]) -> str:
    if isinstance(document, dict):
        keys = sorted(document.keys())
        shown = ", ".join(repr(k) for k in keys[:8]) + (", ..." if len(keys) > 8 else "")
        return f"an object with keys {shown}" if keys else "an empty object"
    first = document[0]
    if isinstance(first, dict):
        keys = sorted(first.keys())
        return "an array of objects with keys " + ", ".join(repr(k) for k in keys[:8])
    return f"an array of {type(first).__name__}"


def _formats_hint() -> str:
    return "formats read: " + ", ".join(FORMATS) + "; --format overrides detection"
