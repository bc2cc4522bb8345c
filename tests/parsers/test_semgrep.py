"""Semgrep JSON parser: `semgrep --json` output and the Semgrep App supply-chain export."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.semgrep import parse_semgrep
from tests.shared_data import shared_path


def _result(**overrides: Any) -> dict[str, Any]:
    """One `results[]` entry as `semgrep --json` (1.x, logged in) writes it, trimmed."""
    extra: dict[str, Any] = {
        "message": "Detected subprocess function 'run' with user controlled data.\n",
        "metadata": {
            "cwe": ["CWE-78: Improper Neutralization of Special Elements used in an OS Command"],
            "confidence": "MEDIUM",
            "category": "security",
            "references": ["https://docs.python.org/3/library/subprocess.html"],
            "source": "https://semgrep.dev/r/python.lang.security.audit.subprocess-tainted",
        },
        "severity": "ERROR",
        "fingerprint": "1d0cfd65fc17a97773e848ec_0",
        "lines": "    subprocess.run([program, user], shell=True)",
        "is_ignored": False,
        "engine_kind": "OSS",
    }
    extra.update(overrides.pop("extra", {}))
    result: dict[str, Any] = {
        "check_id": "python.lang.security.audit.subprocess-tainted",
        "path": "./app/run.py",
        "start": {"line": 31, "col": 5, "offset": 285},
        "end": {"line": 31, "col": 48, "offset": 328},
        "extra": extra,
    }
    result.update(overrides)
    return result


def _cli(*results: Any, **top: Any) -> dict[str, Any]:
    return {
        "version": "1.97.0",
        "results": list(results),
        "errors": [],
        "paths": {"scanned": []},
        **top,
    }


def _sca_result(**found_overrides: Any) -> dict[str, Any]:
    """A supply-chain (lockfile-only) result: the match sits on the lockfile line."""
    found = {
        "package": "lodash",
        "version": "4.17.20",
        "ecosystem": "npm",
        "allowed_hashes": {},
        "transitivity": "direct",
        "lockfile_path": "package-lock.json",
        "line_number": 120,
    }
    found.update(found_overrides)
    return _result(
        check_id="ssc-1a2b3c4d-lodash",
        path="package-lock.json",
        start={"line": 120, "col": 1, "offset": 0},
        end={"line": 120, "col": 30, "offset": 0},
        extra={
            "message": "lodash before 4.17.21 is vulnerable to Command Injection.",
            "severity": "ERROR",
            "lines": '    "lodash": "4.17.20",',
            "metadata": {
                "cwe": ["CWE-77: Command Injection"],
                "references": [
                    "https://github.com/advisories/GHSA-35JH-R3H4-6JHM",
                    "https://nvd.nist.gov/vuln/detail/CVE-2021-23337",
                ],
                "sca-fix-versions": [{"lodash": "4.17.21"}, {"lodash-es": "4.17.21"}],
                "sca-kind": "upgrade-only",
                "sca-severity": "CRITICAL",
                "sca-vuln-database-identifier": "CVE-2021-23337",
            },
            "sca_info": {
                "reachability_rule": False,
                "sca_finding_schema": 20220913,
                "reachable": False,
                "dependency_match": {
                    "dependency_pattern": {
                        "ecosystem": "npm",
                        "package": "lodash",
                        "semver_range": "< 4.17.21",
                    },
                    "found_dependency": found,
                    "lockfile": "package-lock.json",
                },
            },
        },
    )


def _vuln(**overrides: Any) -> dict[str, Any]:
    """One `vulns[]` entry of the Semgrep App supply-chain export, trimmed."""
    vuln: dict[str, Any] = {
        "title": "Prototype Pollution in minimist",
        "advisory": {
            "ruleId": "ssc-0001-minimist",
            "title": "Prototype Pollution in minimist",
            "description": "minimist before 1.2.6 is vulnerable to Prototype Pollution. ",
            "ecosystem": "npm",
            "severity": "CRITICAL",
            "references": {
                "cveIds": ["CVE-2021-44906"],
                "cweIds": ["CWE-1321: Prototype Pollution"],
                "owaspIds": [],
                "urls": ["https://github.com/advisories/GHSA-xvch-5gv4-984h"],
            },
            "vulnerableDependencies": [{"name": "minimist", "versionSpecifier": "< 1.2.6"}],
            "safeDependencies": [{"name": "minimist", "versionSpecifier": "1.2.6"}],
        },
        "exposureType": "REACHABLE",
        "repositoryName": "acme/web",
        "matchedDependency": {"name": "minimist", "versionSpecifier": "1.2.5"},
        "dependencyFileLocation": {
            "path": "web/package-lock.json",
            "startLine": "311",
            "startCol": "0",
            "endLine": "0",
            "endCol": "0",
        },
        "triage": {"status": "NEW", "dismissReason": "UNKNOWN_REASON"},
        "closestSafeDependency": {"name": "minimist", "versionSpecifier": "1.2.6"},
    }
    vuln.update(overrides)
    return vuln


def _export(*vulns: Any, has_more: bool = False) -> dict[str, Any]:
    return {"vulns": list(vulns), "hasMore": has_more, "cursor": "42"}


# A rule text whose dependency patterns span ecosystems (one advisory for grpc on RubyGems and
# grpcio on PyPI): the export's `advisory.ecosystem` names the first one only.
_GRPC_RULE = json.dumps(
    {
        "id": "ssc-0002-grpc",
        "r2c-internal-project-depends-on": {
            "depends-on-either": [
                {"namespace": "gem", "package": "grpc", "version": "< 1.53.0"},
                {"namespace": "pypi", "package": "grpcio", "version": "< 1.53.0"},
            ]
        },
    }
)


def _only(report: Any) -> Any:
    assert len(report.runs) == 1
    assert len(report.runs[0].findings) == 1
    return report.runs[0].findings[0]


CASES = [
    # The baseline: an old-style ERROR SAST result, logged in (lines and fingerprint are real).
    pytest.param(
        _cli(_result()),
        {
            "tool": "semgrep",
            "tool_version": "1.97.0",
            "kind": Kind.SAST,
            "rule_id": "python.lang.security.audit.subprocess-tainted",
            "message": "Detected subprocess function 'run' with user controlled data.",
            "severity": Severity.HIGH,
            "tool_severity": "ERROR",
            "confidence": "medium",
            "cwe_ids": [78],
            "path": "app/run.py",
            "start_line": 31,
            "end_line": 31,
            "start_column": 5,
            "end_column": 48,
            "flagged_text": "    subprocess.run([program, user], shell=True)",
            "tool_fingerprint": "1d0cfd65fc17a97773e848ec_0",
            "suppressed": False,
            "references": [
                "https://docs.python.org/3/library/subprocess.html",
                "https://semgrep.dev/r/python.lang.security.audit.subprocess-tainted",
            ],
            "vuln_ids": [],
            "package": None,
            "secrets": [],
            "commit": None,
        },
        id="sast-error-logged-in",
    ),
    # Not logged in (Semgrep >= 1.98): "requires login" placeholders are absent values.
    pytest.param(
        _cli(_result(extra={"lines": "requires login", "fingerprint": "requires login"})),
        {"flagged_text": None, "tool_fingerprint": None},
        id="requires-login-placeholders",
    ),
    # A single CWE string (older rules), WARNING, and a `fix` -> fix_guidance.
    pytest.param(
        _cli(
            _result(
                extra={
                    "severity": "WARNING",
                    "fix": 'Cipher.getInstance("AES/GCM/NoPadding");',
                    "metadata": {"cwe": "CWE-696: Incorrect Behavior Order"},
                }
            )
        ),
        {
            "severity": Severity.MEDIUM,
            "cwe_ids": [696],
            "confidence": None,
            "fix_guidance": 'Cipher.getInstance("AES/GCM/NoPadding");',
            "references": [],
        },
        id="cwe-string-warning-fix",
    ),
    # A list of CWEs (several weaknesses for one rule).
    pytest.param(
        _cli(
            _result(
                extra={
                    "metadata": {
                        "cwe": [
                            "CWE-327: Use of a Broken or Risky Cryptographic Algorithm",
                            "CWE-696: Incorrect Behavior Order",
                        ]
                    }
                }
            )
        ),
        {"cwe_ids": [327, 696]},
        id="cwe-list",
    ),
    # Newer severities (>= 1.72): CRITICAL is its own level.
    pytest.param(
        _cli(_result(extra={"severity": "CRITICAL"})),
        {"severity": Severity.CRITICAL, "tool_severity": "CRITICAL"},
        id="severity-critical",
    ),
    # INFO is low in the "semgrep" table (ERROR/WARNING/INFO = high/medium/low).
    pytest.param(
        _cli(_result(extra={"severity": "INFO"})), {"severity": Severity.LOW}, id="severity-info"
    ),
    # No severity at all: the table's default (medium), no tool value.
    pytest.param(
        _cli(_result(extra={"severity": None})),
        {"severity": Severity.MEDIUM, "tool_severity": None},
        id="severity-missing",
    ),
    # `nosemgrep`: reported with is_ignored -> suppressed.
    pytest.param(
        _cli(_result(extra={"is_ignored": True})),
        {"suppressed": True, "suppression": "nosemgrep"},
        id="nosemgrep-suppressed",
    ),
    # No message: the rule id stands in.
    pytest.param(
        _cli(_result(extra={"message": "  "})),
        {"message": "python.lang.security.audit.subprocess-tainted"},
        id="message-fallback",
    ),
    # A Semgrep Secrets result (category secrets): SECRET, the matched span is a secret value.
    pytest.param(
        _cli(
            _result(
                check_id="generic.secrets.gitleaks.github-pat",
                start={"line": 3, "col": 10, "offset": 40},
                end={"line": 3, "col": 50, "offset": 80},
                extra={
                    "lines": 'token = "ghp_0123456789abcdefghijklmnopqrstuvwxyz"',
                    "metadata": {"category": "secrets", "cwe": ["CWE-798"]},
                    "historical_info": {"git_commit": "0a1b2c3d", "git_commit_timestamp": "x"},
                },
            )
        ),
        {
            "kind": Kind.SECRET,
            "secrets": ["ghp_0123456789abcdefghijklmnopqrstuvwxyz"],
            "commit": "0a1b2c3d",
            "cwe_ids": [798],
        },
        id="secrets-category-matched-span",
    ),
    # A multi-line secret (a private key): the span runs from start.col to end.col.
    pytest.param(
        _cli(
            _result(
                check_id="generic.secrets.security.detected-private-key",
                start={"line": 2, "col": 8},
                end={"line": 4, "col": 30},
                extra={
                    "lines": "key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n"
                    "-----END RSA PRIVATE KEY-----'",
                    "metadata": {"secret_type": "private key"},
                },
            )
        ),
        {
            "kind": Kind.SECRET,
            "secrets": [
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
            ],
        },
        id="secret-type-multi-line-span",
    ),
    # A community secrets rule (category security, `secrets` in the rule id): SECRET; its span is
    # outside the reported line, so no secret value can be cut out.
    pytest.param(
        _cli(
            _result(
                check_id="generic.secrets.security.detected-twitter-oauth.detected-twitter-oauth",
                start={"line": 1, "col": 370, "offset": 369},
                end={"line": 1, "col": 400, "offset": 399},
                extra={"lines": "<short>", "metadata": {"category": "security"}},
            )
        ),
        {"kind": Kind.SECRET, "secrets": []},
        id="secrets-rule-id",
    ),
    # Supply chain, lockfile-only: package, version, fixed version of THAT package, ids (CVE
    # first, GHSA from the reference URL), sca-severity over extra.severity.
    pytest.param(
        _cli(_sca_result()),
        {
            "kind": Kind.SCA,
            "package": "lodash",
            "package_version": "4.17.20",
            "fixed_version": "4.17.21",
            "ecosystem": "npm",
            "vuln_ids": ["CVE-2021-23337", "GHSA-35jh-r3h4-6jhm"],
            "severity": Severity.CRITICAL,
            "tool_severity": "CRITICAL",
            "path": "package-lock.json",
            "start_line": 120,
            "cwe_ids": [77],
            "flagged_text": '    "lodash": "4.17.20",',
            "fix_guidance": "Upgrade lodash to 4.17.21",
        },
        id="sca-lockfile-only",
    ),
    # Supply chain, reachable: the match is in first-party code; the finding sits on the
    # lockfile line, and Semgrep's ecosystem name becomes the OSV one (gem -> rubygems).
    pytest.param(
        _cli(
            {
                **_sca_result(ecosystem="gem", lockfile_path="Gemfile.lock", line_number=77),
                "path": "app/models/user.rb",
                "start": {"line": 12, "col": 3},
                "end": {"line": 12, "col": 20},
            }
        ),
        {
            "kind": Kind.SCA,
            "path": "Gemfile.lock",
            "start_line": 77,
            "end_line": None,
            "start_column": None,
            "flagged_text": None,
            "ecosystem": "rubygems",
        },
        id="sca-reachable-lockfile-location",
    ),
    # Optional fields of the wrong type are absent, never an error.
    pytest.param(
        _cli(
            {
                "check_id": "r.x",
                "path": 7,
                "start": "x",
                "end": [],
                "extra": {
                    "message": ["no"],
                    "metadata": "x",
                    "severity": 3,
                    "lines": {},
                    "fingerprint": 1.5,
                    "is_ignored": "yes",
                },
            }
        ),
        {
            "rule_id": "r.x",
            "message": "r.x",
            "path": "7",
            "start_line": None,
            "severity": Severity.MEDIUM,
            "tool_severity": "3",
            "cwe_ids": [],
            "flagged_text": None,
            "suppressed": False,
            "tool_fingerprint": "1.5",
        },
        id="ill-typed-optional-fields",
    ),
    # App export: a NEW vuln, one ecosystem; line "0" and column "0" are unknown.
    pytest.param(
        _export(_vuln()),
        {
            "kind": Kind.SCA,
            "rule_id": "ssc-0001-minimist",
            "rule_name": "Prototype Pollution in minimist",
            "message": "minimist before 1.2.6 is vulnerable to Prototype Pollution.",
            "severity": Severity.CRITICAL,
            "package": "minimist",
            "package_version": "1.2.5",
            "fixed_version": "1.2.6",
            "ecosystem": "npm",
            "cwe_ids": [1321],
            "vuln_ids": ["CVE-2021-44906", "GHSA-xvch-5gv4-984h"],
            "path": "web/package-lock.json",
            "start_line": 311,
            "end_line": None,
            "start_column": None,
            "suppressed": False,
            "repository": "",
            "fix_guidance": "Upgrade minimist to 1.2.6",
        },
        id="export-new",
    ),
    # App export: triage IGNORED -> suppressed, with the dismiss reason.
    pytest.param(
        _export(_vuln(triage={"status": "IGNORED", "dismissReason": "FALSE_POSITIVE"})),
        {"suppressed": True, "suppression": "semgrep triage: IGNORED (FALSE_POSITIVE)"},
        id="export-ignored",
    ),
    # App export: FIXED is not a suppression (the lifecycle decides what is fixed).
    pytest.param(
        _export(_vuln(triage={"status": "FIXED", "dismissReason": "UNKNOWN_REASON"})),
        {"suppressed": False, "suppression": None},
        id="export-fixed-not-suppressed",
    ),
    # App export: an advisory over several ecosystems; the matched package's namespace comes
    # from the rule text, not from advisory.ecosystem ("gem").
    pytest.param(
        _export(
            _vuln(
                advisory={
                    "ruleId": "ssc-0002-grpc",
                    "title": "Reachable Assertion in grpc",
                    "ecosystem": "gem",
                    "severity": "HIGH",
                    "ruleText": _GRPC_RULE,
                    "vulnerableDependencies": [{"name": "grpc", "versionSpecifier": "< 1.53.0"}],
                },
                matchedDependency={"name": "grpcio", "versionSpecifier": "1.47.0"},
                closestSafeDependency={"name": "grpcio", "versionSpecifier": "1.53.0"},
            )
        ),
        {
            "ecosystem": "pypi",
            "package": "grpcio",
            "fixed_version": "1.53.0",
            "severity": Severity.HIGH,
            "message": "Reachable Assertion in grpc",
            "vuln_ids": [],
        },
        id="export-ecosystem-from-rule-text",
    ),
]


@pytest.mark.parametrize(("document", "expected"), CASES)
def test_fields(document: Any, expected: dict[str, Any]) -> None:
    finding = _only(parse_semgrep(document))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.raw == (document.get("results") or document.get("vulns"))[0]


@pytest.mark.parametrize(
    "document",
    [
        None,  # `null`: nothing to report
        [],  # `[]`: nothing to report
        {"results": [], "errors": []},  # an empty scan, as Semgrep writes it
        {"vulns": [], "hasMore": False, "cursor": ""},  # an empty supply-chain export
    ],
    ids=["null", "empty-array", "empty-results", "empty-export"],
)
def test_empty_documents_give_one_empty_run(document: Any) -> None:
    report = parse_semgrep(document)
    assert report.format == "semgrep"
    assert [(run.tool, run.findings) for run in report.runs] == [("semgrep", [])]
    assert report.warnings == []


def test_every_record_is_returned_and_errors_warn() -> None:
    doc = _cli(_result(), _result(), errors=[{"type": "Syntax error", "level": "warn"}])
    report = parse_semgrep(doc)
    assert report.finding_count == 2  # duplicates are the pipeline's business
    assert len(report.warnings) == 1 and "1 scan error" in report.warnings[0]


def test_export_with_more_pages_warns() -> None:
    report = parse_semgrep(_export(_vuln(), has_more=True))
    assert report.finding_count == 1
    assert len(report.warnings) == 1 and "one page of several" in report.warnings[0]


@pytest.mark.parametrize(
    ("document", "error", "where"),
    [
        # The findings container is not an array.
        ({"results": {"a": 1}, "errors": []}, MalformedReport, "results:"),
        # A result is not an object.
        (_cli(_result(), "oops"), MalformedReport, "results[1]:"),
        # A result without a rule id.
        (_cli({"path": "a.py", "extra": {}}), MalformedReport, "results[0].check_id:"),
        # Neither `results` nor `vulns`.
        ({"paths": {"scanned": []}}, MalformedReport, "results:"),
        # Not an object at all.
        ("semgrep", MalformedReport, "document:"),
        # The export's container is not an array.
        ({"vulns": None, "hasMore": False}, MalformedReport, "vulns:"),
        # An export vuln is not an object.
        (_export(_vuln(), 3), MalformedReport, "vulns[1]:"),
        # An export vuln naming no advisory at all.
        (
            _export({"matchedDependency": {"name": "x"}}),
            MalformedReport,
            "vulns[0].advisory.ruleId:",
        ),
        # A SARIF log (e.g. `semgrep --sarif`) handed to the JSON parser.
        ({"version": "2.1.0", "runs": []}, UnsupportedFormat, "document:"),
    ],
    ids=[
        "results-not-array",
        "result-not-object",
        "no-check-id",
        "no-results",
        "string-document",
        "vulns-not-array",
        "vuln-not-object",
        "vuln-without-advisory",
        "sarif",
    ],
)
def test_bad_input(document: Any, error: type[Exception], where: str) -> None:
    with pytest.raises(error) as caught:
        parse_semgrep(document)
    assert caught.value.reason.startswith(where)


# Finding counts, counted by hand in each file under ../shared/data/scans/semgrep/.
REAL_COUNTS = {
    "close_old_findings_report_line31.json": 1,
    "close_old_findings_report_second_run_line24.json": 1,
    "close_old_findings_report_third_run_different_unique_id.json": 1,
    "cwe_list.json": 1,
    "empty.json": 0,
    "fingerprint_test.json": 2,
    "high-medium-low-severities.json": 3,
    "issue_8435.json": 1,
    "many_findings.json": 3,
    "many_vulns.json": 48,
    "multiple_cwes_fabricated.json": 1,
    "one_finding.json": 1,
    "repeated_findings.json": 2,
    "sca-deployments-vulns.json": 22,
    "semgrep_version_1_30_0_line_26.json": 5,
    "semgrep_version_1_30_0_line_27.json": 5,
}


def _real(name: str) -> Any:
    with shared_path("scans", "semgrep", name).open(encoding="utf-8") as handle:
        return parse_semgrep(json.load(handle))


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "count"), sorted(REAL_COUNTS.items()))
def test_real_file_counts(name: str, count: int) -> None:
    report = _real(name)
    assert len(report.runs) == 1
    assert report.finding_count == count


@pytest.mark.shared_data
def test_real_files_all_listed() -> None:
    folder = shared_path("scans", "semgrep")
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(REAL_COUNTS)


@pytest.mark.shared_data
def test_real_logged_in_result() -> None:
    finding = _only(_real("close_old_findings_report_line31.json"))
    assert finding.tool_version == "1.97.0"
    assert finding.severity == Severity.HIGH and finding.confidence == "medium"
    assert finding.cwe_ids == [78]
    assert (finding.path, finding.start_line, finding.start_column) == ("sample/brute.py", 31, 29)
    assert finding.tool_fingerprint is not None and finding.tool_fingerprint.endswith("_0")
    assert finding.flagged_text is not None and "subprocess.run(" in finding.flagged_text


@pytest.mark.shared_data
def test_real_not_logged_in() -> None:
    findings = _real("fingerprint_test.json").runs[0].findings
    assert [f.tool_fingerprint for f in findings] == [None, None]
    assert [f.flagged_text for f in findings] == [None, None]
    assert [f.cwe_ids for f in findings] == [[78], [89]]
    assert [f.severity for f in findings] == [Severity.HIGH, Severity.MEDIUM]


@pytest.mark.shared_data
def test_real_new_severities_and_secret_rule() -> None:
    low = _real("high-medium-low-severities.json").runs[0].findings
    assert {(f.tool_severity, f.severity) for f in low} == {("LOW", Severity.LOW)}
    secret = _only(_real("issue_8435.json"))
    assert secret.kind == Kind.SECRET and secret.cwe_ids == [798]
    assert _only(_real("multiple_cwes_fabricated.json")).cwe_ids == [327, 696]


@pytest.mark.shared_data
def test_real_supply_chain_export() -> None:
    report = _real("sca-deployments-vulns.json")
    assert len(report.warnings) == 1  # hasMore: true
    first, last = report.runs[0].findings[0], report.runs[0].findings[-1]
    assert first.kind == Kind.SCA
    assert (first.package, first.package_version, first.fixed_version) == (
        "grpcio",
        "1.47.0",
        "1.53.0",
    )
    assert first.ecosystem == "pypi"  # advisory.ecosystem says "gem" (for grpc)
    assert first.vuln_ids == ["CVE-2023-1428", "GHSA-6628-q6j9-w8vg"]
    assert (first.path, first.start_line, first.end_line) == ("requirements3.txt", 222, None)
    assert (last.package, last.severity, last.ecosystem) == ("url-parse", Severity.CRITICAL, "npm")
    assert not any(f.suppressed for f in report.runs[0].findings)
