"""Tool names, and what each tool's findings are by default.

Tools spell their names many ways ("Semgrep OSS", "semgrep", "CodeQL", "SnykCode"); lifecycle
and cross-tool grouping need one name per tool.
"""

from __future__ import annotations

import re

from core.finding import Kind

_ALIASES = {
    "semgrep oss": "semgrep",
    "semgrep pro": "semgrep",
    "semgrep pro engine": "semgrep",
    "semgrep supply chain": "semgrep",
    "snykcode": "snyk",
    "snyk code": "snyk",
    "snyk open source": "snyk",
    "dependency-check": "dependency-check",
    "owasp dependency-check": "dependency-check",
    "gitleaks": "gitleaks",
    "trivy": "trivy",
    "codeql": "codeql",
    "codeql command-line toolchain": "codeql",
    "spotbugs": "spotbugs",
    "pip-audit": "pip-audit",
    "osv-scanner": "osv-scanner",
    "grype": "grype",
    "bandit": "bandit",
}

# Default kind for a tool's findings; a parser may say otherwise per finding.
TOOL_KIND = {
    "gitleaks": Kind.SECRET,
    "trufflehog": Kind.SECRET,
    "detect-secrets": Kind.SECRET,
    "dependency-check": Kind.SCA,
    "pip-audit": Kind.SCA,
    "osv-scanner": Kind.SCA,
    "grype": Kind.SCA,
    "checkov": Kind.IAC,
    "tfsec": Kind.IAC,
    "kics": Kind.IAC,
    "hadolint": Kind.IAC,
}


MAX_TOOL_NAME = 200
# One unambiguous token after the last space: linear time, unlike nested quantifiers.
_TRAILING_VERSION = re.compile(r"\s+v?\d[\w.+-]*$")


def normalize_tool_name(name: str) -> str:
    """'Gitleaks v7.4.0' -> 'gitleaks', 'Semgrep OSS' -> 'semgrep', 'CodeQL' -> 'codeql'."""
    # Real names are short; the report's author controls this one, so bound the work.
    lowered = " ".join(name[:MAX_TOOL_NAME].strip().lower().split())
    if lowered in _ALIASES:
        return _ALIASES[lowered]
    # Drop a trailing version ("gitleaks v7.4.0", "trivy 0.50.1").
    without_version = _TRAILING_VERSION.sub("", lowered)
    if without_version in _ALIASES:
        return _ALIASES[without_version]
    return without_version.replace(" ", "-") or "unknown"


OWN_RULE_NAMESPACE = "flywheel."


def normalize_rule_id(rule_id: str) -> str:
    """Our own Semgrep rules' ids without the path prefix Semgrep adds.

    Semgrep prefixes the ids of rules loaded from a local folder with that folder's path
    (`detectors.rules.python.flywheel.python.weak-hash`), so the same rule would get a
    different id, and every finding a new identity, depending on where the scan ran from.
    """
    marker = rule_id.find("." + OWN_RULE_NAMESPACE)
    return rule_id[marker + 1 :] if marker >= 0 else rule_id


def default_kind(tool: str) -> Kind:
    return TOOL_KIND.get(tool, Kind.SAST)
