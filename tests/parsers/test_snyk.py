"""Snyk Open Source (`snyk test --json`) parser.

There is no real Snyk report under ../shared/data (the CLI needs network and an account), so
the tests use small inline documents and the hand-written fixtures in
tests/fixtures/reports/snyk/ (see SOURCES.md there).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.snyk import parse_snyk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "snyk"


def _vuln(**overrides: Any) -> dict[str, Any]:
    """One `vulnerabilities[]` entry as `snyk test --json` writes it (trimmed)."""
    vuln: dict[str, Any] = {
        "id": "SNYK-JS-DEMO-100",
        "title": "Prototype Pollution",
        "CVSSv3": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:L",
        "cvssScore": 7.3,
        "description": "## Overview\nDemo.",
        "fixedIn": ["2.0.1"],
        "identifiers": {
            "CVE": ["CVE-2024-0100"],
            "CWE": ["CWE-1321"],
            "GHSA": ["GHSA-aaaa-bbbb-cccc"],
        },
        "language": "js",
        "packageManager": "npm",
        "packageName": "demo-lib",
        "references": [{"title": "Advisory", "url": "https://example.com/advisory/100"}],
        "semver": {"vulnerable": ["<2.0.1"]},
        "severity": "high",
        "from": ["app@1.0.0", "demo-lib@2.0.0"],
        "upgradePath": [False, "demo-lib@2.0.1"],
        "isUpgradable": True,
        "isPatchable": False,
        "name": "demo-lib",
        "version": "2.0.0",
    }
    vuln.update(overrides)
    return vuln


def _project(vulns: list[Any], **overrides: Any) -> dict[str, Any]:
    project: dict[str, Any] = {
        "vulnerabilities": vulns,
        "ok": not vulns,
        "dependencyCount": 10,
        "org": "acme",
        "packageManager": "npm",
        "summary": "vulnerable dependency paths" if vulns else "No known vulnerabilities",
        "filtered": {"ignore": [], "patch": []},
        "uniqueCount": len(vulns) if isinstance(vulns, list) else 0,
        "projectName": "app",
        "displayTargetFile": "package-lock.json",
        "path": "/src/app",
    }
    project.update(overrides)
    return project


def _one(document: Any) -> Any:
    report = parse_snyk(document)
    assert len(report.runs) == 1
    assert len(report.runs[0].findings) == 1
    return report.runs[0].findings[0]


FIELD_CASES = [
    # The ordinary case: table severity, CVE then GHSA then the Snyk id, CWE, registry, target file.
    (
        _vuln(),
        {
            "rule_id": "SNYK-JS-DEMO-100",
            "rule_name": "Prototype Pollution",
            "message": "Prototype Pollution in demo-lib@2.0.0",
            "severity": Severity.HIGH,
            "tool_severity": "high",
            "vuln_ids": ["CVE-2024-0100", "GHSA-aaaa-bbbb-cccc", "SNYK-JS-DEMO-100"],
            "cwe_ids": [1321],
            "package": "demo-lib",
            "package_version": "2.0.0",
            "fixed_version": "2.0.1",
            "fix_guidance": "Upgrade demo-lib to 2.0.1",
            "ecosystem": "npm",
            "path": "package-lock.json",
            "kind": Kind.SCA,
            "language": "js",
            "references": [
                "https://security.snyk.io/vuln/SNYK-JS-DEMO-100",
                "https://example.com/advisory/100",
            ],
            "suppressed": False,
        },
    ),
    # Older CLIs cap `severity` at high and put critical in `severityWithCritical`.
    (
        _vuln(severity="high", severityWithCritical="critical"),
        {"severity": Severity.CRITICAL, "tool_severity": "critical"},
    ),
    # A severity word we do not know falls back to the CVSS score, keeping the word verbatim.
    (
        _vuln(severity="urgent", cvssScore=9.1),
        {"severity": Severity.CRITICAL, "tool_severity": "urgent"},
    ),
    # No word at all: the score decides and is the tool severity.
    (_vuln(severity=None, cvssScore=5.0), {"severity": Severity.MEDIUM, "tool_severity": "5"}),
    # No word, no usable score: medium.
    (_vuln(severity=None, cvssScore=None), {"severity": Severity.MEDIUM, "tool_severity": None}),
    # Upper-case word from a hand-edited report still maps.
    (_vuln(severity="LOW"), {"severity": Severity.LOW, "tool_severity": "LOW"}),
    # No fixed version: no fixed_version, no guidance.
    (
        _vuln(fixedIn=[], isUpgradable=False, upgradePath=[]),
        {"fixed_version": None, "fix_guidance": None},
    ),
    # No fix but a Snyk patch exists.
    (
        _vuln(fixedIn=[], isPatchable=True),
        {"fixed_version": None, "fix_guidance": "Apply the Snyk patch (`snyk protect`)"},
    ),
    # Several fixed versions (one per release line) are joined.
    (
        _vuln(fixedIn=["1.2.3", "2.0.1"]),
        {
            "fixed_version": "1.2.3, 2.0.1",
            "fix_guidance": "Upgrade demo-lib to one of 1.2.3, 2.0.1",
        },
    ),
    # Transitive dependency: the guidance names the direct dependency's upgrade.
    (
        _vuln(
            **{
                "from": ["app@1.0.0", "kit@3.2.0", "demo-lib@2.0.0"],
                "upgradePath": [False, "kit@3.3.0", "demo-lib@2.0.1"],
            }
        ),
        {"fix_guidance": "Upgrade demo-lib to 2.0.1 (upgrade the direct dependency to kit@3.3.0)"},
    ),
    # No upgrade path for this dependency path: plain guidance.
    (
        _vuln(upgradePath=[False, False], isUpgradable=False),
        {"fix_guidance": "Upgrade demo-lib to 2.0.1"},
    ),
    # `identifiers: null` (seen in real reports): only the Snyk id, no CWE.
    (_vuln(identifiers=None), {"vuln_ids": ["SNYK-JS-DEMO-100"], "cwe_ids": []}),
    # Several CWEs, one spelled without the prefix.
    (
        _vuln(identifiers={"CVE": [], "CWE": ["CWE-79", "80"]}),
        {"cwe_ids": [79, 80], "vuln_ids": ["SNYK-JS-DEMO-100"]},
    ),
    # License issue: the id is a policy name, not a vulnerability id.
    (
        _vuln(
            id="snyk:lic:npm:demo-lib:GPL-3.0",
            type="license",
            title="GPL-3.0 license",
            identifiers={},
        ),
        {
            "vuln_ids": [],
            "references": ["https://example.com/advisory/100"],
            "rule_id": "snyk:lic:npm:demo-lib:GPL-3.0",
        },
    ),
    # pip projects are PyPI packages.
    (_vuln(packageManager="pip"), {"ecosystem": "pypi"}),
    # A package manager we do not map stays as Snyk wrote it (lower-cased).
    (_vuln(packageManager="Deb"), {"ecosystem": "deb"}),
    # No packageName: the `name` field.
    (_vuln(packageName=None), {"package": "demo-lib"}),
    # No id: the title is the rule id.
    (
        _vuln(id=None),
        {"rule_id": "Prototype Pollution", "vuln_ids": ["CVE-2024-0100", "GHSA-aaaa-bbbb-cccc"]},
    ),
    # No title: the message names the package only, the id is the rule.
    (_vuln(title=None), {"message": "demo-lib@2.0.0", "rule_name": None}),
    # Nothing readable at all: never an empty rule id or message.
    (
        {"severity": "low"},
        {
            "rule_id": "snyk-vulnerability",
            "message": "Snyk vulnerability",
            "package": None,
            "ecosystem": "npm",
        },
    ),
    # Wrongly typed optional fields are absent, never an error.
    (
        _vuln(
            fixedIn="2.0.1",
            references="x",
            identifiers=[1],
            language=5,
            upgradePath="no",
            version=2,
        ),
        {
            "fixed_version": "2.0.1",
            "references": ["https://security.snyk.io/vuln/SNYK-JS-DEMO-100"],
            "cwe_ids": [],
            "package_version": "2",
        },
    ),
]


@pytest.mark.parametrize(
    ("vuln", "expected"),
    FIELD_CASES,
    ids=[
        "ordinary",
        "severityWithCritical-wins",
        "unknown-word-uses-cvss",
        "no-word-uses-cvss",
        "no-word-no-score-medium",
        "uppercase-word",
        "no-fix",
        "patch-only",
        "several-fixed-versions",
        "transitive-upgrade",
        "no-upgrade-path",
        "null-identifiers",
        "several-cwes",
        "license-issue",
        "pip-is-pypi",
        "unmapped-package-manager",
        "name-fallback",
        "no-id",
        "no-title",
        "empty-record",
        "ill-typed-optionals",
    ],
)
def test_vulnerability_fields(vuln: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _one(_project([vuln]))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.raw == vuln
    assert finding.tool == "snyk"


PROJECT_CASES = [
    # No document / empty list: one empty run (an empty scan still closes findings).
    (None, 0, []),
    ([], 0, []),
    # A clean project.
    (_project([]), 0, []),
    # The same vulnerability once per dependency path: every entry is a finding.
    (
        _project([_vuln(), _vuln(**{"from": ["app@1.0.0", "other@1.0.0", "demo-lib@2.0.0"]})]),
        2,
        [False, False],
    ),
    # Ignored (policy) and patched vulnerabilities are reported, suppressed.
    (
        _project(
            [_vuln()],
            filtered={
                "ignore": [
                    _vuln(
                        id="SNYK-JS-DEMO-200",
                        filtered={
                            "ignored": [
                                {
                                    "reason": "dev only",
                                    "reasonType": "wont-fix",
                                    "source": "api",
                                    "path": ["*"],
                                }
                            ]
                        },
                    )
                ],
                "patch": [_vuln(id="SNYK-JS-DEMO-300")],
            },
        ),
        3,
        [False, True, True],
    ),
    # --all-projects: a list of projects, each with its own target file.
    (
        [_project([_vuln()]), _project([_vuln(), _vuln()], displayTargetFile="web/package.json")],
        3,
        [False] * 3,
    ),
    # Snyk Container with --app-vulns: application projects nested in `applications`.
    (
        _project(
            [_vuln()], applications=[_project([_vuln()], displayTargetFile="/app/package.json")]
        ),
        2,
        [False, False],
    ),
    # `filtered` of the wrong type is simply absent.
    (_project([_vuln()], filtered="none"), 1, [False]),
]


@pytest.mark.parametrize(
    ("document", "count", "suppressed"),
    PROJECT_CASES,
    ids=[
        "none",
        "empty-list",
        "clean-project",
        "one-vuln-two-paths",
        "ignored-and-patched",
        "all-projects",
        "container-applications",
        "ill-typed-filtered",
    ],
)
def test_projects(document: Any, count: int, suppressed: list[bool]) -> None:
    report = parse_snyk(document)
    assert report.format == "snyk"
    assert len(report.runs) == 1
    run = report.runs[0]
    assert run.tool == "snyk"
    assert run.tool_version is None and run.scanned_at is None
    assert len(run.findings) == count
    assert [f.suppressed for f in run.findings] == suppressed


def test_suppression_reasons() -> None:
    document = _project(
        [],
        filtered={
            "ignore": [
                _vuln(
                    filtered={
                        "ignored": [{"reason": "dev only", "reasonType": "wont-fix", "path": ["*"]}]
                    }
                ),
                _vuln(filtered={"ignored": [{"source": "cli", "path": ["*"]}]}),
            ],
            "patch": [_vuln()],
        },
    )
    findings = parse_snyk(document).runs[0].findings
    assert [f.suppression for f in findings] == [
        "snyk ignore (wont-fix): dev only",
        "snyk ignore",
        "snyk patch: patched by `snyk protect`",
    ]


def test_paths_per_project() -> None:
    document = [
        _project([_vuln()], displayTargetFile="services\\billing\\pom.xml", packageManager="maven"),
        _project(
            [_vuln(packageManager=None)],
            displayTargetFile=None,
            targetFile="./web/yarn.lock",
            packageManager="yarn",
        ),
    ]
    first, second = parse_snyk(document).runs[0].findings
    assert (first.path, first.ecosystem) == (
        "services/billing/pom.xml",
        "npm",
    )  # the record's own manager wins
    assert (second.path, second.ecosystem) == (
        "web/yarn.lock",
        "npm",
    )  # yarn -> npm, from the project


def test_error_project_among_others_is_a_warning() -> None:
    document = [
        _project([_vuln()]),
        {"ok": False, "error": "Failed to get dependencies", "path": "/src/legacy"},
    ]
    report = parse_snyk(document)
    assert report.finding_count == 1
    assert len(report.warnings) == 1
    assert "[1]" in report.warnings[0] and "Failed to get dependencies" in report.warnings[0]


ERROR_CASES = [
    # Not a Snyk document at all.
    ("just text", MalformedReport, "document: expected an object"),
    # The findings container is not an array.
    (_project({"id": "x"}), MalformedReport, "vulnerabilities: expected an array"),
    # The vulnerabilities key is missing (and this is no error document).
    (
        {"ok": True, "projectName": "app"},
        MalformedReport,
        "vulnerabilities: expected an array, found null",
    ),
    # A vulnerability that is not an object.
    (_project([_vuln(), "SNYK-JS-X-1"]), MalformedReport, "vulnerabilities[1]: expected an object"),
    # A project in an --all-projects list that is not an object.
    ([_project([]), 7], MalformedReport, "[1]: expected an object"),
    # A project's container inside a list.
    ([_project(None)], MalformedReport, "[0].vulnerabilities: expected an array"),
    # An ignored vulnerability that is not an object.
    (
        _project([], filtered={"ignore": [None]}),
        MalformedReport,
        "filtered.ignore[0]: expected an object",
    ),
    # An error document: the scan did not run.
    (
        {
            "ok": False,
            "error": "Authentication failed. Please check the API token",
            "path": "/src/app",
        },
        MalformedReport,
        "Snyk reported an error instead of results: "
        "'Authentication failed. Please check the API token' (path /src/app)",
    ),
    # Every project of a list failed.
    (
        [{"ok": False, "error": "boom"}, {"ok": False, "error": "bang"}],
        MalformedReport,
        "error for every project",
    ),
    # A single failed project in a list is the whole scan failing.
    ([{"ok": False, "error": "boom"}], MalformedReport, "[0]: Snyk reported an error"),
    # Snyk Code writes SARIF: the SARIF parser reads it, not this one.
    (
        {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [],
        },
        UnsupportedFormat,
        "SARIF",
    ),
    # Snyk IaC JSON is another format.
    ({"infrastructureAsCodeIssues": [], "ok": True}, UnsupportedFormat, "Snyk IaC"),
]


@pytest.mark.parametrize(
    ("document", "error", "says"),
    ERROR_CASES,
    ids=[
        "string-document",
        "vulnerabilities-not-array",
        "vulnerabilities-missing",
        "vulnerability-not-object",
        "project-not-object",
        "listed-project-bad-container",
        "ignored-not-object",
        "error-document",
        "all-projects-all-errors",
        "all-projects-single-error",
        "snyk-code-sarif",
        "snyk-iac",
    ],
)
def test_errors(document: Any, error: type[Exception], says: str) -> None:
    with pytest.raises(error) as excinfo:
        parse_snyk(document)
    assert says in str(excinfo.value)


# --- The hand-written fixtures ---------------------------------------------------------------


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_fixture_open_source() -> None:
    report = parse_snyk(_load("snyk_open_source.json"))
    findings = report.runs[0].findings
    assert len(findings) == 5  # 4 vulnerabilities entries + 1 in filtered.ignore
    assert [f.rule_id for f in findings] == [
        "SNYK-JS-FASTMERGE-9000101",
        "SNYK-JS-FASTMERGE-9000101",
        "SNYK-JS-TINYTEMPLATE-9000102",
        "SNYK-JS-YAMLLITE-9000103",
        "SNYK-JS-QUERYPARSE-9000104",
    ]
    assert [f.severity for f in findings] == [
        Severity.HIGH,
        Severity.HIGH,
        Severity.MEDIUM,
        Severity.CRITICAL,
        Severity.LOW,
    ]
    assert all(
        f.kind is Kind.SCA and f.path == "package-lock.json" and f.ecosystem == "npm"
        for f in findings
    )

    # The same vulnerability through two dependency paths: two findings, paths kept in raw.
    first, second = findings[0], findings[1]
    assert (
        first.raw["from"][1] == "express-kit@3.2.0"
        and second.raw["from"][1] == "config-loader@1.0.2"
    )
    assert first.vuln_ids == ["CVE-2024-99101", "GHSA-3f5x-q8r2-9wcm", "SNYK-JS-FASTMERGE-9000101"]
    assert first.cwe_ids == [1321]
    assert (
        first.fix_guidance
        == "Upgrade fast-merge to 2.1.4 (upgrade the direct dependency to express-kit@3.3.0)"
    )
    assert second.fix_guidance == "Upgrade fast-merge to 2.1.4"

    xss = findings[2]
    assert (xss.fixed_version, xss.fix_guidance, xss.cwe_ids) == (None, None, [79])
    assert xss.vuln_ids == ["SNYK-JS-TINYTEMPLATE-9000102"]

    assert findings[3].fixed_version == "1.2.3, 2.0.1"

    ignored = findings[4]
    assert (
        ignored.suppressed
        and ignored.suppression == "snyk ignore: Only parses trusted configuration"
    )
    assert [f.suppressed for f in findings[:4]] == [False] * 4


def test_fixture_all_projects() -> None:
    report = parse_snyk(_load("snyk_all_projects.json"))
    findings = report.runs[0].findings
    assert len(findings) == 2  # the second project is clean
    assert {f.path for f in findings} == {"backend/requirements.txt"}
    assert {f.ecosystem for f in findings} == {"pypi"}
    ssrf = findings[0]
    assert (ssrf.package, ssrf.package_version, ssrf.fixed_version) == (
        "webhooklib",
        "0.8.0",
        "0.8.2",
    )
    assert ssrf.vuln_ids == [
        "CVE-2024-99201",
        "GHSA-7c2m-x9pq-4hwv",
        "SNYK-PYTHON-WEBHOOKLIB-9000201",
    ]
    assert ssrf.cwe_ids == [918] and ssrf.severity is Severity.HIGH
    assert report.warnings == []


def test_fixture_error() -> None:
    with pytest.raises(MalformedReport) as excinfo:
        parse_snyk(_load("snyk_error.json"))
    message = str(excinfo.value)
    assert "Snyk reported an error" in message
    assert "Could not detect supported target files in /home/ci/work/empty-repo" in message


def test_fixture_snyk_code_sarif_shape() -> None:
    """Only the fixture's shape: the lead's SARIF parser reads it (and its tests parse it)."""
    doc = _load("snyk_code.sarif")
    assert doc["version"] == "2.1.0"
    assert "sarif-schema-2.1.0" in doc["$schema"]
    (run,) = doc["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "SnykCode"
    rules = {rule["id"]: rule for rule in driver["rules"]}
    assert rules["python/Sqli"]["properties"]["cwe"] == ["CWE-89"]
    for rule in rules.values():
        assert rule["properties"]["precision"] and rule["properties"]["tags"]
        assert rule["properties"]["cwe"][0].startswith("CWE-")
    results = run["results"]
    assert len(results) == 3
    files = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    assert files == {"app/db.py", "app/files.py"}
    for result in results:
        assert result["ruleId"] in rules and result["level"] in {"error", "warning", "note"}
        assert result["message"]["text"] and result["message"]["markdown"]
        assert set(result["fingerprints"]) == {"0", "1"}
        assert result["codeFlows"][0]["threadFlows"][0]["locations"]
        region = result["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["endLine"] >= region["startLine"]
    suppressed = [r for r in results if r.get("suppressions")]
    assert len(suppressed) == 1 and suppressed[0]["suppressions"][0]["justification"]
    # And this parser refuses it: Snyk Code output is SARIF.
    with pytest.raises(UnsupportedFormat):
        parse_snyk(doc)


# --- Robustness: junk anywhere never escapes as anything but our errors ---------------------

_JUNK = (None, 0, -1, 1.5, True, "", "x", [], {}, [None], {"a": 1})


def _leaf_paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _leaf_paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            paths += _leaf_paths(value, (*path, i))
    return paths


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


def test_junk_values_only_raise_our_errors() -> None:
    base = [
        _project(
            [_vuln()],
            filtered={"ignore": [_vuln(filtered={"ignored": [{"reason": "r"}]})], "patch": []},
        )
    ]
    for path in _leaf_paths(base):
        for junk in _JUNK:
            try:
                parse_snyk(_replace(base, path, junk))
            except (MalformedReport, UnsupportedFormat):
                pass
