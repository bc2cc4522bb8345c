"""Each tool's severities mapped onto one scale: critical, high, medium, low, info.

One table per tool, here and (generated from here) in docs/severity.md; a test keeps the two
equal. Numeric scores (CVSS, SARIF `security-severity`) use the CVSS v3 bands, as GitHub code
scanning does.

Choices worth knowing:
- A known vulnerability with no rating (pip-audit has none, Grype/Trivy "Unknown") is
  `medium`: an unrated CVE in a dependency should not sink below the noise.
- A secret with no rating (Gitleaks has none) is `high`: a leaked credential is exploitable as is.
- Semgrep ERROR/WARNING/INFO are high/medium/low: Semgrep documents ERROR as "high".
"""

from __future__ import annotations

import math
import re
from enum import StrEnum


class Severity(StrEnum):
    """One scale for every tool (see docs/severity.md for each tool's mapping)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """4 for critical down to 0 for info: for sorting and thresholds."""
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


C, H, M, L, INFO = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO)

# Keys are lower-cased tool values.
SEVERITY_TABLES: dict[str, dict[str, Severity]] = {
    "sarif level": {"error": H, "warning": M, "note": L, "none": INFO},
    "semgrep": {
        "critical": C,
        "error": H,
        "high": H,
        "warning": M,
        "medium": M,
        "info": L,
        "low": L,
        "inventory": INFO,
        "experiment": INFO,
    },
    "bandit": {"high": H, "medium": M, "low": L, "undefined": INFO},
    "trivy": {"critical": C, "high": H, "medium": M, "low": L, "unknown": M},
    "pip-audit": {"": M},
    "osv-scanner": {"critical": C, "high": H, "moderate": M, "medium": M, "low": L, "": M},
    "gitleaks": {"": H},
    "snyk": {"critical": C, "high": H, "medium": M, "low": L},
    "grype": {"critical": C, "high": H, "medium": M, "low": L, "negligible": INFO, "unknown": M},
}

# Numeric scores (0-10): lower bound of each band.
CVSS_BANDS: tuple[tuple[float, Severity], ...] = (
    (9.0, C),
    (7.0, H),
    (4.0, M),
    (0.1, L),
    (0.0, INFO),
)


def from_table(tool: str, value: str | None, default: Severity = M) -> Severity:
    """Map a tool's severity word; unknown words fall back to `default`."""
    table = SEVERITY_TABLES[tool]
    key = (value or "").strip().lower()
    if key in table:
        return table[key]
    return table.get("", default)


def from_score(score: float) -> Severity:
    """CVSS-style 0-10 score to the scale (9+ critical, 7+ high, 4+ medium, >0 low, 0 info)."""
    for bound, severity in CVSS_BANDS:
        if score >= bound:
            return severity
    return INFO


def parse_score(value: object) -> float | None:
    """A 0-10 score from a number or a numeric string; None when it is neither or out of range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        score = float(value)
    elif isinstance(value, str):
        try:
            score = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    if math.isnan(score) or not 0.0 <= score <= 10.0:
        return None
    return score


# CVSS v3.x base score, from the specification's formulas (section 7.1), so vectors that
# come without a score (OSV, GHSA) still get a severity.
_V3_WEIGHTS = {
    "AV": {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2},
    "AC": {"L": 0.77, "H": 0.44},
    "UI": {"N": 0.85, "R": 0.62},
    "C": {"H": 0.56, "L": 0.22, "N": 0.0},
    "I": {"H": 0.56, "L": 0.22, "N": 0.0},
    "A": {"H": 0.56, "L": 0.22, "N": 0.0},
}
_V3_PR = {"U": {"N": 0.85, "L": 0.62, "H": 0.27}, "C": {"N": 0.85, "L": 0.68, "H": 0.5}}
_V3_RE = re.compile(r"^CVSS:3\.[01]/(.+)$")


def _roundup(value: float) -> float:
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000.0
    return (math.floor(scaled / 10_000) + 1) / 10.0


def cvss3_base_score(vector: str) -> float | None:
    """Base score of a CVSS v3.0/v3.1 vector, or None when the vector is not one."""
    match = _V3_RE.match(vector.strip())
    if not match:
        return None
    metrics: dict[str, str] = {}
    for part in match.group(1).split("/"):
        key, _, val = part.partition(":")
        metrics[key] = val
    try:
        scope = metrics["S"]
        iss = 1 - (
            (1 - _V3_WEIGHTS["C"][metrics["C"]])
            * (1 - _V3_WEIGHTS["I"][metrics["I"]])
            * (1 - _V3_WEIGHTS["A"][metrics["A"]])
        )
        if scope == "U":
            impact = 6.42 * iss
        elif scope == "C":
            impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15
        else:
            return None
        exploitability = (
            8.22
            * _V3_WEIGHTS["AV"][metrics["AV"]]
            * _V3_WEIGHTS["AC"][metrics["AC"]]
            * _V3_PR[scope][metrics["PR"]]
            * _V3_WEIGHTS["UI"][metrics["UI"]]
        )
    except KeyError:
        return None
    if impact <= 0:
        return 0.0
    if scope == "U":
        return _roundup(min(impact + exploitability, 10))
    return _roundup(min(1.08 * (impact + exploitability), 10))


def severity_markdown() -> str:
    """docs/severity.md, generated from the tables above."""
    lines = [
        "# Severity mapping",
        "",
        "Generated from `core/severity.py` by `python -m core.severity > docs/severity.md`;",
        "a test fails when the two differ. Every finding keeps the tool's own value in",
        "`tool_severity` beside the normalized `severity`.",
        "",
        "Numeric scores (CVSS, SARIF `security-severity`, OSV `max_severity`) use the CVSS v3",
        "bands: " + ", ".join(f"{s.value} >= {b}" for b, s in CVSS_BANDS[:-1]) + ", info = 0.",
        "CVSS v3 vectors without a score are scored with the specification's base formula.",
        "",
        "SARIF: a rule's or result's `security-severity` wins over `level`; `level` falls back",
        "to the rule's `defaultConfiguration.level`, then to `warning` (the SARIF default).",
        "",
    ]
    for tool, table in SEVERITY_TABLES.items():
        lines += [f"## {tool}", "", "| tool value | severity |", "|---|---|"]
        for value, severity in table.items():
            shown = f"`{value}`" if value else "(none / anything else)"
            lines.append(f"| {shown} | {severity.value} |")
        lines.append("")
    lines += [
        "## Why these defaults",
        "",
        (__doc__ or "").split("Choices worth knowing:")[1].strip(),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(severity_markdown(), end="")
