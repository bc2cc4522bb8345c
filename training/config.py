"""The training configuration: one typed model, read from YAML plus `key.path=value`
overrides, validated in one place. A bad file or override is refused naming the file and the
key, before any model is loaded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from detectors.engines import EngineSides
from training.reward_config import RewardConfig

CONFIGS = Path(__file__).parent / "configs"
Stage = Literal["sft", "dpo", "grpo"]


class TrainConfigError(ValueError):
    """The training configuration is invalid; nothing was trained."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoraSettings(_Strict):
    r: int = Field(16, ge=1)
    alpha: int = Field(32, ge=1)
    dropout: float = Field(0.05, ge=0, lt=1)
    target_modules: str | list[str] = "all-linear"


class SFTSettings(_Strict):
    epochs: float = Field(3.0, gt=0)
    max_steps: int = Field(-1, ge=-1, description="-1: run the epochs")
    learning_rate: float = Field(2e-4, gt=0)
    batch_size: int = Field(8, ge=1)
    gradient_accumulation: int = Field(1, ge=1)
    max_length: int = Field(1024, ge=32)
    packing: bool = Field(False, description="pack examples (GPU runs; padding-free)")
    remediation: bool = True
    rule_learning: bool = True


class DPOSettings(_Strict):
    epochs: float = Field(1.0, gt=0)
    max_steps: int = Field(-1, ge=-1)
    learning_rate: float = Field(5e-6, gt=0)
    batch_size: int = Field(4, ge=1)
    gradient_accumulation: int = Field(1, ge=1)
    beta: float = Field(0.1, gt=0)
    max_length: int = Field(1024, ge=32)


class GRPOSettings(_Strict):
    max_steps: int = Field(100, ge=1)
    learning_rate: float = Field(1e-5, gt=0)
    batch_size: int = Field(16, ge=1, description="completions per step")
    num_generations: int = Field(8, ge=2, description="completions per prompt")
    max_completion_length: int = Field(256, ge=8)
    temperature: float = Field(0.7, gt=0)
    beta: float = Field(0.0, ge=0, description="KL weight; 0 needs no reference model")
    reward: RewardConfig = Field(default_factory=RewardConfig)

    @model_validator(mode="after")
    def _whole_groups(self) -> GRPOSettings:
        if self.batch_size % self.num_generations:
            raise ValueError(
                f"batch_size {self.batch_size} must be a multiple of num_generations "
                f"{self.num_generations} (GRPO compares completions of the same prompt)"
            )
        return self


class EvalSettings(_Strict):
    samples_per_prompt: int = Field(4, ge=1)
    max_new_tokens: int = Field(256, ge=8)
    temperature: float = Field(0.7, gt=0)
    max_prompts: int = Field(200, ge=1)
    seed: int = 0
    reward: RewardConfig = Field(default_factory=RewardConfig)


class SuiteSettings(_Strict):
    """The executable security suite (`yardstick`): which suite, and how each task is sampled."""

    path: str | None = Field(None, description="a suite folder (CWEval layout); None: bundled")
    samples_per_task: int = Field(1, ge=1, description="n samples per task; func@k needs n >= k")
    k: int = Field(1, ge=1)
    max_new_tokens: int = Field(384, ge=8)
    temperature: float = Field(0.2, gt=0)
    seed: int = 0
    max_tasks: int = Field(200, ge=1)
    workers: int = Field(2, ge=1, description="sandboxed test runs at once")
    timeout_s: float = Field(30, gt=0, description="a sample's whole test run; then it is killed")

    @model_validator(mode="after")
    def _enough_samples_for_k(self) -> SuiteSettings:
        if self.k > self.samples_per_task:
            raise ValueError(
                f"k={self.k} needs at least {self.k} samples per task "
                f"(samples_per_task={self.samples_per_task})"
            )
        return self


class PromotionSettings(_Strict):
    """The promotion rule's numbers (`registry.promotion`)."""

    utility_tolerance: float = Field(
        0.02, ge=0, le=1, description="how much utility a challenger may lose and still win"
    )
    refusal_tolerance: float = Field(
        0.02, ge=0, le=1, description="how much more a challenger may refuse and still win"
    )
    margin: float = Field(
        0.0, ge=0, le=1, description="by how much the independent flagged share must fall"
    )
    confidence: float = Field(0.95, gt=0.5, lt=1)
    bootstrap_resamples: int = Field(2000, ge=100)


class TrainConfig(_Strict):
    base_model: str = Field(description="Hugging Face causal LM: local folder or hub id")
    stages: list[Stage] = Field(default_factory=lambda: ["sft", "grpo"])
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    gradient_checkpointing: bool = Field(True, description="on GPU only")
    merge_weights: bool = Field(
        False, description="also log merged weights (self-contained; large for real models)"
    )
    lora: LoraSettings = Field(default_factory=LoraSettings)
    sft: SFTSettings = Field(default_factory=SFTSettings)
    dpo: DPOSettings = Field(default_factory=DPOSettings)
    grpo: GRPOSettings = Field(default_factory=GRPOSettings)
    evaluation: EvalSettings = Field(default_factory=EvalSettings)
    suite: SuiteSettings = Field(default_factory=SuiteSettings)
    engines: EngineSides = Field(
        default_factory=EngineSides,
        description="which engines the reward runs and which judge independently",
    )
    promotion: PromotionSettings = Field(default_factory=PromotionSettings)

    @model_validator(mode="after")
    def _stages_in_order(self) -> TrainConfig:
        if not self.stages:
            raise ValueError("stages is empty: name at least one of sft, dpo, grpo")
        order = ["sft", "dpo", "grpo"]
        if [order.index(s) for s in self.stages] != sorted({order.index(s) for s in self.stages}):
            raise ValueError(
                f"stages {self.stages}: each at most once, in the order sft, dpo, grpo"
            )
        return self

    @model_validator(mode="after")
    def _one_place_decides_the_engines(self) -> TrainConfig:
        for where, reward in (
            ("grpo.reward", self.grpo.reward),
            ("evaluation.reward", self.evaluation.reward),
        ):
            if set(reward.engines) != set(self.engines.reward):
                raise ValueError(
                    f"{where}.engines {sorted(reward.engines)} differ from engines.reward "
                    f"{sorted(self.engines.reward)}: set the reward's engines in engines.reward"
                )
        return self

    def digest(self) -> str:
        return hashlib.sha256(
            json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()
        ).hexdigest()


def _set(tree: dict[str, Any], dotted: str, value: Any) -> None:
    node = tree
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise TrainConfigError(f"override {dotted}: {part} is not a section")
        node = child
    node[leaf] = value


def load_config(path: Path | None, overrides: list[str] | None = None) -> TrainConfig:
    """The config in `path` (default: training/configs/tiny.yaml) with `a.b=value` overrides
    (values parsed as YAML). Raises TrainConfigError naming the file and each bad key."""
    path = path or CONFIGS / "tiny.yaml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TrainConfigError(f"{path}: cannot read: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise TrainConfigError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise TrainConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    for override in overrides or []:
        key, sep, text = override.partition("=")
        if not sep or not key.strip():
            raise TrainConfigError(f"override {override!r}: expected key.path=value")
        _set(raw, key.strip(), yaml.safe_load(text))
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in error.errors()
        )
        raise TrainConfigError(f"{path}: {problems}") from None
