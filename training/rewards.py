"""The reward as TRL calls it: `EnsembleReward(completions, **columns)`.

What each part of the reward is worth, and why it is hard to game, is in
`training.reward_config`; how a batch is scanned is in `training.scoring`.
"""

from __future__ import annotations

from typing import Any

from training.reward_config import RewardConfig
from training.scoring import Sample, Scorer


class EnsembleReward:
    """TRL reward function: `reward(completions, **columns)`; columns TRL passes from the
    dataset are read when present: `tests`, `language`, `expected_lines`."""

    __name__ = "ensemble_reward"  # TRL logs rewards under their function's name

    def __init__(self, config: RewardConfig | None = None) -> None:
        self.config = config or RewardConfig()
        self.scorer = Scorer(self.config)

    def __call__(self, completions: list[Any], **columns: Any) -> list[float | None]:
        count = len(completions)
        samples = [
            Sample.from_completion(
                completion,
                tests=_column(columns, "tests", i, count),
                language=_column(columns, "language", i, count) or "python",
                expected_lines=_column(columns, "expected_lines", i, count),
            )
            for i, completion in enumerate(completions)
        ]
        return [score.reward for score in self.scorer.score(samples)]


def _column(columns: dict[str, Any], name: str, index: int, count: int) -> Any:
    values = columns.get(name)
    if isinstance(values, list | tuple) and len(values) == count:
        return values[index]
    return None
