"""Each trainer runs for real on the tiny model and leaves a loadable model folder; the
config refuses bad input naming the file and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from training.completions import fenced
from training.config import CONFIGS, TrainConfigError, load_config
from training.model_io import ModelCard, load_model
from training.task_families import families_bundle, tasks
from training.trainers import TrainingError, run_stages


def test_sft_then_dpo_leave_a_folder_that_loads(tiny_model: Path, tmp_path: Path):
    bundle = families_bundle(sft_tasks=6, grpo_tasks=0)
    for task in tasks(6, seed=4):
        bundle.dpo.append(
            {
                "prompt": [{"role": "user", "content": task.prompt}],
                "chosen": [{"role": "assistant", "content": fenced(task.secure)}],
                "rejected": [{"role": "assistant", "content": fenced(task.insecure)}],
            }
        )
    config = load_config(
        CONFIGS / "tiny.yaml",
        ["stages=[sft, dpo]", "sft.max_steps=2", "dpo.max_steps=2", "merge_weights=false"],
    )
    results = run_stages(config, str(tiny_model), bundle, tmp_path / "m", tmp_path / "w")
    assert [(r.stage, r.steps) for r in results] == [("sft", 2), ("dpo", 2)]
    assert all(r.samples_per_s > 0 and "train_loss" in r.metrics for r in results)
    card = ModelCard.read(tmp_path / "m")
    assert card.adapters == ["adapters/sft", "adapters/dpo"] and card.merged is None
    assert (tmp_path / "m" / "adapters" / "dpo" / "adapter_config.json").is_file()
    model, tokenizer = load_model(tmp_path / "m")  # base + both adapters merged in order
    assert tokenizer.chat_template and model.config.vocab_size == len(tokenizer)


def test_a_stage_without_examples_is_refused_naming_the_split(tiny_model: Path, tmp_path: Path):
    config = load_config(CONFIGS / "tiny.yaml", ["stages=[dpo]"])
    with pytest.raises(
        TrainingError, match="stage dpo: the train split of snapshot 0 gives no dpo"
    ):
        run_stages(config, str(tiny_model), families_bundle(2, 2), tmp_path / "m", tmp_path / "w")
    assert not (tmp_path / "m" / "flywheel_model.json").exists()


@pytest.mark.parametrize(
    ("text", "overrides", "message"),
    [
        ("base_model: x\nsft:\n  epoch: 3\n", [], "sft.epoch: Extra inputs are not permitted"),
        ("base_model: x\n", ["grpo.batch_size=12"], "multiple of num_generations"),
        ("base_model: x\nstages: [grpo, sft]\n", [], "in the order sft, dpo, grpo"),
        ("base_model: x\nstages: []\n", [], "stages is empty"),
        ("- a list\n", [], "expected a mapping of settings"),
        ("base_model: [unclosed\n", [], "not valid YAML"),
        ("sft: {}\n", [], "base_model: Field required"),
        ("base_model: x\n", ["novalue"], "expected key.path=value"),
        ("base_model: x\n", ["grpo.reward.empty_reward=0.1"], "grpo.reward.empty_reward: Extra inputs are not permitted"),
    ],
)
def test_bad_configs_are_refused_naming_the_file_and_key(tmp_path, text, overrides, message):
    path = tmp_path / "train.yaml"
    path.write_text(text)
    with pytest.raises(TrainConfigError, match=message) as error:
        load_config(path, overrides)
    assert str(path) in str(error.value) or "override" in str(error.value)


def test_a_missing_config_file_is_named(tmp_path: Path):
    with pytest.raises(TrainConfigError, match=f"{tmp_path / 'nope.yaml'}: cannot read"):
        load_config(tmp_path / "nope.yaml")


def test_shipped_configs_are_valid_and_overrides_apply():
    for path in sorted(CONFIGS.glob("*.yaml")):
        load_config(path)
    config = load_config(None, ["grpo.max_steps=7", "grpo.reward.penalty_scale=3"])
    assert config.grpo.max_steps == 7 and config.grpo.reward.penalty_scale == 3
    assert json.loads(json.dumps(config.model_dump(mode="json")))["base_model"] == "tiny"
