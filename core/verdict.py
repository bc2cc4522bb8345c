"""What reviewers decide about a finding: the one Verdict scale.

A reviewer labels a finding TRUE_POSITIVE, FALSE_POSITIVE or NEEDS_INFO (`LABELS`); a lead's
adjudication is TRUE_POSITIVE or FALSE_POSITIVE (`DECISIVE`). What a finding's labels amount
to is also a Verdict: the agreed one, NEEDS_INFO when no label decides, or DISPUTED when
reviewers disagree (never a label itself). The store keeps the values as these strings.
"""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    TRUE_POSITIVE = "true_positive"
    FALSE_POSITIVE = "false_positive"
    NEEDS_INFO = "needs_info"
    DISPUTED = "disputed"  # a finding's state when its reviewers disagree; not a label

    @property
    def short(self) -> str:
        """tp, fp, info or disputed: what the command line accepts and prints."""
        return _SHORT[self]


_SHORT = {
    Verdict.TRUE_POSITIVE: "tp",
    Verdict.FALSE_POSITIVE: "fp",
    Verdict.NEEDS_INFO: "info",
    Verdict.DISPUTED: "disputed",
}
LABELS = (Verdict.TRUE_POSITIVE, Verdict.FALSE_POSITIVE, Verdict.NEEDS_INFO)  # a reviewer's
DECISIVE = (Verdict.TRUE_POSITIVE, Verdict.FALSE_POSITIVE)  # a verdict training can use
