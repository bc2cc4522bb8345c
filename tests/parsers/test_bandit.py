"""Bandit JSON parser (`bandit -f json`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.bandit import parse_bandit
from tests.shared_data import shared_path


def _result(**overrides: Any) -> dict[str, Any]:
    """One `results[]` entry as Bandit 1.7+ writes it (issue_cwe and columns included)."""
    result: dict[str, Any] = {
        "code": "5     subprocess.call(cmd,\n6                     shell=True)\n7     return 0\n",
        "col_offset": 4,
        "end_col_offset": 31,
        "filename": "./app\\tasks.py",
        "issue_confidence": "HIGH",
        "issue_cwe": {"id": 78, "link": "https://cwe.mitre.org/data/definitions/78.html"},
        "issue_severity": "HIGH",
        "issue_text": "subprocess call with shell=True identified, security issue.",
        "line_number": 6,
        "line_range": [5, 6],
        "more_info": "https://bandit.readthedocs.io/en/1.8.0/plugins/b602.html",
        "test_id": "B602",
        "test_name": "subprocess_popen_with_shell_equals_true",
    }
    result.update(overrides)
    return result


def _doc(*results: Any, **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "errors": [],
        "generated_at": "2024-05-01T10:03:39Z",
        "metrics": {"_totals": {"loc": 7, "nosec": 0}},
        "results": list(results),
    }
    doc.update(top)
    return doc


def _only(report: Any) -> Any:
    assert len(report.runs) == 1
    assert len(report.runs[0].findings) == 1
    return report.runs[0].findings[0]


CASES = [
    # The baseline: a multi-line call; lines from line_range, 0-based offsets made 1-based,
    # Windows separators cleaned, snippet and flagged lines without their numbers.
    pytest.param(
        _result(),
        {
            "tool": "bandit",
            "tool_version": None,
            "kind": Kind.SAST,
            "rule_id": "B602",
            "rule_name": "subprocess_popen_with_shell_equals_true",
            "message": "subprocess call with shell=True identified, security issue.",
            "severity": Severity.HIGH,
            "tool_severity": "HIGH",
            "confidence": "high",
            "cwe_ids": [78],
            "path": "app/tasks.py",
            "start_line": 5,
            "end_line": 6,
            "start_column": 5,
            "end_column": 32,
            "flagged_text": "    subprocess.call(cmd,\n                    shell=True)",
            "snippet": "    subprocess.call(cmd,\n                    shell=True)\n    return 0",
            "snippet_start_line": 5,
            "language": "python",
            "references": ["https://bandit.readthedocs.io/en/1.8.0/plugins/b602.html"],
            "suppressed": False,
            "tool_fingerprint": None,
        },
        id="multi-line-with-cwe-and-columns",
    ),
    # An old Bandit result (< 1.7.x): no issue_cwe, no columns; an empty context line kept.
    pytest.param(
        {
            k: v
            for k, v in _result(
                code="38 for f in findings:\n39     key = hashlib.md5(f.title).hexdigest()\n40 \n",
                line_number=39,
                line_range=[39],
                issue_severity="MEDIUM",
                issue_confidence="HIGH",
                test_id="B303",
                test_name="blacklist",
            ).items()
            if k not in ("issue_cwe", "col_offset", "end_col_offset")
        },
        {
            "cwe_ids": [],
            "start_column": None,
            "end_column": None,
            "start_line": 39,
            "end_line": 39,
            "severity": Severity.MEDIUM,
            "flagged_text": "    key = hashlib.md5(f.title).hexdigest()",
            "snippet": "for f in findings:\n    key = hashlib.md5(f.title).hexdigest()\n",
            "snippet_start_line": 38,
        },
        id="old-bandit-no-cwe-no-columns",
    ),
    # Bandit's "no CWE" is an empty object (Cwe.NOTSET); LOW/LOW; a column at offset 0.
    pytest.param(
        _result(
            issue_cwe={},
            issue_severity="LOW",
            issue_confidence="LOW",
            col_offset=0,
            end_col_offset=0,
        ),
        {
            "cwe_ids": [],
            "severity": Severity.LOW,
            "confidence": "low",
            "start_column": 1,
            "end_column": None,
        },
        id="cwe-notset-offset-zero",
    ),
    # UNDEFINED severity is info.
    pytest.param(
        _result(issue_severity="UNDEFINED"), {"severity": Severity.INFO}, id="severity-undefined"
    ),
    # No line_range: line_number alone; code without the flagged line gives no flagged_text.
    pytest.param(
        _result(line_range=None, line_number=9, code="1 import os\n2 \n"),
        {
            "start_line": 9,
            "end_line": 9,
            "flagged_text": None,
            "snippet": "import os\n",
            "snippet_start_line": 1,
        },
        id="no-line-range",
    ),
    # `code` that is not Bandit's numbered lines: no snippet rather than a wrong one.
    pytest.param(
        _result(code="subprocess.call(cmd, shell=True)\n"),
        {"snippet": None, "snippet_start_line": None, "flagged_text": None},
        id="unnumbered-code",
    ),
    # No issue_text: the test name stands in; no test_id: the test name is the rule id.
    pytest.param(
        _result(issue_text="", test_id=None),
        {
            "message": "subprocess_popen_with_shell_equals_true",
            "rule_id": "subprocess_popen_with_shell_equals_true",
        },
        id="fallbacks",
    ),
    # Optional fields of the wrong type are absent, never an error.
    pytest.param(
        {
            "test_id": "B101",
            "line_number": "x",
            "line_range": "1-2",
            "code": 5,
            "col_offset": "4",
            "issue_cwe": "CWE-703",
            "filename": None,
            "issue_severity": ["HIGH"],
            "more_info": 3,
        },
        {
            "rule_id": "B101",
            "message": "B101",
            "start_line": None,
            "snippet": None,
            "start_column": None,
            "cwe_ids": [703],
            "path": None,
            "severity": Severity.MEDIUM,
            "tool_severity": None,
            "references": ["3"],
        },
        id="ill-typed-optional-fields",
    ),
]


@pytest.mark.parametrize(("result", "expected"), CASES)
def test_fields(result: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _only(parse_bandit(_doc(result)))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.raw == result


@pytest.mark.parametrize(
    ("generated_at", "expected"),
    [
        ("2024-05-01T10:03:39Z", datetime(2024, 5, 1, 10, 3, 39, tzinfo=UTC)),  # Bandit's format
        ("2024-05-01T10:03:39", datetime(2024, 5, 1, 10, 3, 39, tzinfo=UTC)),  # no zone: UTC
        ("yesterday", None),  # unparseable
        (1714557819, None),  # not a string
    ],
    ids=["zulu", "naive-is-utc", "garbage", "number"],
)
def test_scanned_at(generated_at: Any, expected: datetime | None) -> None:
    assert parse_bandit(_doc(generated_at=generated_at)).runs[0].scanned_at == expected


@pytest.mark.parametrize(
    "document",
    [
        None,  # `null`
        [],  # `[]`
        _doc(),  # a clean scan
    ],
    ids=["null", "empty-array", "no-results"],
)
def test_empty_documents_give_one_empty_run(document: Any) -> None:
    report = parse_bandit(document)
    assert report.format == "bandit"
    assert [(run.tool, run.findings) for run in report.runs] == [("bandit", [])]


def test_every_record_is_returned_and_errors_warn() -> None:
    doc = _doc(
        _result(),
        _result(),
        errors=[{"filename": "bad.py", "reason": "syntax error while parsing AST"}],
    )
    report = parse_bandit(doc)
    assert report.finding_count == 2
    assert len(report.warnings) == 1 and "1 file" in report.warnings[0]


@pytest.mark.parametrize(
    ("document", "error", "where"),
    [
        # The findings container is not an array.
        (_doc(results={"B101": []}), MalformedReport, "results:"),
        # A result is not an object.
        (_doc(_result(), None), MalformedReport, "results[1]:"),
        # A result naming no test.
        (_doc({"issue_text": "x", "line_number": 1}), MalformedReport, "results[0].test_id:"),
        # No `results` at all.
        ({"errors": [], "generated_at": "2024-05-01T10:03:39Z"}, MalformedReport, "results:"),
        # Not an object.
        (42, MalformedReport, "document:"),
        # A SARIF log (Bandit's sarif formatter) handed to the JSON parser.
        ({"version": "2.1.0", "runs": [{}]}, UnsupportedFormat, "document:"),
    ],
    ids=[
        "results-not-array",
        "result-not-object",
        "no-test-id",
        "no-results",
        "number-document",
        "sarif",
    ],
)
def test_bad_input(document: Any, error: type[Exception], where: str) -> None:
    with pytest.raises(error) as caught:
        parse_bandit(document)
    assert caught.value.reason.startswith(where)


# Finding counts, counted by hand in each file under ../shared/data/scans/bandit/.
REAL_COUNTS = {
    "dd.json": 47,
    "dd2.json": 165,
    "many_vulns.json": 214,
    "no_vuln.json": 0,
    "one_vuln.json": 1,
}


def _real(name: str) -> Any:
    with shared_path("scans", "bandit", name).open(encoding="utf-8") as handle:
        return parse_bandit(json.load(handle))


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "count"), sorted(REAL_COUNTS.items()))
def test_real_file_counts(name: str, count: int) -> None:
    report = _real(name)
    assert len(report.runs) == 1
    assert report.finding_count == count
    assert report.runs[0].scanned_at is not None


@pytest.mark.shared_data
def test_real_files_all_listed() -> None:
    folder = shared_path("scans", "bandit")
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(REAL_COUNTS)


@pytest.mark.shared_data
def test_real_one_vuln() -> None:
    report = _real("one_vuln.json")
    finding = _only(report)
    assert report.runs[0].scanned_at == datetime(2020, 12, 30, 10, 3, 39, tzinfo=UTC)
    assert (finding.rule_id, finding.rule_name) == ("B101", "assert_used")
    assert (finding.severity, finding.confidence) == (Severity.LOW, "high")
    assert (finding.path, finding.start_line, finding.end_line) == ("one/one.py", 2, 2)
    assert finding.flagged_text == "assert False"
    assert (finding.snippet, finding.snippet_start_line) == ("import os\nassert False", 1)
    assert finding.references == [
        "https://bandit.readthedocs.io/en/latest/plugins/b101_assert_used.html"
    ]


@pytest.mark.shared_data
def test_real_windows_paths_and_multi_line_ranges() -> None:
    findings = _real("many_vulns.json").runs[0].findings
    assert not any("\\" in (f.path or "") for f in findings)
    first = findings[0]
    assert (first.rule_id, first.path, first.start_line, first.end_line) == (
        "B110",
        "dojo/benchmark/views.py",
        26,
        27,
    )
    assert first.flagged_text == "    except:\n        pass"
