"""SARIF 2.1.0 parser: every run of every tool, and what the module docstring says it reads."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.finding import Kind
from core.severity import Severity
from ingest.errors import MalformedReport, UnsupportedFormat
from ingest.parsers.sarif import parse_sarif
from tests.shared_data import shared_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _result(**overrides: Any) -> dict[str, Any]:
    """One result with a rule id, a message and a plain location; overrides replace keys."""
    result: dict[str, Any] = {
        "ruleId": "R1",
        "message": {"text": "Something is wrong."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": "src/app.py", "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": 3},
                }
            }
        ],
    }
    result.update(overrides)
    return result


def _located(
    region: dict[str, Any], context: dict[str, Any] | None = None, uri: Any = None
) -> dict[str, Any]:
    """A result whose primary location has this region (and context region, and uri)."""
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": "src/app.py" if uri is None else uri},
        "region": region,
    }
    if context is not None:
        physical["contextRegion"] = context
    return _result(locations=[{"physicalLocation": physical}])


def _run(
    *results: Any, rules: list[Any] | None = None, name: str = "CodeScanner", **extra: Any
) -> dict[str, Any]:
    driver: dict[str, Any] = {"name": name}
    if rules is not None:
        driver["rules"] = rules
    driver.update(extra.pop("driver", {}))
    run: dict[str, Any] = {"tool": {"driver": driver}, "results": list(results)}
    run.update(extra)
    return run


def _log(*runs: Any) -> dict[str, Any]:
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": list(runs),
    }


def _one(*results: Any, **run: Any) -> dict[str, Any]:
    return _log(_run(*results, **run))


def _only(report: Any) -> Any:
    assert len(report.runs) == 1
    assert len(report.runs[0].findings) == 1
    return report.runs[0].findings[0]


CONTEXT = {
    "startLine": 10,
    "endLine": 14,
    "snippet": {"text": "def f(x):\n    y = 1\n    eval(x)\n    eval(y)\n    return y\n"},
}

# A CodeQL run whose rules are in a query pack (an extension), as CodeQL 2.x writes them.
_EXTENSION_BY_INDEX = _log(
    {
        "tool": {
            "driver": {
                "name": "CodeQL",
                "semanticVersion": "2.15.0",
                "rules": [{"id": "other", "defaultConfiguration": {"level": "note"}}],
            },
            "extensions": [
                {
                    "name": "codeql/python-queries",
                    "rules": [
                        {
                            "id": "py/sql-injection",
                            "defaultConfiguration": {"level": "error"},
                            "relationships": [
                                {"target": {"id": "89", "toolComponent": {"name": "CWE"}}}
                            ],
                        }
                    ],
                }
            ],
        },
        "results": [
            _result(
                ruleId="py/sql-injection",
                ruleIndex=0,
                rule={"id": "py/sql-injection", "index": 0, "toolComponent": {"index": 0}},
            )
        ],
    }
)

CASES = [
    # The baseline: what a minimal result gives.
    pytest.param(
        _one(_result()),
        {
            "tool": "codescanner",
            "tool_version": None,
            "rule_id": "R1",
            "rule_name": None,
            "message": "Something is wrong.",
            "kind": Kind.SAST,
            "severity": Severity.MEDIUM,
            "tool_severity": "warning",
            "cwe_ids": [],
            "path": "src/app.py",
            "start_line": 3,
            "end_line": 3,
            "suppressed": False,
            "suppression": None,
            "baseline_state": None,
            "tool_fingerprint": None,
            "flagged_text": None,
            "snippet": None,
            "secrets": [],
        },
        id="minimal-result",
    ),
    # ---- CWE ----
    # CWE from the rule's `relationships` whose target's toolComponent is named CWE.
    pytest.param(
        _one(
            _result(),
            rules=[
                {
                    "id": "R1",
                    "relationships": [
                        {"target": {"id": "79", "toolComponent": {"name": "CWE"}}},
                        {"target": {"id": "A03", "toolComponent": {"name": "OWASP"}}},
                    ],
                }
            ],
        ),
        {"cwe_ids": [79]},
        id="cwe-rule-relationships",
    ),
    # CWE from the result's `taxa`, by toolComponent name.
    pytest.param(
        _one(_result(taxa=[{"id": "89", "toolComponent": {"name": "CWE"}}])),
        {"cwe_ids": [89]},
        id="cwe-result-taxa-by-name",
    ),
    # CWE from the result's `taxa`, by index into run.taxonomies (index 1 is CWE, 0 is OWASP:
    # the OWASP taxon's bare number is not a CWE).
    pytest.param(
        _one(
            _result(
                taxa=[
                    {"id": "3", "toolComponent": {"index": 0}},
                    {"id": "22", "toolComponent": {"index": 1}},
                ]
            ),
            taxonomies=[{"name": "OWASP Top 10"}, {"name": "CWE", "version": "4.13"}],
        ),
        {"cwe_ids": [22]},
        id="cwe-result-taxa-by-taxonomy-index",
    ),
    # A taxon without a component counts only when its id says CWE itself.
    pytest.param(
        _one(_result(taxa=[{"id": "CWE-352"}, {"id": "601"}])),
        {"cwe_ids": [352]},
        id="cwe-taxa-without-component",
    ),
    # CWE from rule property tags, CodeQL spelling (zero-padded).
    pytest.param(
        _one(
            _result(),
            rules=[{"id": "R1", "properties": {"tags": ["security", "external/cwe/cwe-079"]}}],
        ),
        {"cwe_ids": [79]},
        id="cwe-rule-tags-codeql",
    ),
    # CWE from result property tags, Semgrep spelling; tags that are not CWEs are ignored.
    pytest.param(
        _one(
            _result(properties={"tags": ["CWE-79: Improper Neutralization of Input", "OWASP-A7"]})
        ),
        {"cwe_ids": [79]},
        id="cwe-result-tags-semgrep",
    ),
    # CWE from a rule's `cwe` property (Snyk Code writes a list).
    pytest.param(
        _one(_result(), rules=[{"id": "R1", "properties": {"cwe": ["CWE-89", "CWE-564"]}}]),
        {"cwe_ids": [89, 564]},
        id="cwe-rule-property-snyk",
    ),
    # CWE from a result's `cwe` property.
    pytest.param(
        _one(_result(properties={"cwe": "CWE-78"})),
        {"cwe_ids": [78]},
        id="cwe-result-property",
    ),
    # Rule and result CWEs together: rule first, duplicates once.
    pytest.param(
        _one(
            _result(
                taxa=[{"id": "79", "toolComponent": {"name": "CWE"}}],
                properties={"tags": ["external/cwe/cwe-116"]},
            ),
            rules=[{"id": "R1", "properties": {"tags": ["external/cwe/cwe-079"]}}],
        ),
        {"cwe_ids": [79, 116]},
        id="cwe-rule-and-result-deduplicated",
    ),
    # ---- severity ----
    # The result's security-severity beats the rule's, the word and the level.
    pytest.param(
        _one(
            _result(level="note", properties={"security-severity": "9.1", "severity": "low"}),
            rules=[{"id": "R1", "properties": {"security-severity": "5.0"}}],
        ),
        {"severity": Severity.CRITICAL, "tool_severity": "9.1"},
        id="severity-result-security-severity",
    ),
    # The rule's security-severity beats a result's severity word and its level.
    pytest.param(
        _one(
            _result(level="note", properties={"severity": "low"}),
            rules=[
                {
                    "id": "R1",
                    "defaultConfiguration": {"level": "note"},
                    "properties": {"security-severity": "7.5"},
                }
            ],
        ),
        {"severity": Severity.HIGH, "tool_severity": "7.5"},
        id="severity-rule-security-severity",
    ),
    # A security-severity that is not a 0-10 number is ignored.
    pytest.param(
        _one(
            _result(level="error", properties={"security-severity": "high"}),
            rules=[{"id": "R1", "properties": {"security-severity": "11"}}],
        ),
        {"severity": Severity.HIGH, "tool_severity": "error"},
        id="severity-bad-security-severity-ignored",
    ),
    # A severity word in the result's properties beats the levels.
    pytest.param(
        _one(_result(level="note", properties={"severity": "critical"})),
        {"severity": Severity.CRITICAL, "tool_severity": "critical"},
        id="severity-result-word",
    ),
    # Bandit's `issue_severity` is such a word.
    pytest.param(
        _one(_result(level="error", properties={"issue_severity": "LOW"})),
        {"severity": Severity.LOW, "tool_severity": "LOW"},
        id="severity-issue-severity-word",
    ),
    # A word the table does not know is no word: the level decides.
    pytest.param(
        _one(_result(level="error", properties={"severity": "urgent"})),
        {"severity": Severity.HIGH, "tool_severity": "error"},
        id="severity-unknown-word-ignored",
    ),
    # The result's level beats the rule's default level.
    pytest.param(
        _one(
            _result(level="error"),
            rules=[{"id": "R1", "defaultConfiguration": {"level": "note"}}],
        ),
        {"severity": Severity.HIGH, "tool_severity": "error"},
        id="severity-result-level",
    ),
    # The rule's defaultConfiguration.level when the result has none.
    pytest.param(
        _one(_result(), rules=[{"id": "R1", "defaultConfiguration": {"level": "note"}}]),
        {"severity": Severity.LOW, "tool_severity": "note"},
        id="severity-rule-default-level",
    ),
    # level "none" is info.
    pytest.param(
        _one(_result(level="none")),
        {"severity": Severity.INFO, "tool_severity": "none"},
        id="severity-level-none",
    ),
    # No level anywhere: "warning", the SARIF default.
    pytest.param(
        _one(_result(), rules=[{"id": "R1"}]),
        {"severity": Severity.MEDIUM, "tool_severity": "warning"},
        id="severity-sarif-default-warning",
    ),
    # Gitleaks with no level: its own default (a secret is high), no tool value.
    pytest.param(
        _one(_result(), name="Gitleaks"),
        {"severity": Severity.HIGH, "tool_severity": None, "kind": Kind.SECRET},
        id="severity-gitleaks-no-level-high",
    ),
    # Gitleaks with a level: the level.
    pytest.param(
        _one(_result(level="note"), name="Gitleaks"),
        {"severity": Severity.LOW, "tool_severity": "note"},
        id="severity-gitleaks-with-level",
    ),
    # ---- fingerprints ----
    # `fingerprints` are the tool's fingerprint, every key in key order.
    pytest.param(
        _one(_result(fingerprints={"1": "b2", "0": "a1"})),
        {"tool_fingerprint": "0=a1|1=b2"},
        id="fingerprints-all-keys-sorted",
    ),
    # Semgrep without a login writes "requires login": not a fingerprint.
    pytest.param(
        _one(_result(fingerprints={"matchBasedId/v1": "requires login"})),
        {"tool_fingerprint": None},
        id="fingerprint-requires-login-ignored",
    ),
    # ... then CodeQL's primaryLocationLineHash is used.
    pytest.param(
        _one(
            _result(
                fingerprints={"matchBasedId/v1": "requires login"},
                partialFingerprints={
                    "primaryLocationLineHash": "9cbc869fbfffeb60:1",
                    "primaryLocationStartColumnFingerprint": "0",
                },
            )
        ),
        {"tool_fingerprint": "primaryLocationLineHash=9cbc869fbfffeb60:1"},
        id="partial-primary-location-line-hash",
    ),
    # Real fingerprints win over the partial one.
    pytest.param(
        _one(
            _result(
                fingerprints={"matchBasedId/v1": "abc"},
                partialFingerprints={"primaryLocationLineHash": "9cbc869fbfffeb60:1"},
            )
        ),
        {"tool_fingerprint": "matchBasedId/v1=abc"},
        id="fingerprints-over-partial",
    ),
    # Other partial fingerprints are not known to be stable: not used.
    pytest.param(
        _one(
            _result(
                partialFingerprints={
                    "scanPrimaryLocationHash": "be794d27997ab3ce",
                    "scanFileHash": "933a05ac897cd017",
                }
            )
        ),
        {"tool_fingerprint": None},
        id="other-partial-fingerprints-ignored",
    ),
    # ---- suppressions ----
    # status accepted: suppressed, with kind and justification.
    pytest.param(
        _one(
            _result(
                suppressions=[
                    {"kind": "inSource", "status": "accepted", "justification": "test data"}
                ]
            )
        ),
        {"suppressed": True, "suppression": "inSource: test data"},
        id="suppression-accepted",
    ),
    # status absent means accepted.
    pytest.param(
        _one(_result(suppressions=[{"kind": "external"}])),
        {"suppressed": True, "suppression": "external"},
        id="suppression-status-absent",
    ),
    # underReview is not (yet) a suppression.
    pytest.param(
        _one(_result(suppressions=[{"kind": "external", "status": "underReview"}])),
        {"suppressed": False, "suppression": None},
        id="suppression-under-review",
    ),
    # rejected is not a suppression.
    pytest.param(
        _one(_result(suppressions=[{"kind": "inSource", "status": "rejected"}])),
        {"suppressed": False, "suppression": None},
        id="suppression-rejected",
    ),
    # The legacy `state` spelling (spec appendix K samples).
    pytest.param(
        _one(_result(suppressions=[{"kind": "external", "state": "accepted"}])),
        {"suppressed": True, "suppression": "external"},
        id="suppression-legacy-state-accepted",
    ),
    # ... and a legacy rejected one.
    pytest.param(
        _one(_result(suppressions=[{"kind": "external", "state": "rejected"}])),
        {"suppressed": False},
        id="suppression-legacy-state-rejected",
    ),
    # One rejected and one accepted: suppressed by the accepted one.
    pytest.param(
        _one(
            _result(
                suppressions=[
                    {"kind": "inSource", "status": "rejected"},
                    {"kind": "external", "status": "accepted", "justification": "wontfix"},
                ]
            )
        ),
        {"suppressed": True, "suppression": "external: wontfix"},
        id="suppression-rejected-then-accepted",
    ),
    # An empty suppressions array: not suppressed.
    pytest.param(
        _one(_result(suppressions=[])),
        {"suppressed": False},
        id="suppressions-empty",
    ),
    # ---- baselineState ----
    # Kept verbatim.
    pytest.param(
        _one(_result(baselineState="new")),
        {"baseline_state": "new"},
        id="baseline-new",
    ),
    # Kept verbatim.
    pytest.param(
        _one(_result(baselineState="unchanged")),
        {"baseline_state": "unchanged"},
        id="baseline-unchanged",
    ),
    # ---- code ----
    # Only region.snippet: it is both flagged text and snippet.
    pytest.param(
        _one(_located({"startLine": 7, "snippet": {"text": "    eval(x)\n"}})),
        {
            "flagged_text": "    eval(x)",
            "snippet": "    eval(x)\n",
            "snippet_start_line": 7,
            "start_line": 7,
        },
        id="region-snippet-only",
    ),
    # A contextRegion: flagged text is the whole flagged line cut from it (not the region's
    # column-bounded snippet); snippet and its first line come from the context.
    pytest.param(
        _one(
            _located(
                {"startLine": 12, "startColumn": 5, "endColumn": 12, "snippet": {"text": "eval"}},
                CONTEXT,
            )
        ),
        {
            "flagged_text": "    eval(x)",
            "snippet": CONTEXT["snippet"]["text"],
            "snippet_start_line": 10,
            "start_column": 5,
            "end_column": 12,
        },
        id="context-region-cuts-flagged-line",
    ),
    # Several flagged lines cut from the context.
    pytest.param(
        _one(_located({"startLine": 12, "endLine": 13}, CONTEXT)),
        {"flagged_text": "    eval(x)\n    eval(y)", "end_line": 13, "snippet_start_line": 10},
        id="context-region-multi-line",
    ),
    # A region outside its context: the region's own snippet is the flagged text.
    pytest.param(
        _one(_located({"startLine": 40, "snippet": {"text": "x = 1"}}, CONTEXT)),
        {"flagged_text": "x = 1", "snippet": CONTEXT["snippet"]["text"]},
        id="region-outside-context",
    ),
    # ---- messages ----
    # A message template: message.id resolved through the rule's messageStrings.
    pytest.param(
        _one(
            _result(message={"id": "default", "arguments": ["ptr", "8"]}),
            rules=[
                {
                    "id": "R1",
                    "messageStrings": {
                        "default": {"text": 'Variable "{0}" is used before line {1}.'}
                    },
                }
            ],
        ),
        {"message": 'Variable "ptr" is used before line 8.'},
        id="message-template",
    ),
    # A placeholder without an argument stays as written.
    pytest.param(
        _one(
            _result(message={"id": "two", "arguments": ["a"]}),
            rules=[{"id": "R1", "messageStrings": {"two": {"markdown": "`{0}` then {1}"}}}],
        ),
        {"message": "`a` then {1}"},
        id="message-template-missing-argument",
    ),
    # Markdown only.
    pytest.param(
        _one(_result(message={"markdown": "Use `sha256`."})),
        {"message": "Use `sha256`."},
        id="message-markdown",
    ),
    # No message: the rule's short description.
    pytest.param(
        _one(
            _result(message={}),
            rules=[{"id": "R1", "shortDescription": {"text": "Weak hash"}}],
        ),
        {"message": "Weak hash", "rule_name": "Weak hash"},
        id="message-from-short-description",
    ),
    # No message and no rule: the rule id.
    pytest.param(
        _one(_result(message=None)),
        {"message": "R1"},
        id="message-fallback-rule-id",
    ),
    # ---- locations ----
    # The artifact by `index` into run.artifacts.
    pytest.param(
        _one(
            _result(
                locations=[
                    {
                        "physicalLocation": {
                            "artifactLocation": {"index": 1},
                            "region": {"startLine": 5},
                        }
                    }
                ]
            ),
            artifacts=[{"location": {"uri": "a.py"}}, {"location": {"uri": "pkg/b.py"}}],
        ),
        {"path": "pkg/b.py", "start_line": 5},
        id="artifact-by-index",
    ),
    # A file:/// URI with percent-encoding.
    pytest.param(
        _one(_located({"startLine": 1}, uri="file:///home/dev/my%20project/app.py")),
        {"path": "/home/dev/my project/app.py"},
        id="file-uri-percent-encoded",
    ),
    # A Windows file URI loses the slash before the drive.
    pytest.param(
        _one(_located({"startLine": 1}, uri="file:///C:/code/file1.c")),
        {"path": "C:/code/file1.c"},
        id="file-uri-windows-drive",
    ),
    # A relative URI with ./ and backslashes.
    pytest.param(
        _one(_located({"startLine": 1}, uri=".\\src\\web%5Fapp\\views.py")),
        {"path": "src/web_app/views.py"},
        id="relative-uri-backslashes",
    ),
    # No location at all: the analysis target.
    pytest.param(
        _one(_result(locations=[], analysisTarget={"uri": "lib/x.c"})),
        {"path": "lib/x.c", "start_line": None},
        id="analysis-target",
    ),
    # ---- rules ----
    # By ruleIndex, with no ruleId on the result.
    pytest.param(
        _one(
            {"ruleIndex": 1, "message": {"text": "m"}},
            rules=[
                {"id": "R0", "defaultConfiguration": {"level": "note"}},
                {"id": "R9", "defaultConfiguration": {"level": "error"}, "name": "NineRule"},
            ],
        ),
        {"rule_id": "R9", "rule_name": "NineRule", "severity": Severity.HIGH},
        id="rule-by-index",
    ),
    # By ruleId when there is no index.
    pytest.param(
        _one(
            _result(ruleId="R9"),
            rules=[
                {"id": "R0", "defaultConfiguration": {"level": "note"}},
                {"id": "R9", "defaultConfiguration": {"level": "error"}},
            ],
        ),
        {"rule_id": "R9", "severity": Severity.HIGH},
        id="rule-by-id",
    ),
    # A hierarchical id: the base rule carries the metadata; the result keeps its own id.
    pytest.param(
        _one(
            _result(ruleId="C2001/1"),
            rules=[
                {
                    "id": "C2001",
                    "defaultConfiguration": {"level": "error"},
                    "properties": {"tags": ["external/cwe/cwe-457"]},
                }
            ],
        ),
        {"rule_id": "C2001/1", "severity": Severity.HIGH, "cwe_ids": [457]},
        id="rule-hierarchical-id",
    ),
    # An extension's rule, by rule index within rule.toolComponent.index (not the driver's
    # rule at that index).
    pytest.param(
        _EXTENSION_BY_INDEX,
        {
            "tool": "codeql",
            "tool_version": "2.15.0",
            "rule_id": "py/sql-injection",
            "severity": Severity.HIGH,
            "cwe_ids": [89],
        },
        id="extension-rule-by-component-index",
    ),
    # An extension's rule found by id alone.
    pytest.param(
        _log(
            {
                "tool": {
                    "driver": {"name": "CodeQL", "rules": []},
                    "extensions": [
                        {
                            "name": "codeql/python-queries",
                            "rules": [
                                {
                                    "id": "py/sql-injection",
                                    "properties": {
                                        "security-severity": "8.8",
                                        "tags": ["external/cwe/cwe-089"],
                                    },
                                }
                            ],
                        }
                    ],
                },
                "results": [_result(ruleId="py/sql-injection")],
            }
        ),
        {"severity": Severity.HIGH, "tool_severity": "8.8", "cwe_ids": [89], "tool": "codeql"},
        id="extension-rule-by-id",
    ),
    # ---- tools ----
    # Semgrep's local-folder rule-id prefix is dropped from our own rules' ids.
    pytest.param(
        _one(
            _result(ruleId="detectors.rules.python.flywheel.python.weak-hash"),
            name="Semgrep OSS",
            driver={"semanticVersion": "1.182.0"},
        ),
        {
            "tool": "semgrep",
            "tool_version": "1.182.0",
            "rule_id": "flywheel.python.weak-hash",
        },
        id="semgrep-local-rule-prefix",
    ),
    # Gitleaks v7 names itself with its version: tool gitleaks, the version from the name, a
    # secret (CWE-798 by default), and the offender kept as a secret value for redaction.
    pytest.param(
        _one(
            _result(properties={"offender": "AKIAIOSFODNN7EXAMPLE", "commit": "6d127980966808f7"}),
            name="Gitleaks v7.4.0",
        ),
        {
            "tool": "gitleaks",
            "tool_version": "7.4.0",
            "kind": Kind.SECRET,
            "cwe_ids": [798],
            "secrets": ["AKIAIOSFODNN7EXAMPLE"],
            "commit": "6d127980966808f7",
            "severity": Severity.HIGH,
        },
        id="gitleaks-v7-offender",
    ),
    # A redacted offender is not a secret value.
    pytest.param(
        _one(_result(properties={"offender": "REDACTED"}), name="gitleaks"),
        {"secrets": []},
        id="gitleaks-redacted-offender",
    ),
    # A rule tagged `secret`: kind secret, whatever the tool.
    pytest.param(
        _one(_result(), rules=[{"id": "R1", "properties": {"tags": ["Secret"]}}]),
        {"kind": Kind.SECRET},
        id="rule-tagged-secret",
    ),
    # dependency-check: SCA by default; a rule id that is a CVE is a vuln id.
    pytest.param(
        _one(_result(ruleId="CVE-2020-11022"), name="dependency-check"),
        {"kind": Kind.SCA, "vuln_ids": ["CVE-2020-11022"]},
        id="dependency-check-cve-rule",
    ),
    # A result without any rule id: a stand-in naming the tool.
    pytest.param(
        _one({"message": {"text": "AWS Access Key secret detected"}}, name="Gitleaks"),
        {"rule_id": "gitleaks-result", "message": "AWS Access Key secret detected"},
        id="no-rule-id",
    ),
    # fixes[].description beats the rule's help as fix guidance.
    pytest.param(
        _one(
            _result(fixes=[{"description": {"text": "Use sha256."}}]),
            rules=[{"id": "R1", "help": {"text": "Long help."}, "helpUri": "https://x/R1"}],
        ),
        {"fix_guidance": "Use sha256.", "references": ["https://x/R1"]},
        id="fix-description",
    ),
    # The innermost logical location names the enclosing code.
    pytest.param(
        _one(
            _result(
                locations=[
                    {
                        "physicalLocation": {"artifactLocation": {"uri": "a.c"}},
                        "logicalLocations": [{"fullyQualifiedName": "ns::C::f"}],
                    }
                ]
            )
        ),
        {"enclosing": "ns::C::f"},
        id="logical-location",
    ),
]


@pytest.mark.parametrize(("document", "expected"), CASES)
def test_fields(document: dict[str, Any], expected: dict[str, Any]) -> None:
    finding = _only(parse_sarif(document))
    for field, value in expected.items():
        assert getattr(finding, field) == value, field
    assert finding.raw == document["runs"][0]["results"][0]


def test_rule_severity_word_is_the_tool_severity() -> None:
    # A severity word from the RULE's properties: tool_severity is the rule's word, as for the
    # rule's security-severity and default level.
    document = _one(_result(), rules=[{"id": "R1", "properties": {"severity": "High"}}])
    finding = _only(parse_sarif(document))
    assert finding.severity == Severity.HIGH
    assert finding.tool_severity == "High"


def test_severity_word_from_issue_severity_is_the_tool_severity() -> None:
    # `severity` holds a non-word ("7") and `issue_severity` the word that decides: the word
    # is the tool severity, not the value that did not count.
    document = _one(_result(properties={"severity": "7", "issue_severity": "HIGH"}))
    finding = _only(parse_sarif(document))
    assert finding.severity == Severity.HIGH
    assert finding.tool_severity == "HIGH"


# ---- bugs: each of these fails until the parser is fixed ----


def test_ill_typed_result_kind_is_absent() -> None:
    # Regression: `result.get("kind") in _NOT_FINDINGS` (ingest/parsers/sarif.py, `_parse_run`) hashes
    # the value: a `kind` that is an array or an object raises TypeError ("unhashable type:
    # 'list'"), which is no IngestError, so the pipeline crashes instead of reporting the file.
    # fields.py's rule: an optional field of the wrong type is absent. Found by
    # tests/test_fuzz.py (appendix_k4.sarif with its result's "fail" wrapped in a list).
    for kind in (["fail"], {"value": "pass"}):
        report = parse_sarif(_one(_result(kind=kind)))
        assert report.finding_count == 1


def test_long_tool_name_is_parsed_in_linear_time() -> None:
    # Regression: quadratic regular expressions on `tool.driver.name`, which the report's author
    # controls: `normalize_tool_name` (core/tools.py, r"\s+v?\d+(\.\d+)*([-+.\w]*)?$": `\d+`
    # and `[-+.\w]*` both match digits, and the `$` fails at the "!") and the version-from-name
    # search in `_parse_run` (r"v?(\d+\.\d+(\.\d+)?)\s*$", tried from every digit). A
    # 20,000-character name takes ~4 s, 40,000 ~15 s, 400 kB ~25 min: one report stalls
    # ingest. Linear matching takes milliseconds.
    name = "Scanner " + "1" * 20_000 + "!"
    started = time.perf_counter()
    report = parse_sarif(_one(_result(), name=name))
    elapsed = time.perf_counter() - started
    assert report.finding_count == 1
    assert elapsed < 0.5, f"{elapsed:.1f} s to read a tool name of {len(name):,} characters"


def test_baseline_state_absent_is_not_a_finding() -> None:
    # Regression: SARIF 2.1.0 (3.27.24) defines baselineState "absent" as "detected in the baseline
    # run but not detected in the current run": the result reports a finding that is GONE.
    # The parser returns it as a finding like any other (baseline_state="absent"), so ingest
    # stores it as seen in this scan: the lifecycle keeps it open, or reopens it if it was
    # fixed. It should not be a finding of this run (like kind "pass").
    document = _one(_result(ruleId="R1", baselineState="absent"), _result(ruleId="R2"))
    report = parse_sarif(document)
    assert [f.rule_id for f in report.runs[0].findings] == ["R2"]


def test_extension_rule_by_id_wins_over_a_driver_rule_of_the_same_id() -> None:
    # Regression: a result naming its rule by id within extension 0 (`rule.toolComponent.index` = 0,
    # no index) is matched against one id table built driver-first (`rules_by_id`), so the
    # DRIVER's rule of the same id is used: severity low (the driver rule's "note") instead
    # of high (the extension rule's "error"). SARIF 3.52.7: the toolComponent says which
    # component's rule it is.
    document = _log(
        {
            "tool": {
                "driver": {
                    "name": "CodeQL",
                    "rules": [{"id": "S1", "defaultConfiguration": {"level": "note"}}],
                },
                "extensions": [
                    {
                        "name": "pack",
                        "rules": [{"id": "S1", "defaultConfiguration": {"level": "error"}}],
                    }
                ],
            },
            "results": [_result(ruleId="S1", rule={"id": "S1", "toolComponent": {"index": 0}})],
        }
    )
    finding = _only(parse_sarif(document))
    assert finding.severity == Severity.HIGH


# ---- documents, runs, results ----


def test_pass_and_not_applicable_results_are_not_findings() -> None:
    kinds = [None, "fail", "pass", "open", "notApplicable", "review", "informational"]
    document = _one(*[_result(ruleId=f"R{i}", kind=k) for i, k in enumerate(kinds)])
    # Each kept result is identified by its rule id: 0 (no kind), 1 fail, 3 open, 5 review,
    # 6 informational.
    report = parse_sarif(document)
    assert [f.rule_id for f in report.runs[0].findings] == ["R0", "R1", "R3", "R5", "R6"]


def test_runs_of_different_tools() -> None:
    document = _log(
        _run(_result(ruleId="py/xss"), _result(ruleId="py/sqli"), name="CodeQL"),
        _run(_result(ruleId="python.flask.debug"), name="Semgrep OSS"),
        _run(name="Trivy", driver={"version": "0.50.1"}),
    )
    report = parse_sarif(document)
    assert report.format == "sarif"
    assert [(run.tool, run.tool_version, len(run.findings)) for run in report.runs] == [
        ("codeql", None, 2),
        ("semgrep", None, 1),
        ("trivy", "0.50.1", 0),
    ]
    assert [f.tool for run in report.runs for f in run.findings] == [
        "codeql",
        "codeql",
        "semgrep",
    ]


def test_run_provenance_and_time() -> None:
    document = _one(
        _result(),
        versionControlProvenance=[
            {
                "repositoryUri": "https://github.com/acme/shop",
                "revisionId": "5da53fbb2a0aaa12d648b73984acc9aac2e11c2a",
                "branch": "main",
            }
        ],
        invocations=[
            {
                "executionSuccessful": True,
                "startTimeUtc": "2024-05-01T10:00:00Z",
                "endTimeUtc": "2024-05-01T10:04:30.5Z",
            }
        ],
    )
    run = parse_sarif(document).runs[0]
    assert run.repository == "https://github.com/acme/shop"
    assert run.commit == "5da53fbb2a0aaa12d648b73984acc9aac2e11c2a"
    assert run.scanned_at == datetime(2024, 5, 1, 10, 4, 30, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("invocations", "expected"),
    [
        # Only a start time: used.
        ([{"startTimeUtc": "2024-05-01T10:00:00Z"}], datetime(2024, 5, 1, 10, tzinfo=UTC)),
        # A time without a zone: SARIF's times are UTC ("endTimeUtc"), so it is read as UTC.
        ([{"endTimeUtc": "2024-05-01T10:00:00"}], datetime(2024, 5, 1, 10, tzinfo=UTC)),
        # Not a time.
        ([{"endTimeUtc": "yesterday"}], None),
        # The first invocation with a time.
        (
            [{"commandLine": "x"}, {"endTimeUtc": "2024-05-02T00:00:00+02:00"}],
            datetime(2024, 5, 1, 22, tzinfo=UTC),
        ),
    ],
    ids=["start-time-only", "naive-time", "not-a-time", "second-invocation"],
)
def test_scanned_at(invocations: list[Any], expected: datetime | None) -> None:
    assert parse_sarif(_one(invocations=invocations)).runs[0].scanned_at == expected


def test_run_without_results_and_log_without_runs() -> None:
    # A run may omit results: no findings, no error.
    report = parse_sarif(_log({"tool": {"driver": {"name": "X"}}}))
    assert [(run.tool, run.findings) for run in report.runs] == [("x", [])]
    # A log without runs: nothing, with a warning.
    empty = parse_sarif(_log())
    assert empty.runs == [] and len(empty.warnings) == 1


@pytest.mark.parametrize(
    ("document", "error", "says"),
    [
        # SARIF 2.0.0 (or anything but 2.1.0) is not read: the message names the version.
        ({"version": "2.0.0", "runs": []}, UnsupportedFormat, "'2.0.0'"),
        # No version at all.
        ({"$schema": "sarif", "runs": []}, UnsupportedFormat, "None"),
        # `runs` not an array.
        ({"version": "2.1.0", "runs": {"tool": {}}}, MalformedReport, "runs:"),
        # A run that is not an object.
        (_log("run"), MalformedReport, "runs[0]:"),
        # A result that is not an object.
        (_one(_result(), 42), MalformedReport, "runs[0].results[1]:"),
        # results not an array.
        (
            _log({"tool": {"driver": {"name": "X"}}, "results": {}}),
            MalformedReport,
            "runs[0].results:",
        ),
        # A run without tool.driver.
        (_log({"tool": {}, "results": []}), MalformedReport, "runs[0].tool.driver:"),
        # Not an object at all.
        ([{"version": "2.1.0"}], MalformedReport, "document:"),
    ],
    ids=[
        "version-2.0.0",
        "no-version",
        "runs-not-array",
        "run-not-object",
        "result-not-object",
        "results-not-array",
        "no-tool-driver",
        "document-not-object",
    ],
)
def test_bad_input(document: Any, error: type[Exception], says: str) -> None:
    with pytest.raises(error) as caught:
        parse_sarif(document)
    assert says in str(caught.value)
    if error is MalformedReport:
        assert caught.value.reason.startswith(says)


def test_unsupported_version_says_what_is_read() -> None:
    with pytest.raises(UnsupportedFormat) as caught:
        parse_sarif({"version": "2.0.0", "runs": []})
    assert caught.value.detected == "sarif"
    assert "2.1.0" in caught.value.hint


# ---- files in the repository ----


def _repo_file(*parts: str) -> Any:
    return parse_sarif(json.loads(REPO_ROOT.joinpath(*parts).read_text(encoding="utf-8")))


def test_snyk_code_fixture() -> None:
    report = _repo_file("tests", "fixtures", "reports", "snyk", "snyk_code.sarif")
    assert [(run.tool, run.tool_version) for run in report.runs] == [("snyk", "1.0.0")]
    findings = report.runs[0].findings
    assert [(f.rule_id, f.cwe_ids, f.severity, f.suppressed) for f in findings] == [
        ("python/Sqli", [89], Severity.HIGH, False),
        ("python/InsecureHash", [916], Severity.LOW, True),
        ("python/PT", [23], Severity.MEDIUM, False),
    ]
    sqli, md5, pt = findings
    assert sqli.path == "app/db.py" and sqli.start_line == 31 and sqli.start_column == 5
    assert sqli.message.startswith("Unsanitized input from an HTTP parameter flows into execute")
    assert sqli.confidence == "very-high"
    assert sqli.tool_fingerprint is not None
    assert sqli.tool_fingerprint.startswith("0=5e0d1c7a9b2f4e6d")
    assert "|1=a1b2c3d4." in sqli.tool_fingerprint
    assert sqli.fix_guidance is not None and "parameterized queries" in sqli.fix_guidance
    assert md5.suppression == "external: Digest is only used as a cache key, not for passwords"
    assert pt.path == "app/files.py"


def test_semgrep_example_sarif() -> None:
    report = _repo_file("examples", "reports", "semgrep.sarif")
    assert [(run.tool, run.tool_version) for run in report.runs] == [("semgrep", "1.182.0")]
    findings = report.runs[0].findings
    assert len(findings) == 22
    # Our own rules, with the local-folder prefix dropped.
    assert all(f.rule_id.startswith("flywheel.python.") for f in findings)
    # Not logged in: "requires login" is no fingerprint.
    assert {f.tool_fingerprint for f in findings} == {None}
    first = findings[0]
    assert (first.rule_id, first.path, first.start_line, first.start_column) == (
        "flywheel.python.weak-hash",
        "app/crypto.py",
        9,
        12,
    )
    assert first.cwe_ids == [328]
    assert (first.severity, first.tool_severity) == (Severity.MEDIUM, "warning")
    assert first.flagged_text == "    return hashlib.md5(password.encode()).hexdigest()"
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["flywheel.python.hardcoded-credential"].cwe_ids == [798]
    assert by_rule["flywheel.python.hardcoded-credential"].severity == Severity.HIGH
    assert sum(f.rule_id == "flywheel.python.hardcoded-credential" for f in findings) == 4


# ---- real reports by others (../shared/data/scans/sarif) ----

# Finding counts, verified by reading each file: every result is a finding (none has kind
# "pass" or "notApplicable"); appendix_k1 and no_runs have none.
REAL_COUNTS = {
    "appendix_k.sarif": 1,  # one result of kind "fail", suppressed (legacy `state`)
    "appendix_k1.sarif": 0,  # a run with an empty results array
    "appendix_k2.sarif": 1,  # a message template
    "appendix_k3.sarif": 1,  # a logical location only
    "appendix_k4.sarif": 1,  # appendix_k with `status` and baselineState "unchanged"
    "bash-report.sarif": 27,
    "codeQL-output.sarif": 72,
    "dependency_check.sarif": 13,
    "gitleaks_7.5.0.sarif": 8,
    "no_runs.sarif": 0,  # "runs": []
    "semgrepowasp-benchmark-sample.sarif": 1768,
    "spotbugs.sarif": 56,
    "suppression_test.sarif": 5,  # 3 suppressed, one with "suppressions": []
    "taint-python-report.sarif": 11,
}


def _real(name: str) -> Any:
    with shared_path("scans", "sarif", name).open(encoding="utf-8") as handle:
        return parse_sarif(json.load(handle))


@pytest.mark.shared_data
@pytest.mark.parametrize(("name", "count"), sorted(REAL_COUNTS.items()))
def test_real_file_counts(name: str, count: int) -> None:
    assert _real(name).finding_count == count


@pytest.mark.shared_data
def test_real_files_all_listed() -> None:
    folder = shared_path("scans", "sarif")
    assert sorted(p.name for p in folder.glob("*.sarif")) == sorted(REAL_COUNTS)


@pytest.mark.shared_data
def test_real_suppressions() -> None:
    findings = _real("suppression_test.sarif").runs[0].findings
    assert [f.suppressed for f in findings] == [True, True, True, False, False]
    assert [f.suppression for f in findings[:3]] == ["external", "external", "inSource"]
    assert findings[0].path == "C:/code/file1.c"


@pytest.mark.shared_data
def test_real_codeql() -> None:
    report = _real("codeQL-output.sarif")
    run = report.runs[0]
    assert (run.tool, run.tool_version) == ("codeql", "2.5.4")
    findings = run.findings
    first = findings[0]
    assert (first.rule_id, first.path, first.start_line) == (
        "py/empty-except",
        "good/db_init.py",
        39,
    )
    assert first.cwe_ids == [390]
    assert first.tool_fingerprint == "primaryLocationLineHash=9cbc869fbfffeb60:1"
    assert (first.severity, first.tool_severity) == (Severity.LOW, "note")
    assert first.flagged_text == "    except FileNotFoundError:"
    assert first.snippet_start_line == 37
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["py/sql-injection"].cwe_ids == [89]
    assert by_rule["py/reflective-xss"].cwe_ids == [79, 116]
    assert by_rule["py/path-injection"].cwe_ids == [22, 23, 36, 73, 99]
    sqli = [f for f in findings if f.rule_id == "py/sql-injection"]
    assert [(f.path, f.start_line, f.tool_fingerprint) for f in sqli] == [
        ("bad/libuser.py", 12, "primaryLocationLineHash=87f19d40ee7aefaf:1"),
        ("bad/libuser.py", 25, "primaryLocationLineHash=dca96e071a47ec37:1"),
    ]
    assert all(f.severity == Severity.HIGH for f in sqli)
    assert all(f.tool_fingerprint for f in findings)


@pytest.mark.shared_data
def test_real_taint_python_report() -> None:
    run = _real("taint-python-report.sarif").runs[0]
    assert run.repository == "https://github.com/damiencarol/django-DefectDojo"
    assert run.commit == "288c68d1ba1f35ebeff1d1bdb032186a23f0ea5b"
    assert run.scanned_at == datetime(2021, 3, 8, 15, 46, 16, tzinfo=UTC)
    first = run.findings[0]
    assert first.rule_id == "taint-xmli"
    assert first.path == "/home/damien/dd/dojo/tools/veracode/parser.py"
    # issue_severity HIGH (a word) over the level.
    assert (first.severity, first.tool_severity, first.confidence) == (
        Severity.HIGH,
        "HIGH",
        "high",
    )
    assert first.baseline_state == "new"
    # The flagged line cut from a context snippet that starts with an empty line.
    assert first.flagged_text == "    def get_findings(self, filename, test):"
    assert first.snippet_start_line == 34
    # scan* partial fingerprints are not CodeQL's line hash.
    assert first.tool_fingerprint is None


@pytest.mark.shared_data
def test_real_gitleaks() -> None:
    run = _real("gitleaks_7.5.0.sarif").runs[0]
    assert run.tool == "gitleaks"
    assert {(f.kind, f.severity, tuple(f.cwe_ids)) for f in run.findings} == {
        (Kind.SECRET, Severity.HIGH, (798,))
    }
    first = run.findings[0]
    assert first.secrets == ["AKIAIOSFODNN7EXAMPLE"]
    assert first.commit == "6d127980966808f7413935678e079dcd7fedf9c2"
    assert first.start_line == 13


@pytest.mark.shared_data
def test_real_appendix_k() -> None:
    k = _only(_real("appendix_k.sarif"))
    # {1} is the argument "0": the related location's id, as the spec's sample writes it.
    assert k.message == (
        'Variable "ptr" was used without being initialized. It was declared [here](0).'
    )
    assert (k.suppressed, k.suppression, k.baseline_state) == (True, "external", "existing")
    assert (k.path, k.start_line, k.enclosing) == (
        "collections/list.h",
        15,
        "collections::list::add",
    )
    assert k.severity == Severity.HIGH
    run = _real("appendix_k.sarif").runs[0]
    assert run.repository == "https://github.com/example-corp/browser"
    assert run.commit == "5da53fbb2a0aaa12d648b73984acc9aac2e11c2a"
    assert run.scanned_at == datetime(2016, 7, 16, 14, 19, 1, tzinfo=UTC)
    k4 = _only(_real("appendix_k4.sarif"))
    assert (k4.suppressed, k4.baseline_state) == (True, "unchanged")
    k2 = _only(_real("appendix_k2.sarif"))
    assert k2.message == 'Variable "count" was used without being initialized.'
    assert k2.path == "src/collections/list.cpp"
    k3 = _only(_real("appendix_k3.sarif"))
    assert (k3.path, k3.enclosing) == (None, "Example.Worker.DoWork")


@pytest.mark.shared_data
def test_real_other_tools() -> None:
    semgrep = _real("semgrepowasp-benchmark-sample.sarif").runs[0]
    assert (semgrep.tool, semgrep.tool_version) == ("semgrep", "0.17.0")
    assert semgrep.findings[0].rule_id == (
        "java.lang.security.audit.cbc-padding-oracle.cbc-padding-oracle"
    )
    spotbugs = _real("spotbugs.sarif").runs[0]
    assert spotbugs.tool == "spotbugs"
    assert spotbugs.findings[0].enclosing == "Boot.main(String[])"
    dependency_check = _real("dependency_check.sarif").runs[0]
    assert dependency_check.tool == "dependency-check"
    assert {f.kind for f in dependency_check.findings} == {Kind.SCA}
    # RetireJS entries carry a severity word that beats their level "error".
    first = dependency_check.findings[0]
    assert (first.severity, first.tool_severity) == (Severity.LOW, "low")
    cves = [f for f in dependency_check.findings if f.rule_id.startswith("CVE-")]
    assert len(cves) == 9 and all(f.vuln_ids == [f.rule_id] for f in cves)
    bash = _real("bash-report.sarif").runs[0]
    assert bash.tool == "shell-script-analysis"
    assert bash.commit == "288c68d1ba1f35ebeff1d1bdb032186a23f0ea5b"


_SECRET_LINE = 'TOKEN_A = "Zq9xWv7LmQ4rT8yU2iO6pA3sD5fG7hJ9kL1zX"'


@pytest.mark.parametrize(
    ("rule", "region", "secrets"),
    [
        # Semgrep: the rule id's "secrets" segment; the snippet holds the whole line.
        pytest.param(
            {"id": "generic.secrets.security.detected-token"},
            {"startLine": 3, "startColumn": 12, "endColumn": 49, "snippet": {"text": _SECRET_LINE}},
            [_SECRET_LINE[11:48]],
            id="whole-line-snippet",
        ),
        # As SARIF defines the snippet: the region's own text.
        pytest.param(
            {"id": "R1", "properties": {"tags": ["secret"]}},
            {
                "startLine": 3,
                "startColumn": 12,
                "endColumn": 49,
                "snippet": {"text": _SECRET_LINE[11:48]},
            },
            [_SECRET_LINE[11:48]],
            id="region-snippet",
        ),
        # No columns: the span is unknown, nothing is guessed (the patterns still apply).
        pytest.param(
            {"id": "generic.secrets.security.detected-token"},
            {"startLine": 3, "snippet": {"text": _SECRET_LINE}},
            [],
            id="no-columns",
        ),
        # A snippet that is neither the span nor its whole line: nothing is guessed.
        pytest.param(
            {"id": "generic.secrets.security.detected-token"},
            {"startLine": 3, "startColumn": 12, "endColumn": 90, "snippet": {"text": _SECRET_LINE}},
            [],
            id="columns-past-the-snippet",
        ),
    ],
)
def test_a_secrets_rule_without_offender_reports_what_it_matched(
    rule: dict[str, Any], region: dict[str, Any], secrets: list[str]
) -> None:
    result = _located(region)
    result["ruleId"] = rule["id"]
    finding = _only(parse_sarif(_one(result, rules=[rule])))
    assert finding.kind is Kind.SECRET
    assert finding.secrets == secrets


def test_a_rule_id_that_only_mentions_secrets_is_not_a_secrets_rule() -> None:
    rule = {"id": "python.flask.security.hardcoded-secrets-check"}  # no "secrets" segment
    result = _located(
        {"startLine": 3, "startColumn": 1, "endColumn": 5, "snippet": {"text": "x = 1"}}
    )
    result["ruleId"] = rule["id"]
    finding = _only(parse_sarif(_one(result, rules=[rule])))
    assert finding.kind is Kind.SAST
    assert finding.secrets == []


def _gitleaks8(snippet: str) -> dict[str, Any]:
    """A result as Gitleaks 8 writes it (report/sarif.go): no offender, the secret as snippet."""
    result = _located(
        {
            "startLine": 4,
            "endLine": 4,
            "startColumn": 14,
            "endColumn": 53,
            "snippet": {"text": snippet},
        }
    )
    result["ruleId"] = "generic-api-key"
    result["message"] = {"text": "generic-api-key has detected secret for file src/app.py."}
    result["partialFingerprints"] = {"commitSha": "", "email": "", "author": "", "date": ""}
    return result


@pytest.mark.parametrize(
    ("snippet", "secrets"),
    [
        ("e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4", ["e5e9fa1ba31ecd1ae84f75caaa474f3a663f05f4"]),
        ("REDACTED", []),  # gitleaks --redact
    ],
)
def test_gitleaks_8_secret_is_its_snippet(snippet: str, secrets: list[str]) -> None:
    document = _one(_gitleaks8(snippet), name="gitleaks", rules=[{"id": "generic-api-key"}])
    finding = _only(parse_sarif(document))
    assert finding.kind is Kind.SECRET
    assert finding.secrets == secrets


def test_an_inclusive_end_column_still_reads_the_snippet_as_the_region() -> None:
    rule = {"id": "R1", "properties": {"tags": ["secret"]}}
    secret = _SECRET_LINE[11:48]
    region = {"startLine": 3, "startColumn": 12, "endColumn": 48, "snippet": {"text": secret}}
    result = _located(region)
    finding = _only(parse_sarif(_one(result, rules=[rule])))
    assert finding.secrets == [secret]
