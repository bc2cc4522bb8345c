"""Bandit JSON (`bandit -f json`): `{"generated_at", "metrics", "results": [...], "errors"}`.

A result is `{test_id, test_name, issue_text, issue_severity, issue_confidence, issue_cwe?
{id, link}, filename, line_number, line_range, col_offset?, end_col_offset?, code, more_info}`
(`issue_cwe` and the columns since Bandit 1.7.x). Everything is SAST on Python code.
- lines: `line_range` first..last (Bandit's own SARIF output does the same); `line_number`
  when there is no range.
- columns: Bandit's are the AST's 0-based offsets; here they are 1-based like every other
  tool's (`col_offset + 1`, `end_col_offset + 1`, end exclusive), as Bandit's SARIF writes them.
- `code` is the flagged lines with context, one "N text" line each: snippet (numbers stripped,
  snippet_start_line = the first N), flagged_text = the lines of `line_range`.
- Bandit writes no version in JSON (tool_version None); `generated_at` (UTC) is scanned_at.
- `errors` are files Bandit could not scan: not findings, a warning counts them.
Results silenced with `# nosec` are not in Bandit's JSON, so nothing here is suppressed.
"""

from __future__ import annotations

from typing import Any

from core.cwe import parse_cwe
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import from_table
from core.tools import normalize_tool_name
from ingest.errors import UnsupportedFormat
from ingest.parsers.fields import (
    clean_path,
    fail,
    opt_datetime,
    opt_int,
    opt_str,
    req_dict,
    req_list,
)

FORMAT = "bandit"
TOOL = normalize_tool_name("bandit")
LANGUAGE = "python"


def parse_bandit(document: Any) -> ParsedReport:
    if document is None or (isinstance(document, list) and not document):
        return ParsedReport(format=FORMAT, runs=[ParsedRun(tool=TOOL)])
    document = req_dict(document, "document")
    if "results" not in document:
        if "runs" in document:
            raise UnsupportedFormat(
                None,
                "document: a SARIF log, not Bandit JSON",
                detected="sarif",
                hint="read it with --format sarif",
            )
        raise fail("results", "missing: not Bandit JSON (`bandit -f json` writes `results`)")
    results = req_list(document.get("results"), "results")

    run = ParsedRun(tool=TOOL, scanned_at=opt_datetime(document.get("generated_at")))
    report = ParsedReport(format=FORMAT, runs=[run])
    findings = run.findings
    for i, result in enumerate(results):
        findings.append(_finding(req_dict(result, f"results[{i}]"), i))

    errors = document.get("errors")
    if isinstance(errors, list) and errors:
        report.warnings.append(
            f"Bandit could not scan {len(errors)} file{'s' if len(errors) != 1 else ''} "
            "(errors, not findings): findings in them are missing from this report"
        )
    return report


def _finding(result: dict[str, Any], i: int) -> Finding:
    test_id = opt_str(result.get("test_id"))
    test_name = opt_str(result.get("test_name"))
    rule_id = test_id or test_name
    if rule_id is None:
        raise fail(f"results[{i}].test_id", "missing: every Bandit result names its test")

    line_number = opt_int(result.get("line_number"))
    line_range = [n for n in map(opt_int, _ints(result.get("line_range"))) if n is not None]
    if line_range:
        start_line, end_line = min(line_range), max(line_range)
    else:
        start_line = end_line = line_number

    snippet = flagged_text = None
    snippet_start = None
    code = result.get("code")
    if isinstance(code, str) and code:
        numbered = _numbered_lines(code)
        if numbered:
            snippet_start = numbered[0][0]
            snippet = "\n".join(text for _, text in numbered)
            if start_line is not None and end_line is not None:
                flagged = [text for n, text in numbered if start_line <= n <= end_line]
                if len(flagged) == end_line - start_line + 1:
                    flagged_text = "\n".join(flagged)

    severity_word = opt_str(result.get("issue_severity"))
    confidence = opt_str(result.get("issue_confidence"))
    more_info = opt_str(result.get("more_info"))
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        rule_name=test_name,
        message=_text(result.get("issue_text")) or test_name or rule_id,
        kind=Kind.SAST,
        severity=from_table(TOOL, severity_word),
        tool_severity=severity_word,
        confidence=confidence.lower() if confidence else None,
        cwe_ids=parse_cwe(result.get("issue_cwe")),
        references=[more_info.strip()] if more_info else [],
        path=clean_path(opt_str(result.get("filename"))),
        start_line=start_line,
        end_line=end_line,
        start_column=_column(result.get("col_offset")),
        end_column=_column(result.get("end_col_offset"), end=True),
        flagged_text=flagged_text,
        snippet=snippet,
        snippet_start_line=snippet_start,
        language=LANGUAGE,
        raw=result,
    )


def _numbered_lines(code: str) -> list[tuple[int, str]] | None:
    """Bandit's `code` ("N text\\n" per line) as (N, text) pairs; None if a line is unnumbered."""
    lines = code.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last line
    out = []
    for line in lines:
        number, sep, text = line.partition(" ")
        if not sep and "\t" in line:
            number, sep, text = line.partition("\t")  # Bandit's tabbed variant
        n = opt_int(number) if number.isascii() and number.isdigit() else None
        if n is None:
            return None
        out.append((n, text.rstrip("\r")))
    return out


def _ints(value: object) -> list[int]:
    return [n for n in value if type(n) is int] if isinstance(value, list) else []


def _column(value: object, end: bool = False) -> int | None:
    """A 0-based Bandit offset as a 1-based column; an end offset of 0 means unknown."""
    if type(value) is not int or value < 0 or (end and value == 0):
        return None
    return opt_int(value + 1)


def _text(value: object) -> str | None:
    text = opt_str(value)
    return text.strip() if text is not None else None
