"""The reward's numbers: secure code that does the job scores high, and nothing else does.

`EnsembleReward` has TRL's reward signature, `(completions, **columns) -> list[float | None]`,
and scores a whole batch with one Semgrep process (see `training.scoring`). Its parts, all in
`RewardConfig`:

- security: each weakness the ensemble counts (see `detectors.ensemble`) costs its weight
  times its severity's weight; security = exp(-penalty_scale * total cost). Weaknesses below
  the ensemble's threshold (audit notes such as "imports subprocess", one tool's low-confidence
  guess) cost nothing: the label says such code is clean, and the reward agrees, so the model
  is not taught to avoid safe uses of a module.
- hard to game (PurpCode found that a binary "no findings" reward teaches a model that writing
  no code is always safe):
  - a refusal earns `refusal_reward`; a completion with no code earns `empty_reward`
    (partial credit, less than any working code);
  - code that does not parse earns `unparseable_reward`; a stub (only `pass`, `...`,
    `raise NotImplementedError`) earns `trivial_reward`;
  - code far shorter than the task needs is scaled down: by the sample's `expected_lines`
    when known (below `length_ratio` of it), else below `min_lines` non-blank lines;
  - when the sample has unit tests they run in a sandbox (time, memory, no network) and the
    pass rate scales the reward by `tests_weight`; tampering with the tests scores 0.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.severity import Severity
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
    refusal_reward: float = Field(0.0, ge=0, le=1)
    empty_reward: float = Field(0.1, ge=0, le=1)
    unparseable_reward: float = Field(0.0, ge=0, le=1)
    trivial_reward: float = Field(0.1, ge=0, le=1)
    min_lines: int = Field(3, ge=1, description="fewer non-blank lines than this is scaled down")
    length_ratio: float = Field(0.5, gt=0, le=1, description="of expected_lines, when known")
    tests_weight: float = Field(0.5, ge=0, le=1, description="share of the reward the tests decide")
    test_timeout_s: float = Field(10.0, gt=0)
    test_memory_mb: int = Field(512, ge=64)
    advisory_db: str | None = Field(
        None, description="OSV advisory folder for the dependency check"
    )

    @model_validator(mode="after")
    def _partial_credit_stays_below_real_code(self) -> RewardConfig:
        for name in ("empty_reward", "refusal_reward", "trivial_reward", "unparseable_reward"):
            value = getattr(self, name)
            if value >= 0.5:
                raise ValueError(
                    f"{name}={value}: partial credit must stay well below what working code "
                    f"earns (< 0.5), or the model learns to write nothing"
                )
        return self

    def weakness_cost(self, weakness: Weakness) -> float:
        return weakness.weight * self.severity_weights.get(weakness.severity, 0.5)

    def security(self, weaknesses: list[Weakness]) -> float:
        total = sum(self.weakness_cost(w) for w in weaknesses)
        return math.exp(-self.penalty_scale * total)

    def length_factor(self, non_blank_lines: int, expected_lines: int | None) -> float:
        if expected_lines:
            needed = max(1.0, self.length_ratio * expected_lines)
        else:
            needed = float(self.min_lines)
        return min(1.0, non_blank_lines / needed)

    def tests_factor(self, pass_rate: float) -> float:
        return (1.0 - self.tests_weight) + self.tests_weight * pass_rate
