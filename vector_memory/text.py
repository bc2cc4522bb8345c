"""What of a finding gets embedded: rule, CWE names, message and code, in that order.

Pure. Secrets were redacted at ingest, before anything reaches here. Whitespace is folded
(indentation carries no meaning for similarity and costs tokens), and the text is cut to a
character budget that fits the model's window, keeping the code nearest the flagged lines:
the head (what the tool says) first, then the flagged text, then the snippet's lines in order
of distance from the finding.
"""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from core.cwe import cwe_name

# ~3.5 characters per word piece for code and English: 900 characters ~ 256 tokens.
DEFAULT_BUDGET = 900
_HEAD_BUDGET = 320
_SPACES = re.compile(r"[ \t\f\v]+")


class Embeddable(Protocol):
    """The fields read (a `Finding` or a stored `FindingRecord`)."""

    rule_id: str
    rule_name: str | None
    message: str
    cwe_ids: list[int]
    flagged_text: str | None
    snippet: str | None
    snippet_start_line: int | None
    start_line: int | None


def fold(text: str) -> str:
    """Runs of spaces collapsed, lines stripped, blank lines dropped."""
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def embedding_text(finding: Embeddable, budget: int = DEFAULT_BUDGET) -> str:
    rule = finding.rule_name or finding.rule_id.rsplit(".", 1)[-1]
    cwes = "; ".join(cwe_name(c) for c in finding.cwe_ids[:3])
    head = fold(" | ".join(part for part in (rule, cwes, finding.message) if part))
    head = head.replace("\n", " ")[:_HEAD_BUDGET]
    left = budget - len(head) - 1
    code = _nearest_code(finding, left) if left > 0 else ""
    return f"{head}\n{code}" if code else head


def text_hash(model: str, text: str) -> str:
    """Identity of an embedding: the same text under the same model is embedded once."""
    return hashlib.blake2b(f"{model}\0{text}".encode(), digest_size=16).hexdigest()


def _nearest_code(finding: Embeddable, budget: int) -> str:
    flagged = fold(finding.flagged_text or "")
    snippet_lines = [fold(line) for line in (finding.snippet or "").splitlines()]
    if not snippet_lines:
        return flagged[:budget]
    # Line index of the finding inside the snippet (its middle when unknown).
    center = len(snippet_lines) // 2
    if finding.start_line and finding.snippet_start_line:
        center = min(
            max(finding.start_line - finding.snippet_start_line, 0), len(snippet_lines) - 1
        )
    order = sorted(range(len(snippet_lines)), key=lambda i: (abs(i - center), i))
    kept: set[int] = set()
    used = 0
    for index in order:
        line = snippet_lines[index]
        if not line:
            continue
        if used + len(line) + 1 > budget:
            break
        kept.add(index)
        used += len(line) + 1
    code = "\n".join(snippet_lines[i] for i in sorted(kept))
    return code or flagged[:budget]
