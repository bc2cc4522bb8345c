"""CodeShield's Insecure Code Detector rules (MIT, Meta's PurpleLlama), run by our runners.

The rules come from the installed `codeshield` package (never fetched, never copied here):
its generated Semgrep rules for Python (`_generated_/python_cyberseceval.json`) and its regex
rules (`regex/python.yaml`, `regex/language_agnostic.yaml`). CodeShield's own wrapper is not
used: on current Semgrep it fails open (an engine error reads as "no issue"). Here Semgrep runs
through `detectors.semgrep_runner`, which refuses rules that do not load, and the regexes run
line by line in this process. Findings carry tool "codeshield" and the rules' CWE.

This engine is an independent judge: by default it sits on the evaluation side only
(`detectors.engines`), so no reward was ever optimized against it.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import yaml

from core.cwe import parse_cwe
from core.finding import Finding, Kind, ParsedReport, ParsedRun
from core.severity import Severity
from detectors.semgrep_runner import ScannerError, run_semgrep

TOOL = "codeshield"
_SEVERITY = {"error": Severity.HIGH, "warning": Severity.MEDIUM, "advice": Severity.LOW}


def rules_root() -> Path:
    """The installed package's rule folder (found without importing the package)."""
    spec = importlib.util.find_spec("codeshield")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        root = Path(location) / "insecure_code_detector" / "rules"
        if root.is_dir():
            return root
    raise ScannerError(None, "CodeShield's rules are not installed", hint="pip install codeshield")


def semgrep_rules() -> Path:
    path = rules_root() / "semgrep" / "_generated_" / "python_cyberseceval.json"
    if not path.is_file():
        raise ScannerError(path, "CodeShield's Python Semgrep rules are missing")
    return path


class _RegexRule:
    def __init__(self, pattern_id: str, cwe: int | None, description: str, severity: str):
        self.pattern_id, self.cwe, self.description, self.severity = (
            pattern_id,
            cwe,
            description,
            severity,
        )


@functools.cache
def regex_rules() -> tuple[tuple[_RegexRule, re.Pattern[str]], ...]:
    rules = []
    for name in ("python.yaml", "language_agnostic.yaml"):
        path = rules_root() / "regex" / name
        try:
            entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as error:
            raise ScannerError(path, f"CodeShield's regex rules cannot be read: {error}") from None
        for entry in entries:
            try:
                pattern = re.compile(entry["rule"])
            except (KeyError, re.error) as error:
                raise ScannerError(path, f"rule {entry.get('pattern_id')}: {error}") from None
            rule = _RegexRule(
                entry.get("pattern_id") or entry["rule"][:40],
                next(iter(parse_cwe(entry.get("cwe_id"))), None),
                entry.get("description", ""),
                str(entry.get("severity", "warning")).lower(),
            )
            rules.append((rule, pattern))
    return tuple(rules)


def _regex_findings(root: Path, files: Iterable[str]) -> list[Finding]:
    findings = []
    for name in files:
        try:
            text = (root / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        for rule, pattern in regex_rules():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                findings.append(
                    Finding(
                        tool=TOOL,
                        rule_id=f"codeshield.regex.{rule.pattern_id}",
                        message=rule.description,
                        kind=Kind.SECRET if rule.cwe == 798 else Kind.SAST,
                        severity=_SEVERITY.get(rule.severity, Severity.MEDIUM),
                        tool_severity=rule.severity,
                        cwe_ids=[rule.cwe] if rule.cwe else [],
                        path=name,
                        start_line=line,
                        end_line=line,
                    )
                )
    return findings


def run_codeshield(root: Path, files: Iterable[str]) -> ParsedReport:
    """CodeShield's Python rules over `files` (paths relative to `root`)."""
    names = sorted(set(files))
    python = [name for name in names if name.endswith(".py")]
    findings: list[Finding] = []
    warnings: list[str] = []
    if python:
        scanned = run_semgrep(root, rules=semgrep_rules())
        warnings += scanned.warnings
        for run in scanned.runs:
            for finding in run.findings:
                if finding.path in python:
                    finding.tool = TOOL
                    finding.rule_id = f"codeshield.{finding.rule_id.rsplit('.', 1)[-1]}"
                    findings.append(finding)
    findings += _regex_findings(root, names)
    return ParsedReport(
        format="codeshield",
        runs=[ParsedRun(tool=TOOL, tool_version=_version(), findings=findings)],
        warnings=warnings,
    )


@functools.cache
def _version() -> str | None:
    try:
        return version("codeshield")
    except PackageNotFoundError:
        return None
