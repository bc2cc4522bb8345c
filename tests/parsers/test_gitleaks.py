"""Gitleaks JSON parser (v8 and v7 reports)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.gitleaks import parse_gitleaks
from tests.shared_data import shared_path


def _v8(**overrides: Any) -> dict[str, Any]:
    """One leak as `gitleaks detect -f json` (v8) writes it."""
    leak: dict[str, Any] = {
        "Description": "GitHub Personal Access Token",
        "StartLine": 12,
        "EndLine": 12,
        "StartColumn": 15,
        "EndColumn": 54,
        "Match": "token = ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        "Secret": "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
        "File": "./deploy\\settings.py",
        "SymlinkFile": "",
        "Commit": "9619c91b3fd2998be5d9ce198833d7ac9489d9bc",
        "Entropy": 4.92,
        "Author": "Dev One",
        "Email": "dev@example.com",
        "Date": "2024-03-01T12:00:00Z",
        "Message": "add settings",
        "Tags": [],
        "RuleID": "github-pat",
        "Fingerprint": "9619c91b3fd2998be5d9ce198833d7ac9489d9bc:deploy/settings.py:github-pat:12",
    }
    leak.update(overrides)
    return leak


def _v7(**overrides: Any) -> dict[str, Any]:
    """One leak as gitleaks v7 writes it."""
    leak: dict[str, Any] = {
        "line": 'export MAILCHIMP_API_KEY="38c47f19e349153fa963bb3b3212fe8e-us11"',
        "lineNumber": 4,
        "offender": "38c47f19e349153fa963bb3b3212fe8e-us11",
        "commit": "d54ce70d0cf883054ed256db46406a5df551f000",
        "repo": ".",
        "repoURL": "",
        "leakURL": "",
        "rule": "MailChimp API key",
        "commitMessage": "saving bashrc\n",
        "author": "Dev One",
        "email": "dev@example.com",
        "file": ".bashrc",
        "date": "2020-04-04T15:52:59-07:00",
        "tags": "key, Mailchimp",
    }
    leak.update(overrides)
    return leak


def _only(report: Any) -> Any:
    assert len(report.runs) == 1
    assert len(report.runs[0].findings) == 1
    return report.runs[0].findings[0]


CASES = [
    # v8: location with columns, commit, both revealed values; the line-bearing Fingerprint is
    # not a tool fingerprint.
    pytest.param(
        _v8(),
        {
            "tool": "gitleaks",
            "tool_version": None,
            "kind": Kind.SECRET,
            "rule_id": "github-pat",
            "rule_name": "GitHub Personal Access Token",
            "message": "GitHub Personal Access Token",
            "severity": Severity.HIGH,
            "tool_severity": None,
            "cwe_ids": [798],
            "path": "deploy/settings.py",
            "start_line": 12,
            "end_line": 12,
            "start_column": 15,
            "end_column": 54,
            "commit": "9619c91b3fd2998be5d9ce198833d7ac9489d9bc",
            "tool_fingerprint": None,
            "flagged_text": None,
            "repository": "",
            "secrets": [
                "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
                "token = ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
            ],
        },
        id="v8",
    ),
    # v8 with --redact: nothing left to redact.
    pytest.param(
        _v8(Secret="REDACTED", Match="token = REDACTED"), {"secrets": []}, id="v8-redacted"
    ),
    # v8 masked with stars, and a no-git (`--no-git`) scan: empty commit.
    pytest.param(
        _v8(Secret="ghp_************", Match="********", Commit=""),
        {"secrets": [], "commit": None},
        id="v8-masked-no-git",
    ),
    # v8 with Secret equal to Match: one value.
    pytest.param(
        _v8(
            Secret="-----BEGIN RSA PRIVATE KEY-----",
            Match="-----BEGIN RSA PRIVATE KEY-----",
            RuleID="private-key",
        ),
        {"secrets": ["-----BEGIN RSA PRIVATE KEY-----"], "rule_id": "private-key"},
        id="v8-secret-equals-match",
    ),
    # v8 without a RuleID (early 8.x): the description is the rule id.
    pytest.param(
        {k: v for k, v in _v8().items() if k != "RuleID"},
        {"rule_id": "GitHub Personal Access Token"},
        id="v8-no-rule-id",
    ),
    # v7: the whole line is flagged_text, the offender is the secret, lineNumber the line.
    pytest.param(
        _v7(),
        {
            "kind": Kind.SECRET,
            "rule_id": "MailChimp API key",
            "message": "MailChimp API key",
            "severity": Severity.HIGH,
            "cwe_ids": [798],
            "path": ".bashrc",
            "start_line": 4,
            "end_line": None,
            "start_column": None,
            "flagged_text": 'export MAILCHIMP_API_KEY="38c47f19e349153fa963bb3b3212fe8e-us11"',
            "commit": "d54ce70d0cf883054ed256db46406a5df551f000",
            "secrets": ["38c47f19e349153fa963bb3b3212fe8e-us11"],
        },
        id="v7",
    ),
    # v7 redacted, and without lineNumber (older v7).
    pytest.param(
        {
            k: v
            for k, v in _v7(offender="REDACTED", line='key = "REDACTED"').items()
            if k != "lineNumber"
        },
        {"secrets": [], "start_line": None, "flagged_text": 'key = "REDACTED"'},
        id="v7-redacted-no-line-number",
    ),
    # Optional fields of the wrong type are absent, never an error.
    pytest.param(
        _v8(
            StartLine="twelve",
            EndLine=-1,
            StartColumn=None,
            File=["a"],
            Secret=7,
            Match={"x": 1},
            Commit=0,
            Description=None,
        ),
        {
            "start_line": None,
            "end_line": None,
            "start_column": None,
            "path": None,
            "secrets": [],
            "commit": "0",
            "rule_name": None,
            "message": "github-pat",
        },
        id="ill-typed-optional-fields",
    ),
]


@pytest.mark.parametrize(("leak", "expected"), CASES)
def test_fields(leak: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _only(parse_gitleaks([leak]))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.raw == leak


@pytest.mark.parametrize(
    "document",
    [
        None,  # what gitleaks writes when it finds nothing
        [],  # an empty array
    ],
    ids=["null", "empty-array"],
)
def test_empty_documents_give_one_empty_run(document: Any) -> None:
    report = parse_gitleaks(document)
    assert report.format == "gitleaks"
    assert [(run.tool, run.findings) for run in report.runs] == [("gitleaks", [])]


def test_every_record_is_returned_mixed_versions() -> None:
    report = parse_gitleaks([_v8(), _v8(), _v7()])
    assert [f.rule_id for f in report.runs[0].findings] == [
        "github-pat",
        "github-pat",
        "MailChimp API key",
    ]


@pytest.mark.parametrize(
    ("document", "error", "where"),
    [
        # The findings container is not an array.
        ({"leaks": []}, MalformedReport, "document:"),
        # A record is not an object.
        ([_v8(), "leak"], MalformedReport, "document[1]:"),
        # A v8 record with neither RuleID nor Description.
        ([_v8(RuleID=None, Description="")], MalformedReport, "document[0].RuleID:"),
        # A v7 record without its rule.
        ([_v7(rule=None)], MalformedReport, "document[0].rule:"),
        # A record in no Gitleaks shape we read (neither v8 nor v7 keys).
        ([{"id": 1, "secret_type": "aws"}], UnsupportedFormat, "document[0]:"),
        # Gitleaks' SARIF output handed to the JSON parser.
        ({"version": "2.1.0", "runs": []}, UnsupportedFormat, "document:"),
    ],
    ids=[
        "object-document",
        "record-not-object",
        "v8-no-rule",
        "v7-no-rule",
        "unknown-record",
        "sarif",
    ],
)
def test_bad_input(document: Any, error: type[Exception], where: str) -> None:
    with pytest.raises(error) as caught:
        parse_gitleaks(document)
    assert caught.value.reason.startswith(where)


# Finding counts, counted by hand in each file under ../shared/data/scans/gitleaks/.
REAL_COUNTS = {
    "data_many.json": 2,
    "gitleaks8_many.json": 4,
    "no_findings.json": 0,  # `null`
    "redacted_data_many.json": 6,
}


def _real(name: str) -> Any:
    with shared_path("scans", "gitleaks", name).open(encoding="utf-8") as handle:
        return parse_gitleaks(json.load(handle))


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "count"), sorted(REAL_COUNTS.items()))
def test_real_file_counts(name: str, count: int) -> None:
    report = _real(name)
    assert len(report.runs) == 1
    assert report.finding_count == count
    assert all(f.kind == Kind.SECRET and f.cwe_ids == [798] for f in report.runs[0].findings)


@pytest.mark.shared_data
def test_real_files_all_listed() -> None:
    folder = shared_path("scans", "gitleaks")
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(REAL_COUNTS)


@pytest.mark.shared_data
def test_real_v8() -> None:
    findings = _real("gitleaks8_many.json").runs[0].findings
    api = findings[3]
    assert (api.rule_id, api.rule_name) == ("generic-api-key", "Generic API Key")
    assert (api.path, api.start_line, api.start_column, api.end_column) == (
        "tests/api.py",
        21,
        10,
        46,
    )
    assert api.secrets == ["dfjksdjfs3294dfjlsdaf213", 'apikey = "dfjksdjfs3294dfjlsdaf213"']
    assert findings[2].commit is None  # "Commit": ""


@pytest.mark.shared_data
def test_real_v7_and_redacted() -> None:
    github = _real("data_many.json").runs[0].findings[0]
    assert (github.rule_id, github.path) == ("Github", ".bashrc")
    assert github.commit == "d54ce70d0cf883054ed256db46406a5df551f000"
    assert github.flagged_text is not None and github.flagged_text.startswith("export JEKYLL_")
    assert github.secrets and github.start_line is None
    redacted = _real("redacted_data_many.json").runs[0].findings
    assert [f.start_line for f in redacted] == [224, 2221, 1025, 1089, 1121, 1339]
    assert all(f.secrets == [] for f in redacted)
