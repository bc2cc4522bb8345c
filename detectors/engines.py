"""Which engine sits on which side: the reward's, or the evaluation's independent judges.

An engine the reward was optimized against cannot tell whether a model got safer or only
learned to dodge it. So the engines evaluation uses as its independent view must not be
reward engines: `EngineSides` refuses an overlap unless `allow_overlap` says otherwise, and
names the engines on both sides.

- reward engines run in the ensemble (`detectors.ensemble`): our Semgrep rule pack, Bandit,
  the offline dependency check;
- evaluation engines run raw over the samples (`detectors.judges`): CodeShield's Insecure
  Code Detector rules and dlint, written by others and never tuned here.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.finding import ParsedReport
from detectors.bandit_runner import run_bandit
from detectors.codeshield_runner import run_codeshield
from detectors.dlint_runner import run_dlint
from detectors.semgrep_runner import run_semgrep


class Engine(StrEnum):
    SEMGREP = "semgrep"  # our rule pack (detectors/rules)
    BANDIT = "bandit"
    DEPCHECK = "depcheck"  # the offline dependency check
    CODESHIELD = "codeshield"
    DLINT = "dlint"


REWARD_DEFAULT = (Engine.SEMGREP, Engine.BANDIT, Engine.DEPCHECK)
EVALUATION_DEFAULT = (Engine.CODESHIELD, Engine.DLINT)
# What the ensemble can run: the reward side is a subset of these.
ENSEMBLE_ENGINES = frozenset(REWARD_DEFAULT)


class EngineSides(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reward: list[Engine] = Field(default_factory=lambda: list(REWARD_DEFAULT))
    evaluation: list[Engine] = Field(default_factory=lambda: list(EVALUATION_DEFAULT))
    allow_overlap: bool = Field(
        False, description="accept an engine on both sides (the independent view is then not)"
    )

    @model_validator(mode="after")
    def _sides_are_disjoint(self) -> EngineSides:
        if not self.reward:
            raise ValueError("the reward needs at least one engine")
        if not self.evaluation:
            raise ValueError("evaluation needs at least one independent engine")
        outside = sorted(str(e) for e in set(self.reward) - ENSEMBLE_ENGINES)
        if outside:
            raise ValueError(
                f"reward engines {outside} are not in the ensemble "
                f"(it runs {sorted(str(e) for e in ENSEMBLE_ENGINES)})"
            )
        both = sorted(str(e) for e in set(self.reward) & set(self.evaluation))
        if both and not self.allow_overlap:
            raise ValueError(
                f"engines {both} are on both sides: an independent judge must not be what the "
                "reward optimizes (set allow_overlap: true to accept a non-independent view)"
            )
        return self


def run_engine(engine: Engine, root: Path, files: list[str]) -> ParsedReport:
    """One engine over `files` (relative to `root`), on the code as written."""
    python = [name for name in files if name.endswith(".py")]
    if engine == Engine.SEMGREP:
        return run_semgrep(root)
    if engine == Engine.BANDIT:
        return run_bandit(root, python)
    if engine == Engine.CODESHIELD:
        return run_codeshield(root, python)
    if engine == Engine.DLINT:
        return run_dlint(root, python)
    raise ValueError(f"{engine} judges dependency declarations, not code: not a code judge")
