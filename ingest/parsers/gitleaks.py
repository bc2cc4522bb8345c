"""Gitleaks JSON (`gitleaks detect -f json`, `gitleaks --report=...`), v8 and v7.

The document is an array of leaks (`null` when there are none: one empty run). Each record is
read by its own shape:
- v8: `{RuleID, Description, StartLine, EndLine, StartColumn, EndColumn, Match, Secret, File,
  Commit, Entropy, Author, Email, Date, Message, Tags, Fingerprint, Link?}`;
- v7: `{rule, line, lineNumber?, offender, commit, file, date, tags, leakURL, repo, ...}`.
Every leak is a SECRET with CWE-798; Gitleaks rates nothing, so severity comes from the
"gitleaks" table's default (high). v8's `Fingerprint` is `commit:file:rule:line`: it moves with
the line, so it is not a tool_fingerprint. v7's `line` is the whole flagged line (flagged_text);
v8 carries no line text. The secret values Gitleaks reveals (`Secret`, `Match`, `offender`) go
to `secrets` for redaction, unless Gitleaks already redacted them (`--redact`: "REDACTED", or
masked with `*`). Gitleaks JSON names no version: tool_version is None.
"""

from __future__ import annotations

from typing import Any

from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import Severity, from_table
from core.tools import normalize_tool_name
from ingest.errors import UnsupportedFormat
from ingest.parsers.fields import clean_path, fail, opt_int, opt_str, req_dict, req_list

FORMAT = "gitleaks"
TOOL = normalize_tool_name("gitleaks")
CWE_HARD_CODED_CREDENTIALS = 798

_V8_KEYS = ("RuleID", "Description", "Secret", "Match", "StartLine", "File", "Fingerprint")
_V7_KEYS = ("rule", "offender", "line", "lineNumber", "leakURL", "commitMessage", "file")


def parse_gitleaks(document: Any) -> ParsedReport:
    run = ParsedRun(tool=TOOL)
    report = ParsedReport(format=FORMAT, runs=[run])
    if document is None:
        return report  # Gitleaks writes `null` when it finds nothing
    if isinstance(document, dict) and "runs" in document:
        raise UnsupportedFormat(
            None,
            "document: a SARIF log, not Gitleaks JSON",
            detected="sarif",
            hint="read it with --format sarif",
        )
    leaks = req_list(document, "document")
    severity = from_table(TOOL, None)
    findings = run.findings
    for i, leak in enumerate(leaks):
        leak = req_dict(leak, f"document[{i}]")
        if any(key in leak for key in _V8_KEYS):
            findings.append(_v8(leak, i, severity))
        elif any(key in leak for key in _V7_KEYS):
            findings.append(_v7(leak, i, severity))
        else:
            raise UnsupportedFormat(
                None,
                f"document[{i}]: not a Gitleaks v8 (`RuleID`, `Secret` ...) or v7 (`rule`, "
                "`offender` ...) finding",
                detected=FORMAT,
            )
    return report


def _v8(leak: dict[str, Any], i: int, severity: Severity) -> Finding:
    description = _text(leak.get("Description"))
    rule_id = opt_str(leak.get("RuleID")) or description
    if rule_id is None:
        raise fail(f"document[{i}].RuleID", "missing: every Gitleaks finding names its rule")
    return Finding(
        tool=TOOL,
        rule_id=rule_id,
        rule_name=description,
        message=description or rule_id,
        kind=Kind.SECRET,
        severity=severity,
        cwe_ids=[CWE_HARD_CODED_CREDENTIALS],
        commit=opt_str(leak.get("Commit")),
        path=clean_path(opt_str(leak.get("File"))),
        start_line=opt_int(leak.get("StartLine")),
        end_line=opt_int(leak.get("EndLine")),
        start_column=opt_int(leak.get("StartColumn")),
        end_column=opt_int(leak.get("EndColumn")),
        raw=leak,
        secrets=_revealed(leak.get("Secret"), leak.get("Match")),
    )


def _v7(leak: dict[str, Any], i: int, severity: Severity) -> Finding:
    rule = _text(leak.get("rule"))
    if rule is None:
        raise fail(f"document[{i}].rule", "missing: every Gitleaks finding names its rule")
    line = opt_str(leak.get("line"))
    return Finding(
        tool=TOOL,
        rule_id=rule,
        rule_name=rule,
        message=rule,
        kind=Kind.SECRET,
        severity=severity,
        cwe_ids=[CWE_HARD_CODED_CREDENTIALS],
        commit=opt_str(leak.get("commit")),
        path=clean_path(opt_str(leak.get("file"))),
        start_line=opt_int(leak.get("lineNumber")),
        flagged_text=line.rstrip("\r\n") if line is not None else None,
        raw=leak,
        secrets=_revealed(leak.get("offender")),
    )


def _revealed(*values: object) -> list[str]:
    """The secret values as Gitleaks wrote them, without ones it already redacted or masked."""
    secrets: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        text = value.strip()
        if not text or "REDACTED" in text or "***" in text or not text.strip("*"):
            continue
        if text not in secrets:
            secrets.append(text)
    return secrets


def _text(value: object) -> str | None:
    text = opt_str(value)
    return text.strip() if text is not None else None
