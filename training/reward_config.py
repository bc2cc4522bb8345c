"""The reward's numbers: secure code that does the job scores high, and nothing else does.

reward = functionality x size x security, each in [0, 1] (SecCoderX's gating: security is
worth something only in code that works; no flat bonus for anything else):

- functionality: 0 for a refusal, a completion with no code, code that does not parse, a
  stub (only `pass`, `...`, `raise NotImplementedError`), a truncated completion (a code fence
  left open: the model ran out of tokens) and code that tampers with the tests; otherwise the
  unit tests' pass rate when the sample has tests, else 1.
- size: code shorter than the task needs is scaled down (below `length_ratio` of the
  sample's `expected_lines` when known, else below `min_lines`; repeated lines count once, so
  duplicating a line does not make code longer), and so is code padded far beyond it (over
  `padding_ratio` x `expected_lines`, else over `max_lines`).
- security: each weakness the ensemble counts (see `detectors.ensemble`) costs its weight
  times its severity's weight; security = exp(-penalty_scale * total cost). Weaknesses below
  the ensemble's threshold (audit notes such as "imports subprocess", one tool's
  low-confidence guess) cost nothing: the label says such code is clean, and the reward
  agrees, so the model is not taught to avoid safe uses of a module.

So a missing, refused, truncated, non-parsing, stubbed or padded completion never scores
above working secure code (PurpCode found that a reward paying for "no findings" teaches a
model to write nothing). Every trick we know is a row in tests/training/test_rewards.py.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from core.severity import Severity
from detectors.engines import REWARD_DEFAULT, Engine
from detectors.ensemble import EnsembleConfig, Weakness


class RewardConfig(BaseModel):
    """Every number the reward uses, validated in one place."""

    model_config = ConfigDict(extra="forbid")

    # Suppression comments are the model's own words: they do not make its code secure.
    ensemble: EnsembleConfig = Field(
        default_factory=lambda: EnsembleConfig(honor_suppressions=False)
    )
    severity_weights: dict[Severity, float] = Field(
        default_factory=lambda: {
            Severity.CRITICAL: 1.0,
            Severity.HIGH: 0.8,
            Severity.MEDIUM: 0.5,
            Severity.LOW: 0.25,
            Severity.INFO: 0.0,
        }
    )
    penalty_scale: float = Field(2.0, gt=0, description="how fast security falls with findings")
    min_lines: int = Field(3, ge=1, description="fewer distinct lines than this is scaled down")
    length_ratio: float = Field(0.5, gt=0, le=1, description="of expected_lines, when known")
    padding_ratio: float = Field(
        4.0, ge=1, description="more lines than this x expected_lines is scaled down"
    )
    max_lines: int = Field(400, ge=1, description="padding limit without expected_lines")
    test_timeout_s: float = Field(10.0, gt=0)
    test_memory_mb: int = Field(512, ge=64)
    advisory_db: str | None = Field(
        None, description="OSV advisory folder for the dependency check"
    )
    engines: list[Engine] = Field(
        default_factory=lambda: list(REWARD_DEFAULT),
        description="the ensemble's engines the reward runs (detectors.engines)",
    )

    def weakness_cost(self, weakness: Weakness) -> float:
        return weakness.weight * self.severity_weights.get(weakness.severity, 0.5)

    def security(self, weaknesses: list[Weakness]) -> float:
        total = sum(self.weakness_cost(w) for w in weaknesses)
        return math.exp(-self.penalty_scale * total)

    def size_factor(self, distinct_lines: int, lines: int, expected_lines: int | None) -> float:
        """Short code scaled by its distinct lines, padded code by all of its lines."""
        if expected_lines:
            needed = max(1.0, self.length_ratio * expected_lines)
            limit = self.padding_ratio * expected_lines
        else:
            needed, limit = float(self.min_lines), float(self.max_lines)
        short = min(1.0, distinct_lines / needed)
        padded = min(1.0, limit / lines) if lines else 1.0
        return short * padded
