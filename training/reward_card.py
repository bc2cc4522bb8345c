"""The reward card: what exactly judged the completions a model was trained on.

Written into every trained-model folder (`reward_card.json`) before training starts, and
logged to MLflow with the run: each engine with its side (reward or evaluation), version and
health (`detectors.canaries`), the hash of our rule pack, and every weight of the reward. Two
runs with the same card were rewarded alike; a changed rule or weight changes its hash.

Building the card runs the canaries: an engine that misses a known-vulnerable canary or
flags a known-safe one stops training here (`RewardHealthError`, naming the engine), before
a single step is taken with a reward that might pay for anything.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import BaseModel, ConfigDict, computed_field

from detectors.canaries import CanaryFailure, EngineHealth, check_engines
from detectors.dependencies import TOOL_VERSION as DEPCHECK_VERSION
from detectors.dependencies import AdvisoryDB
from detectors.engines import Engine
from detectors.semgrep_runner import RULES, semgrep_binary
from training.config import TrainConfig

CARD_FILE = "reward_card.json"


class RewardHealthError(RuntimeError):
    """An engine failed its canaries: training did not start."""


class EngineCard(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    side: str  # reward | evaluation
    version: str | None
    status: str  # ok | off


class RewardCard(BaseModel):
    model_config = ConfigDict(frozen=True)

    card_version: int = 1
    engines: list[EngineCard]
    rule_pack_sha256: str
    reward: dict  # the GRPO reward's configuration: every weight and limit
    canaries: list[EngineHealth]

    @computed_field
    @property
    def sha256(self) -> str:
        content = self.model_dump(mode="json", exclude={"sha256"})
        for health in content["canaries"]:
            health.pop("seconds", None)  # timing is not what was judged
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def rule_pack_sha256(rules: Path = RULES) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in rules.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(rules)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@functools.cache
def engine_version(engine: Engine) -> str | None:
    if engine == Engine.SEMGREP:
        completed = subprocess.run(
            [semgrep_binary(), "--version", "--disable-version-check"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"},
        )
        return completed.stdout.strip() or None
    if engine == Engine.DEPCHECK:
        return DEPCHECK_VERSION
    try:
        return version(str(engine))
    except PackageNotFoundError:
        return None


def build_reward_card(config: TrainConfig) -> RewardCard:
    """Check every engine on both sides with the canaries, and describe the reward. Checked
    once per process and configuration (a run's supervised and RL steps share it)."""
    key = json.dumps(
        [config.engines.model_dump(mode="json"), config.grpo.reward.model_dump(mode="json")],
        sort_keys=True,
    )
    if key not in _CHECKED:
        _CHECKED[key] = _build(config)
    return _CHECKED[key]


_CHECKED: dict[str, RewardCard] = {}


def _build(config: TrainConfig) -> RewardCard:
    reward = config.grpo.reward
    advisories = AdvisoryDB.load(Path(reward.advisory_db)) if reward.advisory_db else None
    sides = [(engine, "reward") for engine in config.engines.reward] + [
        (engine, "evaluation") for engine in config.engines.evaluation
    ]
    try:
        health = check_engines([engine for engine, _ in sides], advisories)
    except CanaryFailure as failure:
        raise RewardHealthError(str(failure)) from None
    status = {h.engine: h.status for h in health}
    return RewardCard(
        engines=[
            EngineCard(
                name=engine, side=side, version=engine_version(engine), status=status[engine]
            )
            for engine, side in sides
        ],
        rule_pack_sha256=rule_pack_sha256(),
        reward=reward.model_dump(mode="json"),
        canaries=health,
    )


def read_card(folder: Path) -> RewardCard | None:
    path = folder / CARD_FILE
    if not path.is_file():
        return None
    return RewardCard.model_validate(
        {k: v for k, v in json.loads(path.read_text(encoding="utf-8")).items() if k != "sha256"}
    )
