"""Trivy JSON parser: schema v2, the Kubernetes report, and the legacy array."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from core.finding import Finding, Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.trivy import parse_trivy
from tests.shared_data import shared_path


def _vuln(**overrides: Any) -> dict[str, Any]:
    """One `Vulnerabilities[]` record as Trivy writes it (trimmed)."""
    vuln: dict[str, Any] = {
        "VulnerabilityID": "CVE-2024-0001",
        "PkgName": "demo-lib",
        "InstalledVersion": "1.0.0",
        "FixedVersion": "1.0.1",
        "Status": "fixed",
        "SeveritySource": "ghsa",
        "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-0001",
        "Title": "demo-lib: request smuggling",
        "Description": "demo-lib before 1.0.1 lets an attacker smuggle requests.",
        "Severity": "HIGH",
        "CweIDs": ["CWE-444"],
        "CVSS": {
            "nvd": {"V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "V3Score": 7.5}
        },
        "References": [
            "https://github.com/advisories/GHSA-abcd-1234-wxyz",
            "https://avd.aquasec.com/nvd/cve-2024-0001",
        ],
    }
    vuln.update(overrides)
    return vuln


def _misconf(**overrides: Any) -> dict[str, Any]:
    """One `Misconfigurations[]` record (trimmed), with a cause excerpt and context lines."""
    misconf: dict[str, Any] = {
        "Type": "Dockerfile Security Check",
        "ID": "DS002",
        "AVDID": "AVD-DS-0002",
        "Title": "Image user should not be 'root'",
        "Description": "Running containers as root can lead to a container escape.",
        "Message": "Last USER command in Dockerfile should not be 'root'",
        "Resolution": "Add 'USER <non root user name>' line to the Dockerfile",
        "Severity": "HIGH",
        "PrimaryURL": "https://avd.aquasec.com/misconfig/ds002",
        "References": [
            "https://docs.docker.com/develop/",
            "https://avd.aquasec.com/misconfig/ds002",
        ],
        "Status": "FAIL",
        "CauseMetadata": {
            "Provider": "Dockerfile",
            "StartLine": 4,
            "EndLine": 4,
            "Code": {
                "Lines": [
                    {"Number": 3, "Content": "RUN make", "IsCause": False},
                    {"Number": 4, "Content": "USER root", "IsCause": True},
                    {"Number": 5, "Content": "CMD run", "IsCause": False},
                ]
            },
        },
    }
    misconf.update(overrides)
    return misconf


def _secret(**overrides: Any) -> dict[str, Any]:
    secret: dict[str, Any] = {
        "RuleID": "aws-access-key-id",
        "Category": "AWS",
        "Severity": "CRITICAL",
        "Title": "AWS Access Key ID",
        "StartLine": 7,
        "EndLine": 7,
        "Match": "AWS_ACCESS_KEY_ID=********************",
    }
    secret.update(overrides)
    return secret


def _v2(*results: dict[str, Any], **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "SchemaVersion": 2,
        "ArtifactName": ".",
        "ArtifactType": "filesystem",
        "Results": list(results),
    }
    doc.update(top)
    return doc


def _result(target: str = "requirements.txt", type_: str = "pip", **records: Any) -> dict[str, Any]:
    return {"Target": target, "Class": "lang-pkgs", "Type": type_, **records}


def _only(document: Any) -> Finding:
    report = parse_trivy(document)
    assert [len(run.findings) for run in report.runs] == [1]
    return report.runs[0].findings[0]


VULN_CASES = [
    # The ordinary record: table severity, CWE, GHSA alias from a reference URL, pip -> pypi.
    (
        _vuln(),
        {
            "kind": Kind.SCA,
            "rule_id": "CVE-2024-0001",
            "rule_name": "demo-lib: request smuggling",
            "message": "demo-lib: request smuggling",
            "severity": Severity.HIGH,
            "tool_severity": "HIGH",
            "cwe_ids": [444],
            "vuln_ids": ["CVE-2024-0001", "GHSA-abcd-1234-wxyz"],
            "references": [
                "https://avd.aquasec.com/nvd/cve-2024-0001",
                "https://github.com/advisories/GHSA-abcd-1234-wxyz",
            ],
            "package": "demo-lib",
            "package_version": "1.0.0",
            "fixed_version": "1.0.1",
            "fix_guidance": "Upgrade demo-lib to 1.0.1",
            "ecosystem": "pypi",
            "path": "requirements.txt",
            "suppressed": False,
            "secrets": [],
        },
    ),
    # "UNKNOWN" (no rating in any source) is medium, the word kept verbatim.
    (_vuln(Severity="UNKNOWN"), {"severity": Severity.MEDIUM, "tool_severity": "UNKNOWN"}),
    # Lower-case critical still maps.
    (_vuln(Severity="critical"), {"severity": Severity.CRITICAL}),
    # No Severity at all: medium, no tool severity.
    (_vuln(Severity=None), {"severity": Severity.MEDIUM, "tool_severity": None}),
    # A vendor status ("will_not_fix") is the distribution's word, not a suppression.
    (
        _vuln(Status="will_not_fix", FixedVersion=None),
        {"suppressed": False, "fixed_version": None, "fix_guidance": None},
    ),
    # Trivy joins one fixed version per release line: "one of" in the guidance.
    (
        _vuln(FixedVersion="1.0.1, 2.0.3"),
        {
            "fixed_version": "1.0.1, 2.0.3",
            "fix_guidance": "Upgrade demo-lib to one of 1.0.1, 2.0.3",
        },
    ),
    # A title Trivy cut from the description ("...") gives way to the whole description.
    (
        _vuln(Title="demo-lib before 1.0.1 lets ..."),
        {
            "message": "demo-lib before 1.0.1 lets an attacker smuggle requests.",
            "rule_name": "demo-lib before 1.0.1 lets ...",
        },
    ),
    # No title: the description is the message.
    (
        _vuln(Title=None),
        {"message": "demo-lib before 1.0.1 lets an attacker smuggle requests.", "rule_name": None},
    ),
    # No title, no description: a sentence from the package and the id.
    (
        _vuln(Title=None, Description=None),
        {"message": "demo-lib 1.0.0 is affected by CVE-2024-0001"},
    ),
    # A GHSA id as the vulnerability id, no references.
    (
        _vuln(VulnerabilityID="GHSA-aaaa-bbbb-cccc", References=None, PrimaryURL=None),
        {"rule_id": "GHSA-aaaa-bbbb-cccc", "vuln_ids": ["GHSA-aaaa-bbbb-cccc"], "references": []},
    ),
    # PkgPath names the file inside the target: both, outer first.
    (
        _vuln(PkgPath="app/lib/demo-lib-1.0.0.jar"),
        {"path": "requirements.txt -> app/lib/demo-lib-1.0.0.jar"},
    ),
    # PkgPath equal to the target (filesystem scan of a jar) is not repeated.
    (_vuln(PkgPath="requirements.txt"), {"path": "requirements.txt"}),
    # Ill-typed optional fields are absent, never an error.
    (
        _vuln(PkgName=5, CweIDs="nonsense", References="https://x.test/a", Severity=["HIGH"]),
        {
            "package": "5",
            "cwe_ids": [],
            "severity": Severity.MEDIUM,
            "references": ["https://avd.aquasec.com/nvd/cve-2024-0001", "https://x.test/a"],
        },
    ),
]


@pytest.mark.parametrize(
    ("vuln", "expected"),
    VULN_CASES,
    ids=[
        "ordinary",
        "unknown-is-medium",
        "lowercase-word",
        "no-severity",
        "vendor-status-not-suppression",
        "several-fixed-versions",
        "truncated-title",
        "no-title",
        "no-title-no-description",
        "ghsa-id-no-references",
        "pkgpath-inside-target",
        "pkgpath-equals-target",
        "ill-typed-optionals",
    ],
)
def test_vulnerability_fields(vuln: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _only(_v2(_result(Vulnerabilities=[vuln])))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.tool == "trivy"
    assert finding.raw == vuln


MISCONF_CASES = [
    # A failed check: IAC, the message, the resolution, lines, flagged line and its context.
    (
        _misconf(),
        {
            "kind": Kind.IAC,
            "rule_id": "DS002",
            "rule_name": "Image user should not be 'root'",
            "message": "Last USER command in Dockerfile should not be 'root'",
            "fix_guidance": "Add 'USER <non root user name>' line to the Dockerfile",
            "severity": Severity.HIGH,
            "path": "Dockerfile",
            "start_line": 4,
            "end_line": 4,
            "flagged_text": "USER root",
            "snippet": "RUN make\nUSER root\nCMD run",
            "snippet_start_line": 3,
            "references": [
                "https://avd.aquasec.com/misconfig/ds002",
                "https://docs.docker.com/develop/",
            ],
            "suppressed": False,
            "cwe_ids": [],
        },
    ),
    # A policy exception waived the check: reported, suppressed (not "fixed").
    (_misconf(Status="EXCEPTION"), {"suppressed": True, "suppression": "trivy exception"}),
    # No Status (Trivy writes only failures by default): a failure.
    (_misconf(Status=None), {"suppressed": False, "rule_id": "DS002"}),
    # Only the cause lines, no context: flagged text but no snippet (the pipeline adds it).
    (
        _misconf(
            CauseMetadata={
                "StartLine": 4,
                "EndLine": 5,
                "Code": {
                    "Lines": [
                        {"Number": 4, "Content": "USER root", "IsCause": True},
                        {"Number": 5, "Content": "USER root # again", "IsCause": True},
                        {"Number": 0, "Content": "", "IsCause": False, "Truncated": True},
                    ]
                },
            }
        ),
        {
            "flagged_text": "USER root\nUSER root # again",
            "snippet": None,
            "start_line": 4,
            "end_line": 5,
        },
    ),
    # `Code.Lines: null` (a check about a missing line): no text, no lines.
    (
        _misconf(CauseMetadata={"Provider": "Dockerfile", "Code": {"Lines": None}}),
        {"flagged_text": None, "snippet": None, "start_line": None},
    ),
    # No Message: the description; no ID: the AVD id.
    (
        _misconf(Message=None, ID=None),
        {
            "message": "Running containers as root can lead to a container escape.",
            "rule_id": "AVD-DS-0002",
        },
    ),
    # Severity "LOW" maps; an unknown word is medium.
    (_misconf(Severity="LOW"), {"severity": Severity.LOW, "tool_severity": "LOW"}),
    (_misconf(Severity="SEVERE"), {"severity": Severity.MEDIUM, "tool_severity": "SEVERE"}),
]


@pytest.mark.parametrize(
    ("misconf", "expected"),
    MISCONF_CASES,
    ids=[
        "failed-check",
        "exception-is-suppressed",
        "no-status-is-failure",
        "cause-lines-only",
        "null-code-lines",
        "description-and-avdid-fallbacks",
        "low",
        "unknown-word",
    ],
)
def test_misconfiguration_fields(misconf: dict[str, Any], expected: dict[str, Any]) -> None:
    document = _v2(_result("Dockerfile", "dockerfile", Misconfigurations=[misconf]))
    finding = _only(document)
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.raw == misconf


def test_passed_checks_are_not_findings() -> None:
    # --include-non-failures: PASS results describe what is fine.
    document = _v2(
        _result(
            "Dockerfile",
            "dockerfile",
            Misconfigurations=[
                _misconf(Status="PASS"),
                _misconf(ID="DS001"),
                _misconf(Status="PASS"),
            ],
        )
    )
    findings = parse_trivy(document).runs[0].findings
    assert [f.rule_id for f in findings] == ["DS001"]


SECRET_CASES = [
    # A masked secret: the masked line is the flagged text, nothing to redact.
    (
        _secret(),
        {
            "kind": Kind.SECRET,
            "rule_id": "aws-access-key-id",
            "rule_name": "AWS Access Key ID",
            "message": "AWS Access Key ID",
            "severity": Severity.CRITICAL,
            "cwe_ids": [798],
            "path": ".env",
            "start_line": 7,
            "end_line": 7,
            "flagged_text": "AWS_ACCESS_KEY_ID=********************",
            "secrets": [],
            "snippet": None,
        },
    ),
    # Newer Trivy adds `Code.Lines` with context: the snippet comes from there.
    (
        _secret(
            Code={
                "Lines": [
                    {"Number": 6, "Content": "# keys", "IsCause": False},
                    {"Number": 7, "Content": "AWS_ACCESS_KEY_ID=****", "IsCause": True},
                ]
            }
        ),
        {"snippet": "# keys\nAWS_ACCESS_KEY_ID=****", "snippet_start_line": 6},
    ),
    # No title: the category is the message.
    (_secret(Title=None), {"message": "AWS", "rule_name": None}),
    # Lines with gaps in their numbers are not a snippet.
    (
        _secret(
            Code={
                "Lines": [
                    {"Number": 2, "Content": "# keys", "IsCause": False},
                    {"Number": 7, "Content": "AWS_ACCESS_KEY_ID=****", "IsCause": True},
                ]
            }
        ),
        {"snippet": None, "flagged_text": "AWS_ACCESS_KEY_ID=********************"},
    ),
]


@pytest.mark.parametrize(
    ("secret", "expected"),
    SECRET_CASES,
    ids=["masked-match", "code-lines-snippet", "category-fallback", "non-contiguous-lines"],
)
def test_secret_fields(secret: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _only(_v2({"Target": ".env", "Class": "secret", "Secrets": [secret]}))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field


DOCUMENT_CASES = [
    # `null`: the legacy empty scan, one empty run.
    (None, 0, []),
    # An empty legacy array.
    ([], 0, []),
    # Legacy array: results straight at the top, Vulnerabilities null for a clean target.
    (
        [
            {"Target": "alpine (alpine 3.9)", "Type": "alpine", "Vulnerabilities": [_vuln()]},
            {"Target": "app/package-lock.json", "Type": "npm", "Vulnerabilities": None},
        ],
        1,
        ["alpine (alpine 3.9)"],
    ),
    # Schema v2 without Results (nothing detected).
    ({"SchemaVersion": 2, "ArtifactName": "img:1"}, 0, []),
    # Schema v2: a result with no findings lists, and one with all three kinds.
    (
        _v2(
            _result("img (debian 12)", "debian"),
            {
                "Target": "Dockerfile",
                "Class": "config",
                "Type": "dockerfile",
                "Vulnerabilities": [_vuln()],
                "Misconfigurations": [_misconf()],
                "Secrets": [_secret()],
            },
        ),
        3,
        ["Dockerfile"] * 3,
    ),
    # Kubernetes (current): resources with their own results; the resource leads the path.
    (
        {
            "ClusterName": "prod",
            "Resources": [
                {
                    "Namespace": "web",
                    "Kind": "Deployment",
                    "Name": "shop",
                    "Results": [
                        _result("shop:1.2 (debian 12)", "debian", Vulnerabilities=[_vuln()]),
                        {
                            "Target": "Deployment/shop",
                            "Class": "config",
                            "Type": "kubernetes",
                            "Misconfigurations": [_misconf()],
                        },
                    ],
                },
                {
                    "Kind": "ClusterRole",
                    "Name": "admin",
                    "Results": [
                        {
                            "Target": "ClusterRole/admin",
                            "Type": "kubernetes",
                            "Misconfigurations": [_misconf()],
                        }
                    ],
                },
                {"Namespace": "web", "Kind": "Service", "Name": "shop"},
            ],
        },
        3,
        ["web/Deployment/shop -> shop:1.2 (debian 12)", "web/Deployment/shop", "ClusterRole/admin"],
    ),
    # Kubernetes (older trivy k8s): one resource list per scanner.
    (
        {
            "ClusterName": "prod",
            "Vulnerabilities": [
                {
                    "Namespace": "db",
                    "Kind": "StatefulSet",
                    "Name": "pg",
                    "Results": [
                        _result("postgres:15 (debian 12)", "debian", Vulnerabilities=[_vuln()])
                    ],
                }
            ],
            "Misconfigurations": [
                {
                    "Namespace": "db",
                    "Kind": "StatefulSet",
                    "Name": "pg",
                    "Results": [
                        {
                            "Target": "StatefulSet/pg",
                            "Type": "kubernetes",
                            "Misconfigurations": [_misconf()],
                        }
                    ],
                }
            ],
        },
        2,
        ["db/StatefulSet/pg -> postgres:15 (debian 12)", "db/StatefulSet/pg"],
    ),
]


@pytest.mark.parametrize(
    ("document", "count", "paths"),
    DOCUMENT_CASES,
    ids=[
        "null",
        "empty-array",
        "legacy",
        "v2-no-results",
        "v2-all-kinds",
        "k8s-resources",
        "k8s-per-scanner",
    ],
)
def test_documents(document: Any, count: int, paths: list[str]) -> None:
    report = parse_trivy(document)
    assert report.format == "trivy"
    assert len(report.runs) == 1
    run = report.runs[0]
    assert run.tool == "trivy"
    assert len(run.findings) == count
    assert [f.path for f in run.findings] == paths


@pytest.mark.parametrize(
    ("top", "scanned_at", "version"),
    [
        # CreatedAt with nanoseconds, and the Trivy version block of newer reports.
        (
            {"CreatedAt": "2024-01-15T08:58:29.82753744Z", "Trivy": {"Version": "0.58.1"}},
            datetime(2024, 1, 15, 8, 58, 29, 827537, tzinfo=UTC),
            "0.58.1",
        ),
        # Go's zero time means "not set".
        ({"CreatedAt": "0001-01-01T00:00:00Z"}, None, None),
        # Garbage is no scan time; an ill-typed Trivy block is no version.
        ({"CreatedAt": "yesterday", "Trivy": "0.58"}, None, None),
        # A time without an offset: tools write UTC, so it is read as UTC.
        ({"CreatedAt": "2024-01-15T08:58:29"}, datetime(2024, 1, 15, 8, 58, 29, tzinfo=UTC), None),
    ],
    ids=["created-at-and-version", "zero-time", "garbage", "naive-time"],
)
def test_run_metadata(
    top: dict[str, Any], scanned_at: datetime | None, version: str | None
) -> None:
    run = parse_trivy(_v2(**top)).runs[0]
    assert run.scanned_at == scanned_at
    assert run.tool_version == version


def test_kubernetes_resource_error_is_a_warning() -> None:
    document = {
        "ClusterName": "prod",
        "Resources": [
            {"Namespace": "web", "Kind": "Pod", "Name": "x", "Error": "image pull failed"}
        ],
    }
    report = parse_trivy(document)
    assert report.finding_count == 0
    assert report.warnings == ["Resources[0] (web/Pod/x) was not fully scanned: image pull failed"]


ERROR_CASES = [
    # Not an object or array.
    ("trivy", MalformedReport, "document: expected an object"),
    # A schema we do not read.
    ({"SchemaVersion": 3, "Results": []}, UnsupportedFormat, "SchemaVersion 3"),
    ({"SchemaVersion": "2", "Results": []}, UnsupportedFormat, "SchemaVersion '2'"),
    # An object that is no Trivy report at all.
    ({"vulnerabilities": []}, UnsupportedFormat, "not a Trivy report"),
    # The results container is not an array.
    (
        {"SchemaVersion": 2, "Results": {"Target": "x"}},
        MalformedReport,
        "Results: expected an array",
    ),
    # A result that is not an object.
    (_v2("x"), MalformedReport, "Results[0]: expected an object"),
    # A findings list that is not an array.
    (
        _v2(_result(Vulnerabilities={"a": 1})),
        MalformedReport,
        "Results[0].Vulnerabilities: expected an array",
    ),
    # A record that is not an object.
    (
        _v2(_result(), _result(Vulnerabilities=[_vuln(), 7])),
        MalformedReport,
        "Results[1].Vulnerabilities[1]: expected an object",
    ),
    # Required ids missing.
    (
        _v2(_result(Vulnerabilities=[_vuln(VulnerabilityID=None)])),
        MalformedReport,
        "Results[0].Vulnerabilities[0].VulnerabilityID",
    ),
    (
        _v2(_result(Misconfigurations=[_misconf(ID="", AVDID=None)])),
        MalformedReport,
        "Results[0].Misconfigurations[0].ID",
    ),
    (_v2(_result(Secrets=[_secret(RuleID=None)])), MalformedReport, "Results[0].Secrets[0].RuleID"),
    # Legacy array with a non-object entry.
    (
        [{"Target": "x", "Vulnerabilities": []}, 3],
        MalformedReport,
        "document[1]: expected an object",
    ),
    # Kubernetes: resources not an array; a resource's results not an array.
    ({"ClusterName": "c", "Resources": "all"}, MalformedReport, "Resources: expected an array"),
    (
        {"ClusterName": "c", "Resources": [{"Kind": "Pod", "Results": 1}]},
        MalformedReport,
        "Resources[0].Results: expected an array",
    ),
]


@pytest.mark.parametrize(
    ("document", "error", "where"),
    ERROR_CASES,
    ids=[
        "string-document",
        "schema-3",
        "schema-as-string",
        "not-trivy",
        "results-object",
        "result-not-object",
        "vulnerabilities-object",
        "record-not-object",
        "no-vulnerability-id",
        "no-check-id",
        "no-secret-rule",
        "legacy-entry-not-object",
        "k8s-resources-string",
        "k8s-results-number",
    ],
)
def test_errors(document: Any, error: type[Exception], where: str) -> None:
    with pytest.raises(error) as raised:
        parse_trivy(document)
    assert type(raised.value) is error
    assert where in str(raised.value)


# Counted from each file: Vulnerabilities records, Misconfigurations with Status FAIL, Secrets.
REAL_FILES = [
    # 8 Debian vulnerabilities, one per vendor status (none suppressed).
    (
        "all_statuses.json",
        8,
        4,
        {
            "rule_id": "CVE-2018-12697",
            "package": "binutils",
            "package_version": "2.31.1-16",
            "severity": Severity.LOW,
            "cwe_ids": [476],
            "ecosystem": "debian",
            "suppressed": False,
            "path": "noppaknopsta/example-app:main-159 (debian 10.13)",
        },
    ),
    # 2 vulnerabilities whose severity comes from a vendor (ubuntu) and from GHSA.
    (
        "cvss_severity_source.json",
        2,
        1,
        {
            "rule_id": "CVE-2023-37920",
            "severity": Severity.HIGH,
            "fixed_version": "2023.7.22",
            "vuln_ids": ["CVE-2023-37920", "GHSA-xqr8-7jwr-rhp7"],
            "cwe_ids": [345],
            "path": "requirements.txt",
        },
    ),
    # 2 workloads x 5 vulnerabilities, 2 deployments x 5 failed checks; services pass.
    (
        "kubernetes.json",
        20,
        10,
        {
            "kind": Kind.IAC,
            "rule_id": "KSV001",
            "path": "default/Deployment/redis-follower",
            "start_line": 132,
            "end_line": 143,
            "severity": Severity.MEDIUM,
        },
    ),
    # Legacy array: 93 vulnerabilities of one Debian target.
    (
        "legacy_many_vulns.json",
        93,
        0,
        {
            "rule_id": "CVE-2011-3374",
            "package": "apt",
            "package_version": "1.8.2.2",
            "severity": Severity.LOW,
            "path": "debian (debian 10.8)",
            "rule_name": None,
        },
    ),
    # `null`: an empty legacy scan.
    ("legacy_no_vuln.json", 0, None, {}),
    # 2 pip vulnerabilities, 1 Dockerfile check, 2 masked GitHub tokens.
    (
        "misconfigurations_and_secrets.json",
        5,
        3,
        {
            "kind": Kind.SECRET,
            "rule_id": "github-pat",
            "path": "Dockerfile",
            "start_line": 24,
            "flagged_text": "ENV GITHUB_PAT=*****",
            "severity": Severity.CRITICAL,
            "secrets": [],
        },
    ),
    # Alpine packages with a PkgPath, and jars.
    (
        "scheme_2_many_vulns.json",
        5,
        2,
        {
            "rule_id": "CVE-2019-12900",
            "package": "libbz2",
            "severity": Severity.CRITICAL,
            "fixed_version": "1.0.6-r7",
            "ecosystem": "alpine",
            "path": "teamdojo:latest (alpine 3.9.4) -> app/libs/libbz2-1.0.6-r6",
        },
    ),
    # One clean alpine target.
    ("scheme_2_no_vuln.json", 0, None, {}),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "count", "index", "expected"), REAL_FILES, ids=[name for name, *_ in REAL_FILES]
)
def test_real_reports(name: str, count: int, index: int | None, expected: dict[str, Any]) -> None:
    document = json.loads(shared_path("scans", "trivy", name).read_text())
    report = parse_trivy(document)
    findings = report.runs[0].findings
    assert len(report.runs) == 1 and len(findings) == count
    if index is not None:
        for field, value in expected.items():
            assert getattr(findings[index], field) == value, field
