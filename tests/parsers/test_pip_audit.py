"""pip-audit JSON parser: the old top-level array and the new `{"dependencies", "fixes"}`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport
from ingest.parsers.pip_audit import parse_pip_audit
from tests.shared_data import shared_path


def _dep(
    name: str = "django", version: str = "3.2.9", vulns: Any = None, **extra: Any
) -> dict[str, Any]:
    dep: dict[str, Any] = {"name": name, "version": version, "vulns": vulns or []}
    dep.update(extra)
    return dep


def _vuln(**overrides: Any) -> dict[str, Any]:
    vuln: dict[str, Any] = {
        "id": "PYSEC-2021-439",
        "fix_versions": ["3.2.10"],
        "aliases": ["CVE-2021-44420", "GHSA-v6rh-hp5x-86rv"],
        "description": "Django before 3.2.10 lets trailing newlines bypass access control.",
    }
    vuln.update(overrides)
    return vuln


FIELD_CASES = [
    # The ordinary vulnerability: aliases ordered CVE, GHSA, PYSEC; medium (pip-audit rates
    # nothing).
    (
        _vuln(),
        {
            "kind": Kind.SCA,
            "rule_id": "PYSEC-2021-439",
            "rule_name": None,
            "message": "Django before 3.2.10 lets trailing newlines bypass access control.",
            "severity": Severity.MEDIUM,
            "tool_severity": None,
            "vuln_ids": ["CVE-2021-44420", "GHSA-v6rh-hp5x-86rv", "PYSEC-2021-439"],
            "package": "django",
            "package_version": "3.2.9",
            "fixed_version": "3.2.10",
            "fix_guidance": "Upgrade django to 3.2.10",
            "ecosystem": "pypi",
            "path": None,
            "cwe_ids": [],
        },
    ),
    # One fixed version per release line: all of them, "one of" in the guidance.
    (
        _vuln(fix_versions=["2.2.25", "3.1.14", "3.2.10"]),
        {
            "fixed_version": "2.2.25, 3.1.14, 3.2.10",
            "fix_guidance": "Upgrade django to one of 2.2.25, 3.1.14, 3.2.10",
        },
    ),
    # No fix yet.
    (_vuln(fix_versions=[]), {"fixed_version": None, "fix_guidance": None}),
    # Old pip-audit: no aliases, no description: a sentence from package and id.
    (
        {"id": "PYSEC-2020-1", "fix_versions": ["4.0"]},
        {"vuln_ids": ["PYSEC-2020-1"], "message": "django 3.2.9 is affected by PYSEC-2020-1"},
    ),
    # A GHSA as the id and its alias repeated: de-duplicated.
    (
        _vuln(id="GHSA-v6rh-hp5x-86rv", aliases=["GHSA-v6rh-hp5x-86rv", "CVE-2021-44420"]),
        {"rule_id": "GHSA-v6rh-hp5x-86rv", "vuln_ids": ["CVE-2021-44420", "GHSA-v6rh-hp5x-86rv"]},
    ),
    # Ill-typed optionals are absent.
    (
        _vuln(fix_versions="3.2.10", aliases={"a": 1}, description=12),
        {"fixed_version": "3.2.10", "vuln_ids": ["PYSEC-2021-439"], "message": "12"},
    ),
]


@pytest.mark.parametrize(
    ("vuln", "expected"),
    FIELD_CASES,
    ids=[
        "ordinary",
        "several-fixed-versions",
        "no-fix",
        "old-minimal-record",
        "ghsa-id-dedup",
        "ill-typed-optionals",
    ],
)
def test_vulnerability_fields(vuln: dict[str, Any], expected: dict[str, Any]) -> None:
    for document in ([_dep(vulns=[vuln])], {"dependencies": [_dep(vulns=[vuln])], "fixes": []}):
        report = parse_pip_audit(document)
        (finding,) = report.runs[0].findings
        for field, value in expected.items():
            assert getattr(finding, field) == value, field
        assert finding.tool == "pip-audit"
        assert finding.raw == vuln


DOCUMENT_CASES = [
    # `null` and `[]`: one empty run (the scan found nothing and still closes findings).
    (None, 0, []),
    ([], 0, []),
    # New format with no dependencies.
    ({"dependencies": []}, 0, []),
    # Dependencies without vulnerabilities are no findings.
    ([_dep("adal", "1.2.2"), _dep("alabaster", "0.7.12")], 0, []),
    # Several vulnerabilities of one dependency and one of another: every one is a finding.
    (
        [
            _dep("twisted", "18.9.0", [_vuln(id="PYSEC-1"), _vuln(id="PYSEC-2")]),
            _dep(vulns=[_vuln()]),
        ],
        3,
        [],
    ),
    # A skipped dependency is no finding; a warning counts it.
    (
        {
            "dependencies": [
                _dep(vulns=[_vuln()]),
                {"name": "azure-devops", "skip_reason": "Dependency not found on PyPI"},
            ],
            "fixes": [{"name": "django", "old_version": "3.2.9", "new_version": "3.2.10"}],
        },
        1,
        ["pip-audit skipped 1 dependency it could not audit (not findings): azure-devops"],
    ),
    # Many skipped: the first ten named, the rest counted.
    (
        [{"name": f"pkg{i}", "skip_reason": "not on PyPI"} for i in range(12)],
        0,
        [
            (
                "pip-audit skipped 12 dependencies it could not audit (not findings): pkg0, pkg1, "
                "pkg2, pkg3, pkg4, pkg5, pkg6, pkg7, pkg8, pkg9 and 2 more"
            )
        ],
    ),
    # `vulns: null` reads as no vulnerabilities.
    ([{"name": "django", "version": "3.2.9", "vulns": None}], 0, []),
]


@pytest.mark.parametrize(
    ("document", "count", "warnings"),
    DOCUMENT_CASES,
    ids=[
        "null",
        "empty-array",
        "new-empty",
        "no-vulns",
        "several",
        "skipped",
        "many-skipped",
        "null-vulns",
    ],
)
def test_documents(document: Any, count: int, warnings: list[str]) -> None:
    report = parse_pip_audit(document)
    assert report.format == "pip-audit"
    assert len(report.runs) == 1
    assert report.runs[0].tool == "pip-audit"
    assert len(report.runs[0].findings) == count
    assert report.warnings == warnings


ERROR_CASES = [
    # Neither an array nor an object.
    ("pip-audit", "document: expected an array of dependencies"),
    # New format without `dependencies`, or with the wrong type.
    ({"fixes": []}, "dependencies: expected an array, found null"),
    ({"dependencies": {"django": "3.2"}}, "dependencies: expected an array, found an object"),
    # A dependency that is not an object.
    ([_dep(), "django==3.2"], "document[1]: expected an object"),
    ({"dependencies": [7]}, "dependencies[0]: expected an object"),
    # `vulns` of the wrong type, a vulnerability not an object, one without an id.
    ([_dep(vulns="none")], "document[0].vulns: expected an array"),
    ([_dep(vulns=[_vuln(), None])], "document[0].vulns[1]: expected an object"),
    ([_dep(vulns=[_vuln(id="")])], "document[0].vulns[0].id"),
    # A vulnerable dependency without a name.
    ([{"version": "1.0", "vulns": [_vuln()]}], "document[0].name"),
]


@pytest.mark.parametrize(
    ("document", "where"),
    ERROR_CASES,
    ids=[
        "string",
        "no-dependencies",
        "dependencies-object",
        "dependency-string",
        "new-dependency-number",
        "vulns-string",
        "vuln-null",
        "empty-id",
        "no-name",
    ],
)
def test_errors(document: Any, where: str) -> None:
    with pytest.raises(MalformedReport) as raised:
        parse_pip_audit(document)
    assert where in str(raised.value)


# Counted from each file: the entries of every dependency's `vulns`.
REAL_FILES = [
    ("empty.json", 0, []),
    ("empty_new.json", 0, []),
    ("many_vulns.json", 7, ["azure-devops"]),
    ("many_vulns_new.json", 7, ["azure-devops"]),
    ("zero_vulns.json", 0, ["azure-devops"]),
    ("zero_vulns_new.json", 0, ["azure-devops"]),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "count", "skipped"), REAL_FILES, ids=[name for name, *_ in REAL_FILES]
)
def test_real_reports(name: str, count: int, skipped: list[str]) -> None:
    document = json.loads(shared_path("scans", "pip_audit", name).read_text())
    report = parse_pip_audit(document)
    findings = report.runs[0].findings
    assert len(report.runs) == 1 and len(findings) == count
    assert len(report.warnings) == len(skipped)
    for package in skipped:
        assert package in report.warnings[0]
    if count:
        django = findings[1]
        assert (django.rule_id, django.package, django.package_version) == (
            "PYSEC-2021-439",
            "django",
            "3.2.9",
        )
        assert django.fixed_version == "2.2.25, 3.1.14, 3.2.10"
        assert django.severity is Severity.MEDIUM
        lxml = findings[2]
        assert (lxml.package, lxml.fixed_version, lxml.fix_guidance) == ("lxml", None, None)
        assert [f.package for f in findings].count("twisted") == 4
