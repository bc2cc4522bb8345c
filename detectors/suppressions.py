"""Inline suppression comments (`# nosemgrep`, `# nosec`), found by us rather than the tools.

Semgrep and Bandit drop a finding whose line carries their comment, and say nothing. For a
reward that is an exploit: a model learns that `# nosec` makes any code "secure". So both
tools run with suppressions off (they report everything), and this module marks the findings
a comment would have hidden: `flywheel scan` honours them like the tools would (the store
keeps them as suppressed), and the reward ignores them (`EnsembleConfig.honor_suppressions`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from core.finding import Finding

# `# nosemgrep`, `# nosemgrep: rule-a, rule-b`; `# nosec`, `# nosec B602, B607`
_NOSEMGREP = re.compile(r"#\s*nosemgrep\b(?::\s*(?P<ids>[\w.\-, ]+))?", re.IGNORECASE)
_NOSEC = re.compile(r"#\s*nosec\b(?::?\s*(?P<ids>[A-Z]\d{3}(?:[\s,]+[A-Z]\d{3})*))?")


def mark_suppressions(findings: Iterable[Finding], root: Path) -> None:
    """Mark each Semgrep or Bandit finding that an inline comment of its tool suppresses."""
    cache: dict[str, list[str] | None] = {}
    for finding in findings:
        if finding.tool not in ("semgrep", "bandit") or not finding.path or not finding.start_line:
            continue
        if finding.path not in cache:
            try:
                text = (root / finding.path).read_text(encoding="utf-8", errors="replace")
                cache[finding.path] = text.splitlines()
            except OSError:
                cache[finding.path] = None
        lines = cache[finding.path]
        if not lines:
            continue
        start = finding.start_line
        end = max(finding.end_line or start, start)
        if finding.tool == "semgrep":
            # Semgrep also honours a comment alone on the line above the finding.
            above = lines[start - 2] if start >= 2 else ""
            candidates = ([above] if above.lstrip().startswith("#") else []) + lines[
                start - 1 : end
            ]
            comment = _match(_NOSEMGREP, candidates, finding.rule_id, _same_rule)
            name = "nosemgrep"
        else:
            candidates = lines[start - 1 : end]
            comment = _match(_NOSEC, candidates, finding.rule_id, lambda a, b: a == b)
            name = "nosec"
        if comment:
            values = finding.__dict__
            values["suppressed"] = True
            values["suppression"] = f"{name} comment (inline): {comment}"


def _same_rule(wanted: str, rule_id: str) -> bool:
    """`# nosemgrep: sql-injection` names `flywheel.python.sql-injection`, not
    `...nosql-injection`: the id or its last dotted parts."""
    return rule_id == wanted or rule_id.endswith("." + wanted)


def _match(pattern: re.Pattern[str], lines: list[str], rule_id: str, same) -> str | None:
    for line in lines:
        for match in pattern.finditer(line):
            ids = match.group("ids")
            if not ids:
                return match.group(0).strip()
            wanted = [i.strip() for i in re.split(r"[\s,]+", ids) if i.strip()]
            if any(same(w, rule_id) for w in wanted):
                return match.group(0).strip()
    return None
