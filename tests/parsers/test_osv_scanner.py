"""OSV-Scanner JSON parser: one finding per package per alias group."""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.finding import Finding, Kind
from core.severity import Severity
from ingest.errors import MalformedReport
from ingest.parsers.osv_scanner import parse_osv_scanner
from tests.shared_data import shared_path


def _ghsa(**overrides: Any) -> dict[str, Any]:
    """A GHSA record as OSV serves it (trimmed): a word severity, CWEs, two release lines."""
    record: dict[str, Any] = {
        "id": "GHSA-g4mx-q9vg-27p4",
        "aliases": ["CVE-2023-45803", "PYSEC-2023-212"],
        "summary": "urllib3's request body not stripped after redirect",
        "details": "urllib3 previously would not remove the HTTP request body ...",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "urllib3"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "2.0.0"}, {"fixed": "2.0.7"}]}
                ],
            },
            {
                "package": {"ecosystem": "PyPI", "name": "urllib3"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.26.18"}]}
                ],
            },
        ],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N"}],
        "references": [
            {"type": "ADVISORY", "url": "https://github.com/advisories/GHSA-g4mx-q9vg-27p4"},
            {"type": "WEB", "url": "https://github.com/urllib3/urllib3/commit/4e98d57"},
        ],
        "database_specific": {"severity": "MODERATE", "cwe_ids": ["CWE-200"]},
    }
    record.update(overrides)
    return record


def _pysec(**overrides: Any) -> dict[str, Any]:
    """The PYSEC twin: no word, a GIT range (commit, not a version), a shared reference."""
    record: dict[str, Any] = {
        "id": "PYSEC-2023-212",
        "aliases": ["CVE-2023-45803", "GHSA-g4mx-q9vg-27p4"],
        "details": "urllib3 before 1.26.18 and 2.0.7 ...",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "urllib3"},
                "ranges": [
                    {
                        "type": "GIT",
                        "repo": "https://github.com/urllib3/urllib3",
                        "events": [{"introduced": "0"}, {"fixed": "4e98d57809dacab1cbe6"}],
                    },
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.26.18"}]},
                ],
            },
        ],
        "references": [{"type": "WEB", "url": "https://github.com/urllib3/urllib3/commit/4e98d57"}],
    }
    record.update(overrides)
    return record


_GROUP = {
    "ids": ["GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"],
    "aliases": ["CVE-2023-45803", "GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"],
}


def _doc(
    records: list[Any],
    groups: Any = None,
    package: Any = None,
    path: str = "/src/app/requirements.txt",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "package": package
        if package is not None
        else {"name": "urllib3", "version": "1.26.17", "ecosystem": "PyPI"},
        "vulnerabilities": records,
    }
    if groups is not None:
        entry["groups"] = groups
    return {
        "results": [{"source": {"path": path, "type": "lockfile"}, "packages": [entry]}],
        "experimental_config": {"licenses": {"summary": False, "allowlist": None}},
    }


def _only(document: Any) -> Finding:
    report = parse_osv_scanner(document)
    assert [len(run.findings) for run in report.runs] == [1]
    return report.runs[0].findings[0]


