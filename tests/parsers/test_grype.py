"""Grype (`grype -o json`) parser.

There is no real Grype report under ../shared/data (Grype needs network for its database),
so the tests use small inline documents and the hand-written fixtures in
tests/fixtures/reports/grype/ (see SOURCES.md there).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.grype import parse_grype

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "reports" / "grype"


def _cvss(score: float | None, version: str = "3.1", vector: str = "") -> dict[str, Any]:
    metrics = {} if score is None else {"baseScore": score}
    return {"version": version, "vector": vector, "metrics": metrics, "vendorMetadata": {}}


def _match(
    vuln: dict[str, Any] | None = None,
    artifact: dict[str, Any] | None = None,
    related: list[Any] | None = None,
    details: list[Any] | None = None,
) -> dict[str, Any]:
    """One `matches[]` entry as `grype -o json` writes it (trimmed)."""
    v: dict[str, Any] = {
        "id": "CVE-2024-1000",
        "dataSource": "https://nvd.nist.gov/vuln/detail/CVE-2024-1000",
        "namespace": "nvd:cpe",
        "severity": "High",
        "urls": ["https://example.com/advisory/1000"],
        "description": "Heap overflow in demo.",
        "cvss": [_cvss(7.5)],
        "fix": {"versions": ["1.2.4"], "state": "fixed"},
        "advisories": [],
        "risk": 1.0,
    }
    v.update(vuln or {})
    a: dict[str, Any] = {
        "id": "abc123",
        "name": "demo",
        "version": "1.2.3",
        "type": "python",
        "locations": [
            {"path": "/app/site-packages/demo-1.2.3.dist-info/METADATA", "accessPath": "/app/x"}
        ],
        "language": "python",
        "licenses": [],
        "cpes": [],
        "purl": "pkg:pypi/demo@1.2.3",
        "upstreams": [],
    }
    a.update(artifact or {})
    return {
        "vulnerability": v,
        "relatedVulnerabilities": related if related is not None else [],
        "matchDetails": details if details is not None else [],
        "artifact": a,
    }


def _doc(matches: Any, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "matches": matches,
        "source": {"type": "image", "target": {"userInput": "demo:1"}},
        "distro": {"name": "debian", "version": "12", "idLike": []},
        "descriptor": {
            "name": "grype",
            "version": "0.80.0",
            "timestamp": "2025-01-02T03:04:05.123456789Z",
        },
    }
    doc.update(extra)
    return doc


def _one(match: dict[str, Any], **extra: Any) -> Any:
    report = parse_grype(_doc([match], **extra))
    assert len(report.runs) == 1 and len(report.runs[0].findings) == 1
    return report.runs[0].findings[0]


FIELD_CASES = [
    # The ordinary case: a fixed High in a PyPI package.
    (
        _match(),
        {
            "rule_id": "CVE-2024-1000",
            "message": "CVE-2024-1000 in demo@1.2.3: Heap overflow in demo.",
            "severity": Severity.HIGH,
            "tool_severity": "High",
            "vuln_ids": ["CVE-2024-1000"],
            "package": "demo",
            "package_version": "1.2.3",
            "fixed_version": "1.2.4",
            "fix_guidance": "Upgrade demo to 1.2.4",
            "ecosystem": "pypi",
            "path": "/app/site-packages/demo-1.2.3.dist-info/METADATA",
            "kind": Kind.SCA,
            "language": "python",
            "references": [
                "https://nvd.nist.gov/vuln/detail/CVE-2024-1000",
                "https://example.com/advisory/1000",
            ],
            "cwe_ids": [],
            "suppressed": False,
            "tool_version": "0.80.0",
        },
    ),
    # Critical.
    (_match({"severity": "Critical", "cvss": [_cvss(9.8)]}), {"severity": Severity.CRITICAL}),
    # Negligible is info even with a higher CVSS score: the word wins.
    (
        _match({"severity": "Negligible", "cvss": [_cvss(5.5)]}),
        {"severity": Severity.INFO, "tool_severity": "Negligible"},
    ),
    # Unknown with no score anywhere is medium.
    (
        _match({"severity": "Unknown", "cvss": []}),
        {"severity": Severity.MEDIUM, "tool_severity": "Unknown"},
    ),
    # Unknown with a related record's score: the score decides.
    (
        _match(
            {"severity": "Unknown", "cvss": []},
            related=[{"id": "CVE-2024-1000", "cvss": [_cvss(7.5)]}],
        ),
        {"severity": Severity.HIGH, "tool_severity": "Unknown"},
    ),
    # No severity word: v3 is preferred over v2.
    (
        _match({"severity": None, "cvss": [_cvss(9.3, "2.0"), _cvss(6.5, "3.1")]}),
        {"severity": Severity.MEDIUM, "tool_severity": "6.5"},
    ),
    # A v3 vector without a base score is scored from the vector.
    (
        _match(
            {
                "severity": "",
                "cvss": [_cvss(None, "3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")],
            }
        ),
        {"severity": Severity.CRITICAL, "tool_severity": "9.8"},
    ),
    # The word in another case still maps.
    (_match({"severity": "low"}), {"severity": Severity.LOW}),
    # A GHSA match relating the CVE: both ids, CVE first; the rule is the matched id.
    (
        _match(
            {"id": "GHSA-abcd-efgh-ijkl"}, related=[{"id": "CVE-2024-2000", "namespace": "nvd:cpe"}]
        ),
        {"rule_id": "GHSA-abcd-efgh-ijkl", "vuln_ids": ["CVE-2024-2000", "GHSA-abcd-efgh-ijkl"]},
    ),
    # not-fixed: no fixed version, no guidance.
    (
        _match({"fix": {"versions": [], "state": "not-fixed"}}),
        {"fixed_version": None, "fix_guidance": None},
    ),
    # wont-fix with versions listed anyway: still no fix.
    (
        _match({"fix": {"versions": ["9.9"], "state": "wont-fix"}}),
        {"fixed_version": None, "fix_guidance": None},
    ),
    # unknown fix state.
    (_match({"fix": {"versions": [], "state": "unknown"}}), {"fixed_version": None}),
    # Several fixed versions (one per release line) are joined.
    (
        _match({"fix": {"versions": ["5.0.14", "6.0.16", "6.2.6"], "state": "fixed"}}),
        {
            "fixed_version": "5.0.14, 6.0.16, 6.2.6",
            "fix_guidance": "Upgrade demo to one of 5.0.14, 6.0.16, 6.2.6",
        },
    ),
    # Old reports without a state: the versions are trusted.
    (_match({"fix": {"versions": ["1.3"]}}), {"fixed_version": "1.3"}),
    # Grype's suggested version (matchDetails[].fix) drives the guidance.
    (
        _match(
            {"fix": {"versions": ["1.2.4", "2.0.1"], "state": "fixed"}},
            details=[
                {
                    "type": "exact-direct-match",
                    "matcher": "python-matcher",
                    "searchedBy": {},
                    "found": {},
                    "fix": {"suggestedVersion": "1.2.4"},
                }
            ],
        ),
        {"fixed_version": "1.2.4, 2.0.1", "fix_guidance": "Upgrade demo to 1.2.4"},
    ),
    # CWEs from newer Grype versions, also from related records.
    (
        _match(
            {
                "cwes": [
                    {
                        "cve": "CVE-2024-1000",
                        "cwe": "CWE-787",
                        "source": "nvd@nist.gov",
                        "type": "Primary",
                    }
                ]
            },
            related=[{"id": "CVE-2024-1000", "cwes": [{"cve": "CVE-2024-1000", "cwe": "CWE-122"}]}],
        ),
        {"cwe_ids": [787, 122]},
    ),
    # Debian package: the distro from the purl.
    (
        _match(
            artifact={
                "type": "deb",
                "purl": "pkg:deb/debian/libdemo1@1.0-1?arch=amd64&distro=debian-12",
            }
        ),
        {"ecosystem": "debian"},
    ),
    # Alpine package.
    (
        _match(artifact={"type": "apk", "purl": "pkg:apk/alpine/musl@1.2.4-r1?arch=x86_64"}),
        {"ecosystem": "alpine"},
    ),
    # An OS package without a purl: the document's distro.
    (_match(artifact={"type": "rpm", "purl": ""}), {"ecosystem": "debian"}),
    # A Go module.
    (
        _match(artifact={"type": "go-module", "purl": "pkg:golang/github.com/example/mod@v1.0.0"}),
        {"ecosystem": "go"},
    ),
    # No purl: the Syft package type.
    (_match(artifact={"type": "java-archive", "purl": None}), {"ecosystem": "maven"}),
    # No locations: no path.
    (_match(artifact={"locations": []}), {"path": None}),
    # Missing id: the first related id.
    (
        _match({"id": None}, related=[{"id": "CVE-2024-3000"}]),
        {"rule_id": "CVE-2024-3000", "vuln_ids": ["CVE-2024-3000"]},
    ),
    # No description anywhere: the message is the id and package.
    (_match({"description": None}), {"message": "CVE-2024-1000 in demo@1.2.3"}),
    # No description on the match: a related record's.
    (
        _match(
            {"description": None}, related=[{"id": "CVE-2024-1000", "description": "From NVD."}]
        ),
        {"message": "CVE-2024-1000 in demo@1.2.3: From NVD."},
    ),
    # Advisory links are references too, without duplicates.
    (
        _match(
            {
                "advisories": [
                    {"id": "DSA-1-1", "link": "https://example.com/dsa-1"},
                    {"id": "x", "link": "https://example.com/advisory/1000"},
                ]
            }
        ),
        {
            "references": [
                "https://nvd.nist.gov/vuln/detail/CVE-2024-1000",
                "https://example.com/advisory/1000",
                "https://example.com/dsa-1",
            ]
        },
    ),
    # Wrongly typed optional fields are absent, never an error.
    (
        _match(
            {"cvss": "high", "urls": 5, "fix": ["1.0"], "cwes": {"a": 1}, "description": 7},
            artifact={"locations": "x", "purl": 1, "version": 3},
        ),
        {
            "fixed_version": None,
            "path": None,
            "package_version": "3",
            "cwe_ids": [],
            "ecosystem": "pypi",
        },
    ),
]


@pytest.mark.parametrize(
    ("match", "expected"),
    FIELD_CASES,
    ids=[
        "ordinary",
        "critical",
        "negligible-is-info",
        "unknown-no-score-medium",
        "unknown-uses-related-score",
        "no-word-prefers-v3",
        "vector-only",
        "lowercase-word",
        "ghsa-with-related-cve",
        "not-fixed",
        "wont-fix-ignores-versions",
        "unknown-fix-state",
        "several-fixed-versions",
        "no-fix-state",
        "suggested-version",
        "cwes",
        "deb-purl",
        "apk-purl",
        "os-package-without-purl",
        "go-purl",
        "type-without-purl",
        "no-locations",
        "no-id",
        "no-description",
        "related-description",
        "advisory-links",
        "ill-typed-optionals",
    ],
)
def test_match_fields(match: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _one(match)
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.tool == "grype"
    assert finding.raw == match


RUN_CASES = [
    # No document / empty list: one empty run (an empty scan still closes findings).
    (None, 0, None, None),
    ([], 0, None, None),
    # No matches.
    (_doc([]), 0, "0.80.0", datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    # `matches: null` is no matches.
    (_doc(None), 0, "0.80.0", datetime(2025, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    # Local time with an offset and nanoseconds, as Grype writes it.
    (
        _doc(
            [_match()],
            descriptor={
                "name": "grype",
                "version": "0.92.0",
                "timestamp": "2025-06-02T12:15:30.123456789+02:00",
            },
        ),
        1,
        "0.92.0",
        datetime(2025, 6, 2, 12, 15, 30, 123456, tzinfo=timezone(timedelta(hours=2))),
    ),
    # GRYPE_TIMESTAMP=false writes an empty timestamp.
    (
        _doc([_match()], descriptor={"name": "grype", "version": "0.80.0", "timestamp": ""}),
        1,
        "0.80.0",
        None,
    ),
    # A timestamp that is not one: no scan time.
    (_doc([], descriptor={"version": "0.80.0", "timestamp": "yesterday"}), 0, "0.80.0", None),
    # No zone: tools write UTC, so it is read as UTC.
    (
        _doc([], descriptor={"version": "0.80.0", "timestamp": "2025-01-02T03:04:05"}),
        0,
        "0.80.0",
        datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC),
    ),
    # No descriptor at all.
    ({"matches": [_match(), _match()]}, 2, None, None),
]


@pytest.mark.parametrize(
    ("document", "count", "version", "scanned_at"),
    RUN_CASES,
    ids=[
        "none",
        "empty-list",
        "no-matches",
        "null-matches",
        "offset-nanoseconds",
        "empty-timestamp",
        "bad-timestamp",
        "naive-timestamp",
        "no-descriptor",
    ],
)
def test_run(document: Any, count: int, version: str | None, scanned_at: datetime | None) -> None:
    report = parse_grype(document)
    assert report.format == "grype"
    assert len(report.runs) == 1
    run = report.runs[0]
    assert run.tool == "grype"
    assert len(run.findings) == count
    assert run.tool_version == version
    assert run.scanned_at == scanned_at


def test_every_match_is_returned() -> None:
    # The same CVE in one package at two locations (two matches): never de-duplicated.
    same = [_match(), _match(artifact={"locations": [{"path": "/other/METADATA"}]})]
    findings = parse_grype(_doc(same)).runs[0].findings
    assert [f.path for f in findings] == [
        "/app/site-packages/demo-1.2.3.dist-info/METADATA",
        "/other/METADATA",
    ]


def test_ignored_matches_are_suppressed() -> None:
    ignored = _match({"id": "CVE-2024-9999"})
    ignored["appliedIgnoreRules"] = [
        {
            "vulnerability": "CVE-2024-9999",
            "reason": "not reachable",
            "namespace": "",
            "package": {"language": ""},
        }
    ]
    vex = _match({"id": "CVE-2024-8888"})
    vex["appliedIgnoreRules"] = [
        {
            "namespace": "vex",
            "vex-status": "not_affected",
            "vex-justification": "vulnerable_code_not_present",
        }
    ]
    bare = _match({"id": "CVE-2024-7777"})
    findings = parse_grype(_doc([_match()], ignoredMatches=[ignored, vex, bare])).runs[0].findings
    assert [f.suppressed for f in findings] == [False, True, True, True]
    assert [f.suppression for f in findings] == [
        None,
        "grype ignore (vulnerability=CVE-2024-9999): not reachable",
        "grype ignore (vex-status=not_affected): vulnerable_code_not_present",
        "grype ignore",
    ]


ERROR_CASES = [
    # Not a Grype document at all.
    ("text", "document: expected an object"),
    ([1, 2], "document: expected an object"),
    # No matches key.
    ({"descriptor": {"name": "grype"}}, "matches: missing"),
    # The findings container is not an array.
    (_doc({"0": _match()}), "matches: expected an array"),
    # A match that is not an object.
    (_doc([_match(), "CVE-2024-1"]), "matches[1]: expected an object"),
    # A match without its vulnerability.
    (_doc([{"artifact": {"name": "demo"}}]), "matches[0].vulnerability: expected an object"),
    # A match whose artifact is not an object.
    (
        _doc([{"vulnerability": {"id": "CVE-1"}, "artifact": "demo"}]),
        "matches[0].artifact: expected an object",
    ),
    # An ignored match that is not an object.
    (_doc([], ignoredMatches=[None]), "ignoredMatches[0]: expected an object"),
]


@pytest.mark.parametrize(
    ("document", "says"),
    ERROR_CASES,
    ids=[
        "string-document",
        "list-document",
        "no-matches-key",
        "matches-not-array",
        "match-not-object",
        "vulnerability-missing",
        "artifact-not-object",
        "ignored-not-object",
    ],
)
def test_errors(document: Any, says: str) -> None:
    with pytest.raises(MalformedReport) as excinfo:
        parse_grype(document)
    assert says in str(excinfo.value)


# --- The hand-written fixtures ---------------------------------------------------------------


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_fixture_grype() -> None:
    report = parse_grype(_load("grype.json"))
    run = report.runs[0]
    assert (run.tool, run.tool_version) == ("grype", "0.92.0")
    assert run.scanned_at == datetime(2025, 6, 2, 10, 15, 30, 123456, tzinfo=UTC)
    findings = run.findings
    assert len(findings) == 4
    assert [f.rule_id for f in findings] == [
        "GHSA-2h7w-q4rc-8vx9",
        "CVE-2023-99302",
        "CVE-2024-99303",
        "GHSA-m5x8-9qjv-r4c2",
    ]
    assert [f.severity for f in findings] == [
        Severity.CRITICAL,
        Severity.INFO,
        Severity.HIGH,
        Severity.MEDIUM,
    ]
    assert [f.tool_severity for f in findings] == ["Critical", "Negligible", "High", "Unknown"]
    assert [f.fixed_version for f in findings] == ["5.4.0", None, None, None]
    assert [f.raw["vulnerability"]["fix"]["state"] for f in findings] == [
        "fixed",
        "wont-fix",
        "not-fixed",
        "unknown",
    ]
    assert [f.ecosystem for f in findings] == ["pypi", "debian", "debian", "npm"]
    assert all(f.kind is Kind.SCA and not f.suppressed for f in findings)

    critical = findings[0]
    assert critical.vuln_ids == ["CVE-2024-99301", "GHSA-2h7w-q4rc-8vx9"]
    assert critical.cwe_ids == [502]
    assert (critical.package, critical.package_version) == ("yamlish", "5.3.1")
    assert critical.fix_guidance == "Upgrade yamlish to 5.4.0"
    assert (
        critical.path == "/usr/local/lib/python3.12/site-packages/yamlish-5.3.1.dist-info/METADATA"
    )

    negligible = findings[1]
    assert negligible.path == "/var/lib/dpkg/status"
    assert negligible.message.startswith(
        "CVE-2023-99302 in libexample1@1.2-3: A NULL pointer dereference"
    )


def test_fixture_grype_empty() -> None:
    report = parse_grype(_load("grype_empty.json"))
    assert len(report.runs) == 1
    assert report.runs[0].findings == []
    assert report.runs[0].tool_version == "0.92.0"
    assert report.runs[0].scanned_at is not None


# --- Robustness: junk anywhere never escapes as anything but our errors ---------------------

_JUNK = (None, 0, -1, 1.5, True, "", "x", [], {}, [None], {"a": 1})


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


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
    ignored = _match(
        {"cwes": [{"cwe": "CWE-79"}]},
        related=[{"id": "CVE-1", "cvss": [_cvss(5.0)]}],
        details=[{"fix": {"suggestedVersion": "2"}}],
    )
    ignored["appliedIgnoreRules"] = [{"vulnerability": "CVE-1", "reason": "r"}]
    base = _doc([_match()], ignoredMatches=[ignored])
    for path in _paths(base):
        for junk in _JUNK:
            try:
                parse_grype(_replace(base, path, junk))
            except (MalformedReport, UnsupportedFormat):
                pass
