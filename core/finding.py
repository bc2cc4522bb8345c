"""The one contract between stages: a normalized, tool-agnostic finding.

Parsers build `Finding`s from a tool's document; the pipeline adds code context, redacts
secrets and computes identity; the store keeps them (`store.tables.FindingRecord`
adds provenance and lifecycle). Every later stage reads findings in this shape.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.severity import Severity


class Kind(StrEnum):
    SAST = "sast"  # a weakness in first-party code
    SCA = "sca"  # a known vulnerability in a dependency
    SECRET = "secret"  # a credential in code or history
    IAC = "iac"  # a misconfiguration in infrastructure code (Dockerfile, k8s, terraform)


class Status(StrEnum):
    """Lifecycle of a stored finding across scans of the same repository, service and tool."""

    OPEN = "open"
    FIXED = "fixed"  # absent from a newer scan of its scope
    REOPENED = "reopened"  # seen again after it was fixed
    SUPPRESSED = (
        "suppressed"  # the tool reported it as suppressed (nosemgrep, SARIF suppressions ...)
    )


class Finding(BaseModel):
    """A normalized finding, as ingest hands it on.

    Identity fields (`fingerprint`, `match_key`, `cross_tool_key`) are empty when a parser
    returns the finding and are filled by `core.identity`; docs/identity.md explains them.
    """

    model_config = ConfigDict(extra="forbid")

    # What the tool said.
    tool: str  # normalized lower-case name: semgrep, bandit, codeql, trivy, gitleaks ...
    tool_version: str | None = None
    rule_id: str
    rule_name: str | None = None
    message: str
    kind: Kind = Kind.SAST
    severity: Severity
    tool_severity: str | None = None  # the tool's own value, verbatim ("ERROR", "7.5", "MODERATE")
    confidence: str | None = None  # the tool's own confidence, lower-cased (high, medium, low)
    cwe_ids: list[int] = Field(default_factory=list)
    vuln_ids: list[str] = Field(default_factory=list)  # CVE first, then GHSA, then the rest
    fix_guidance: str | None = None
    references: list[str] = Field(default_factory=list)

    # Dependency (SCA).
    package: str | None = None
    package_version: str | None = None  # installed
    fixed_version: str | None = None
    ecosystem: str | None = None

    # Where.
    repository: str = ""
    service: str = ""
    commit: str | None = None
    path: str | None = None  # POSIX, relative to the repository root where that is known
    start_line: int | None = None
    end_line: int | None = None
    start_column: int | None = None
    end_column: int | None = None

    # Code context (from the report, or from the repository with --repo).
    flagged_text: str | None = None  # the whole flagged lines
    snippet: str | None = None  # the flagged lines with surrounding lines
    snippet_start_line: int | None = None
    enclosing: str | None = None  # innermost enclosing function or class, e.g. "def login"
    language: str | None = None
    framework: str | None = None

    # Triage state the tool itself reported.
    suppressed: bool = False
    suppression: str | None = None  # kind and justification of the suppression
    baseline_state: str | None = None  # SARIF baselineState: new, unchanged, updated, absent

    # Identity (see docs/identity.md).
    tool_fingerprint: str | None = None  # the tool's own, only when it is stable and real
    fingerprint: str = ""
    match_key: str = ""
    cross_tool_key: str = ""

    # The tool's record as it was (after redaction), for anything we did not normalize.
    raw: dict[str, Any] = Field(default_factory=dict)

    # Secret values a secret scanner reported. Used to redact this finding (and its report),
    # then cleared: never stored, never serialized.
    secrets: list[str] = Field(default_factory=list, exclude=True, repr=False)


class ParsedRun(BaseModel):
    """One tool's run inside a report (SARIF reports can hold several)."""

    tool: str
    tool_version: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    repository: str | None = None  # when the report names it (SARIF versionControlProvenance)
    commit: str | None = None
    scanned_at: datetime | None = None


class ParsedReport(BaseModel):
    """What a parser returns: the document's runs, and anything the reader should know."""

    format: str
    runs: list[ParsedRun] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def finding_count(self) -> int:
        return sum(len(run.findings) for run in self.runs)
