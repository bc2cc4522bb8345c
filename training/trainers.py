"""TRL's SFT, DPO and GRPO trainers with PEFT LoRA adapters, run in the configured order.

Each stage trains a fresh LoRA adapter on the model the previous stage left (merged in
memory), saves the adapter, and hands the merged model on. GRPO's reward is the ensemble
reward (`training.rewards.EnsembleReward`), one batched scan per generation step, with the
weights from the config. On a GPU: bf16, gradient checkpointing, and packing for SFT when
configured; on CPU everything runs in float32. Multi-GPU: launch the same entry point with
accelerate or torchrun (see docs/training.md); TRL and accelerate shard the batches.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from training.config import TrainConfig
from training.datasets import DatasetBundle, dataset_rows
from training.model_io import ModelCard, is_trained_model, load_model, torch_device
from training.reward_card import CARD_FILE, RewardHealthError, build_reward_card
from training.rewards import EnsembleReward


class TrainingError(RuntimeError):
    """A stage cannot run (for example: its dataset is empty); nothing was registered."""


class StageResult(BaseModel):
    stage: str
    examples: int
    steps: int
    runtime_s: float
    samples: int  # SFT/DPO: examples seen; GRPO: completions generated and scored
    metrics: dict[str, float] = Field(default_factory=dict)
    reward_s: float = 0.0  # GRPO: time spent computing rewards

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.runtime_s if self.runtime_s else 0.0

    def summary(self) -> dict[str, float]:
        values = {
            f"{self.stage}/examples": self.examples,
            f"{self.stage}/steps": self.steps,
            f"{self.stage}/runtime_s": round(self.runtime_s, 3),
            f"{self.stage}/samples_per_s": round(self.samples_per_s, 3),
        }
        if self.stage == "grpo" and self.runtime_s:
            values["grpo/reward_share"] = round(self.reward_s / self.runtime_s, 4)
        values.update({f"{self.stage}/{k}": v for k, v in self.metrics.items()})
        return values


class TimedReward:
    """The ensemble reward, timing itself (for the share of a GRPO step spent on rewards)."""

    __name__ = "ensemble_reward"

    def __init__(self, reward: EnsembleReward) -> None:
        self.reward = reward
        self.seconds = 0.0
        self.calls = 0

    def __call__(self, completions: list[Any], **columns: Any) -> list[float | None]:
        started = time.perf_counter()
        try:
            return self.reward(completions, **columns)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


def _common_args(config: TrainConfig, device: str, output: Path) -> dict[str, Any]:
    # deferred: torch takes seconds to import
    import torch

    gpu = device == "cuda"
    return {
        "output_dir": str(output),
        "seed": config.seed,
        "data_seed": config.seed,
        "report_to": [],
        "save_strategy": "no",
        "logging_steps": 5,
        "use_cpu": not gpu,
        "bf16": gpu and torch.cuda.is_bf16_supported(),
        "gradient_checkpointing": gpu and config.gradient_checkpointing,
        "lr_scheduler_type": "cosine",
        "warmup_steps": 2,
        "disable_tqdm": True,
    }


def _lora(config: TrainConfig):
    # deferred: PEFT imports torch and transformers
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora.r,
        lora_alpha=config.lora.alpha,
        lora_dropout=config.lora.dropout,
        target_modules=config.lora.target_modules,
        task_type="CAUSAL_LM",
    )


def _metrics(trainer, output) -> dict[str, float]:
    logged = [entry for entry in trainer.state.log_history if "loss" in entry]
    last = logged[-1] if logged else {}
    keep = ("loss", "mean_token_accuracy", "reward", "rewards/ensemble_reward/mean", "kl")
    values = {k: float(v) for k, v in last.items() if k in keep}
    values["train_loss"] = float(output.training_loss)
    return values


def _sft(config, model, tokenizer, rows, device, work):
    # deferred: Hugging Face datasets takes ~1 s to import
    from datasets import Dataset

    # deferred: TRL takes seconds to import
    from trl import SFTConfig, SFTTrainer

    settings = config.sft
    args = SFTConfig(
        **_common_args(config, device, work / "sft"),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        max_length=settings.max_length,
        packing=settings.packing and device == "cuda",
    )
    return SFTTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=_lora(config),
    )


def _dpo(config, model, tokenizer, rows, device, work):
    # deferred: Hugging Face datasets takes ~1 s to import
    from datasets import Dataset

    # deferred: TRL takes seconds to import
    from trl import DPOConfig, DPOTrainer

    settings = config.dpo
    args = DPOConfig(
        **_common_args(config, device, work / "dpo"),
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation,
        beta=settings.beta,
        max_length=settings.max_length,
    )
    # With a PEFT adapter the reference model is the same weights with the adapter disabled.
    return DPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=_lora(config),
    )


def _grpo(config, model, tokenizer, rows, device, work, reward):
    # deferred: Hugging Face datasets takes ~1 s to import
    from datasets import Dataset

    # deferred: TRL takes seconds to import
    from trl import GRPOConfig, GRPOTrainer

    settings = config.grpo
    args = GRPOConfig(
        **{**_common_args(config, device, work / "grpo"), "lr_scheduler_type": "constant"},
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        num_generations=settings.num_generations,
        max_completion_length=settings.max_completion_length,
        temperature=settings.temperature,
        beta=settings.beta,
    )
    return GRPOTrainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        reward_funcs=[reward],
        peft_config=_lora(config),
    )


def is_main_process() -> bool:
    """False in the other ranks of a torchrun/accelerate launch."""
    return os.environ.get("RANK", "0") == "0"


def run_stages(
    config: TrainConfig,
    base_model: str,
    bundle: DatasetBundle,
    output: Path,
    work: Path,
    lineage: dict[str, Any] | None = None,
) -> list[StageResult]:
    """Train every configured stage on the bundle; write the trained-model folder to
    `output` (see `training.model_io`). Returns what each stage measured.

    `base_model` may be an earlier trained-model folder (the supervised step's output, which
    the RL step continues from): its adapters, stages and results are carried into `output`,
    so the new folder is self-contained and names the original base model."""
    # deferred: Hugging Face datasets takes ~1 s to import
    from datasets import disable_progress_bars

    # deferred: transformers takes seconds to import
    from transformers import set_seed

    # deferred: transformers takes seconds to import
    from transformers.trainer_callback import (
        PrinterCallback,
        ProgressCallback,
    )

    # The canaries first: no step is taken with an engine that fails open.
    try:
        card = build_reward_card(config)
    except RewardHealthError as error:
        raise TrainingError(str(error)) from None
    # Tokenizing/mapping progress bars flood a scheduled run's log; the figures go to MLflow.
    disable_progress_bars()
    device = torch_device(config.device)
    set_seed(config.seed)
    model, tokenizer = load_model(base_model, device)
    earlier = ModelCard.read(Path(base_model)) if is_trained_model(Path(base_model)) else None
    results: list[StageResult] = []
    adapters: list[str] = []
    if earlier is not None and is_main_process():
        for adapter in earlier.adapters:
            shutil.copytree(Path(base_model) / adapter, output / adapter, dirs_exist_ok=True)
        adapters = list(earlier.adapters)
    for stage in config.stages:
        rows = dataset_rows(bundle, stage)
        if not rows:
            raise TrainingError(
                f"stage {stage}: the {bundle.split} split of snapshot {bundle.snapshot_id} "
                f"gives no {stage} examples (needs confirmed findings"
                + (" with the reviewer's fixed code)" if stage != "grpo" else ")")
            )
        timed = None
        if stage == "sft":
            trainer = _sft(config, model, tokenizer, rows, device, work)
        elif stage == "dpo":
            trainer = _dpo(config, model, tokenizer, rows, device, work)
        else:
            timed = TimedReward(EnsembleReward(config.grpo.reward))
            trainer = _grpo(config, model, tokenizer, rows, device, work, timed)
        # Transformers prints every log line to stdout; the figures go to MLflow instead.
        trainer.remove_callback(PrinterCallback)
        trainer.remove_callback(ProgressCallback)
        started = time.perf_counter()
        outcome = trainer.train()
        runtime = time.perf_counter() - started
        steps = trainer.state.global_step
        if stage == "grpo":
            samples = steps * config.grpo.batch_size
        else:
            seen = outcome.metrics.get("train_samples_per_second", 0) * outcome.metrics.get(
                "train_runtime", 0
            )
            samples = round(float(seen))
        results.append(
            StageResult(
                stage=stage,
                examples=len(rows),
                steps=steps,
                runtime_s=runtime,
                samples=samples,
                metrics=_metrics(trainer, outcome),
                reward_s=timed.seconds if timed else 0.0,
            )
        )
        adapter = f"adapters/{stage}"
        if trainer.accelerator.is_main_process:  # under torchrun/accelerate: one writer
            trainer.model.save_pretrained(str(output / adapter))
        adapters.append(adapter)
        model = trainer.model.merge_and_unload()
        del trainer
    if not is_main_process():
        return results
    tokenizer.save_pretrained(str(output / "tokenizer"))
    (output / CARD_FILE).write_text(card.model_dump_json(indent=2) + "\n", encoding="utf-8")
    merged = None
    if config.merge_weights:
        model.save_pretrained(str(output / "merged"))
        tokenizer.save_pretrained(str(output / "merged"))
        merged = "merged"
    ModelCard(
        base_model=earlier.base_model if earlier else base_model,
        stages=(earlier.stages if earlier else []) + list(config.stages),
        adapters=adapters,
        merged=merged,
        lineage=lineage or (earlier.lineage if earlier else {}),
        results=(earlier.results if earlier else []) + [r.model_dump() for r in results],
    ).write(output)
    return results