GROUP_CASES = [
    # A GHSA and its PYSEC twin in one group: one finding, everything of both records.
    (
        [_ghsa(), _pysec()],
        _GROUP,
        {
            "kind": Kind.SCA,
            "rule_id": "GHSA-g4mx-q9vg-27p4",
            "rule_name": "urllib3's request body not stripped after redirect",
            "message": "urllib3's request body not stripped after redirect",
            "severity": Severity.MEDIUM,
            "tool_severity": "MODERATE",
            "cwe_ids": [200],
            "vuln_ids": ["CVE-2023-45803", "GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"],
            "package": "urllib3",
            "package_version": "1.26.17",
            "fixed_version": "1.26.18, 2.0.7",
            "fix_guidance": "Upgrade urllib3 to one of 1.26.18, 2.0.7",
            "ecosystem": "pypi",
            "path": "/src/app/requirements.txt",
            "references": [
                "https://github.com/advisories/GHSA-g4mx-q9vg-27p4",
                "https://github.com/urllib3/urllib3/commit/4e98d57",
            ],
            "commit": None,
        },
    ),
    # The group's max_severity (a CVSS score) wins over the records' words.
    (
        [_ghsa(), _pysec()],
        _GROUP | {"max_severity": "9.8"},
        {"severity": Severity.CRITICAL, "tool_severity": "9.8"},
    ),
    # An empty max_severity is no score: the GHSA word decides.
    (
        [_ghsa()],
        {"ids": ["GHSA-g4mx-q9vg-27p4"], "max_severity": ""},
        {"severity": Severity.MEDIUM, "tool_severity": "MODERATE"},
    ),
    # The highest word among the group's records.
    (
        [_ghsa(), _pysec(database_specific={"severity": "HIGH"})],
        _GROUP,
        {"severity": Severity.HIGH, "tool_severity": "HIGH"},
    ),
    # No word anywhere: the CVSS v3 vector is scored (AV:N/AC:L/PR:N/UI:N/C:H/I:H/A:H = 9.8).
    (
        [
            _ghsa(
                database_specific=None,
                severity=[
                    {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}
                ],
            )
        ],
        {"ids": ["GHSA-g4mx-q9vg-27p4"]},
        {
            "severity": Severity.CRITICAL,
            "tool_severity": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "cwe_ids": [],
        },
    ),
    # Only a CVSS v4 vector (not scored here): the default, medium.
    (
        [_ghsa(database_specific={}, severity=[{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N"}])],
        {"ids": ["GHSA-g4mx-q9vg-27p4"]},
        {"severity": Severity.MEDIUM, "tool_severity": None},
    ),
    # A group naming a record the output does not hold: still a finding, from the group alone.
    (
        [],
        {"ids": ["OSV-2024-1"], "aliases": ["CVE-2024-9"]},
        {
            "rule_id": "OSV-2024-1",
            "vuln_ids": ["CVE-2024-9", "OSV-2024-1"],
            "message": "urllib3 1.26.17 is affected by OSV-2024-1",
            "severity": Severity.MEDIUM,
            "fixed_version": None,
            "fix_guidance": None,
        },
    ),
    # The PYSEC record first in the group: it is the rule, its details the message.
    (
        [_ghsa(), _pysec()],
        {"ids": ["PYSEC-2023-212", "GHSA-g4mx-q9vg-27p4"]},
        {
            "rule_id": "PYSEC-2023-212",
            "rule_name": None,
            "message": "urllib3 before 1.26.18 and 2.0.7 ...",
        },
    ),
    # Fixed versions of another package in `affected` are not this package's.
    (
        [
            _ghsa(
                affected=[
                    {
                        "package": {"name": "requests"},
                        "ranges": [{"type": "SEMVER", "events": [{"fixed": "2.31.0"}]}],
                    },
                    {
                        "package": {"name": "URLLIB3"},
                        "ranges": [{"type": "SEMVER", "events": [{"fixed": "1.26.18"}]}],
                    },
                ]
            )
        ],
        {"ids": ["GHSA-g4mx-q9vg-27p4"]},
        {"fixed_version": "1.26.18"},
    ),
    # Ill-typed optionals are absent, never an error.
    (
        [
            _ghsa(
                aliases="CVE-2023-45803",
                references=[{"url": 5}, "x"],
                affected={"a": 1},
                summary=["x"],
                severity="HIGH",
                database_specific=[],
            )
        ],
        {"ids": ["GHSA-g4mx-q9vg-27p4"], "aliases": None, "max_severity": {"x": 1}},
        {
            "vuln_ids": ["CVE-2023-45803", "GHSA-g4mx-q9vg-27p4"],
            "references": [],
            "fixed_version": None,
            "severity": Severity.MEDIUM,
            "message": "urllib3 previously would not remove the HTTP request body ...",
        },
    ),
]


@pytest.mark.parametrize(
    ("records", "group", "expected"),
    GROUP_CASES,
    ids=[
        "ghsa-and-pysec-group",
        "max-severity-wins",
        "empty-max-severity",
        "highest-word",
        "cvss-vector",
        "cvss-v4-only",
        "group-without-record",
        "pysec-first",
        "other-package-fixes",
        "ill-typed-optionals",
    ],
)
def test_group_fields(records: list[Any], group: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _only(_doc(records, [group]))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.tool == "osv-scanner"
    assert finding.raw["group"] == group
    held = {r["id"] for r in records}
    assert [r["id"] for r in finding.raw["vulnerabilities"]] == [
        vid for vid in group["ids"] if vid in held
    ]


def test_without_groups_one_finding_per_record() -> None:
    # Older OSV-Scanner output has no `groups`: every record is a finding, raw is the record.
    findings = parse_osv_scanner(_doc([_ghsa(), _pysec()])).runs[0].findings
    assert [f.rule_id for f in findings] == ["GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"]
    assert [f.tool_severity for f in findings] == ["MODERATE", None]  # PYSEC rates nothing
    assert findings[1].fixed_version == "1.26.18"  # the GIT commit is left out
    assert findings[0].raw == _ghsa()


def test_repeated_record_is_reported_twice() -> None:
    # Parsers never de-duplicate (the pipeline does): a record listed twice is two findings.
    findings = parse_osv_scanner(_doc([_ghsa(), _ghsa()])).runs[0].findings
    assert [f.rule_id for f in findings] == ["GHSA-g4mx-q9vg-27p4"] * 2


def test_record_outside_every_group_is_its_own_finding() -> None:
    # Never drop a record: one the groups do not name is reported alone.
    document = _doc([_ghsa(), _pysec(), _ghsa(id="GHSA-xxxx-yyyy-zzzz", aliases=[])], [_GROUP])
    findings = parse_osv_scanner(document).runs[0].findings
    assert [f.rule_id for f in findings] == ["GHSA-g4mx-q9vg-27p4", "GHSA-xxxx-yyyy-zzzz"]


PACKAGE_CASES = [
    # A git repository scanned by commit: no package name, the commit is kept, no upgrade advice.
    (
        {
            "name": "",
            "version": "",
            "ecosystem": "",
            "commit": "f5f3c22f3ed5a6804a2a8d9ee9fa43044cfa24a6",
        },
        {
            "package": None,
            "package_version": None,
            "ecosystem": None,
            "commit": "f5f3c22f3ed5a6804a2a8d9ee9fa43044cfa24a6",
            "fix_guidance": None,
        },
    ),
    # Debian ecosystem with a release: the release is dropped.
    (
        {"name": "openssl", "version": "3.0.11-1", "ecosystem": "Debian:12"},
        {"ecosystem": "debian", "package": "openssl"},
    ),
    # `package` of the wrong type: nothing about the package.
    ("urllib3", {"package": None, "ecosystem": None}),
]


@pytest.mark.parametrize(
    ("package", "expected"),
    PACKAGE_CASES,
    ids=["git-commit", "debian-release", "ill-typed-package"],
)
def test_package_fields(package: Any, expected: dict[str, Any]) -> None:
    finding = _only(_doc([_ghsa()], [{"ids": ["GHSA-g4mx-q9vg-27p4"]}], package=package))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field


def test_malicious_package_cwe_from_affected() -> None:
    # MAL- records carry their CWE in affected[].database_specific.cwes.
    record = {
        "id": "MAL-2023-1035",
        "aliases": ["GHSA-8348-2q94-ffjx"],
        "summary": "Malicious code in flot-axis (npm)",
        "affected": [
            {
                "package": {"ecosystem": "npm", "name": "flot-axis"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}],
                "database_specific": {"cwes": [{"cweId": "CWE-506"}]},
            }
        ],
    }
    finding = _only(
        _doc(
            [record],
            [{"ids": ["MAL-2023-1035"]}],
            package={"name": "flot-axis", "version": "0.0.0", "ecosystem": "npm"},
        )
    )
    assert finding.cwe_ids == [506]
    assert finding.vuln_ids == ["GHSA-8348-2q94-ffjx", "MAL-2023-1035"]
    assert finding.fixed_version is None


DOCUMENT_CASES = [
    # `null` and `[]`: one empty run.
    (None, 0),
    ([], 0),
    # What OSV-Scanner writes when nothing is vulnerable; Go's nil slice as null.
    ({"results": []}, 0),
    ({"results": None}, 0),
    # A source without packages, one with `vulnerabilities: null`.
    ({"results": [{"source": {"path": "go.mod", "type": "lockfile"}}]}, 0),
    (_doc(None), 0),
    # Two sources, two packages each with one group.
    (
        {
            "results": [
                _doc([_ghsa()], [{"ids": ["GHSA-g4mx-q9vg-27p4"]}])["results"][0],
                _doc([_ghsa()], [{"ids": ["GHSA-g4mx-q9vg-27p4"]}], path="./web/requirements.txt")[
                    "results"
                ][0],
            ]
        },
        2,
    ),
]


@pytest.mark.parametrize(
    ("document", "count"),
    DOCUMENT_CASES,
    ids=[
        "null",
        "empty-array",
        "no-results",
        "null-results",
        "no-packages",
        "null-vulnerabilities",
        "two-sources",
    ],
)
def test_documents(document: Any, count: int) -> None:
    report = parse_osv_scanner(document)
    assert report.format == "osv-scanner"
    assert len(report.runs) == 1
    assert report.runs[0].tool == "osv-scanner"
    assert len(report.runs[0].findings) == count


def test_paths_are_cleaned() -> None:
    document = _doc([_ghsa()], [{"ids": ["GHSA-g4mx-q9vg-27p4"]}], path=".\\web\\poetry.lock")
    assert _only(document).path == "web/poetry.lock"


ERROR_CASES = [
    # Not an object.
    ("osv", "document: expected an object"),
    # No results at all, or results of the wrong type.
    ({"experimental_config": {}}, "results: missing"),
    ({"results": {"path": "x"}}, "results: expected an array"),
    # A result, a package entry that is not an object; packages not an array.
    ({"results": [1]}, "results[0]: expected an object"),
    (
        {"results": [{"source": {}, "packages": "urllib3"}]},
        "results[0].packages: expected an array",
    ),
    ({"results": [{"packages": [None]}]}, "results[0].packages[0]: expected an object"),
    # Records: not an array, not an object, no id.
    (_doc("GHSA-1"), "results[0].packages[0].vulnerabilities: expected an array"),
    (_doc([_ghsa(), 3]), "results[0].packages[0].vulnerabilities[1]: expected an object"),
    (_doc([_ghsa(id=None)]), "results[0].packages[0].vulnerabilities[0].id"),
    # Groups: not an array, a group not an object, a group without ids.
    (_doc([_ghsa()], "all"), "results[0].packages[0].groups: expected an array"),
    (
        _doc([_ghsa()], ["GHSA-g4mx-q9vg-27p4"]),
        "results[0].packages[0].groups[0]: expected an object",
    ),
    (_doc([_ghsa()], [{"ids": []}]), "results[0].packages[0].groups[0].ids"),
]


@pytest.mark.parametrize(
    ("document", "where"),
    ERROR_CASES,
    ids=[
        "string",
        "no-results",
        "results-object",
        "result-number",
        "packages-string",
        "package-null",
        "vulnerabilities-string",
        "record-number",
        "record-without-id",
        "groups-string",
        "group-string",
        "group-without-ids",
    ],
)
def test_errors(document: Any, where: str) -> None:
    with pytest.raises(MalformedReport) as raised:
        parse_osv_scanner(document)
    assert where in str(raised.value)


# Counted from each file: the groups of every package (37 groups over 66 OSV records).
REAL_FILES = [
    (
        "many_findings.json",
        37,
        5,
        {
            "rule_id": "GHSA-q7rv-6hp3-vh96",
            "package": "guzzlehttp/psr7",
            "package_version": "1.6.1",
            "ecosystem": "packagist",
            "severity": Severity.MEDIUM,
            "vuln_ids": [
                "CVE-2022-24775",
                "CVE-2023-29197",
                "CVE-2023-29530",
                "GHSA-q7rv-6hp3-vh96",
                "GHSA-wxmh-65f7-jcvw",
                "GHSA-xv3h-4844-9h36",
                "BIT-drupal-2022-24775",
            ],
            "fixed_version": "1.8.4, 1.9.1, 2.1.1, 2.4.5",
            "cwe_ids": [20, 436],
            "path": "/tmpcardmarket-api/composer.lock",
        },
    ),
    (
        "some_findings.json",
        1,
        0,
        {
            "rule_id": "MAL-2023-1035",
            "package": "flot-axis",
            "ecosystem": "npm",
            "cwe_ids": [506],
            "severity": Severity.MEDIUM,
            "path": "/tmp/components/yarn.lock",
        },
    ),
    # 0 bytes: the pipeline rejects it (EmptyReport) before any parser sees it.
    ("no_findings.json", None, None, {}),
]


@pytest.mark.shared_data
@pytest.mark.parametrize(
    ("name", "count", "index", "expected"), REAL_FILES, ids=[name for name, *_ in REAL_FILES]
)
def test_real_reports(
    name: str, count: int | None, index: int | None, expected: dict[str, Any]
) -> None:
    path = shared_path("scans", "osv_scanner", name)
    if path.stat().st_size == 0:
        pytest.skip("0-byte file: rejected as EmptyReport before parsing")
    report = parse_osv_scanner(json.loads(path.read_text()))
    findings = report.runs[0].findings
    assert len(report.runs) == 1 and len(findings) == count
    assert index is not None
    for field, value in expected.items():
        assert getattr(findings[index], field) == value, field


@pytest.mark.shared_data
def test_real_git_source_keeps_commit() -> None:
    document = json.loads(shared_path("scans", "osv_scanner", "many_findings.json").read_text())
    (git,) = [f for f in parse_osv_scanner(document).runs[0].findings if f.commit]
    assert (git.rule_id, git.commit, git.package) == (
        "CVE-2023-50094",
        "f5f3c22f3ed5a6804a2a8d9ee9fa43044cfa24a6",
        None,
    )
    assert git.severity is Severity.HIGH  # scored from its CVSS v3 vector (8.8)
