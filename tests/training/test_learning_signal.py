"""The loop optimizes what it claims: GRPO with the ensemble reward makes the policy write
less flagged code without writing less working code.

The tiny local model is first SFT-trained on a seeded mix of secure and insecure solutions to
a few task families (one secure for two insecure), so a good share of its samples is flagged
by the ensemble; then GRPO with the ensemble reward trains a fresh LoRA adapter on it. Both
policies are sampled on held-out tasks (other names, the same families) under the same seeds.
"""

from __future__ import annotations

from pathlib import Path

from training.config import CONFIGS, load_config
from training.evaluation import evaluate_model
from training.model_io import load_model
from training.task_families import families_bundle, held_out_row, tasks
from training.trainers import run_stages


def _held_out() -> list[dict]:
    return [held_out_row(task) for task in tasks(24, seed=99)]


def test_grpo_with_the_ensemble_reward_cuts_flagged_code(tiny_model: Path, tmp_path: Path):
    config = load_config(CONFIGS / "tiny.yaml", [f"base_model={tiny_model}"])
    bundle = families_bundle()
    sft = run_stages(
        config.model_copy(update={"stages": ["sft"]}),
        str(tiny_model),
        bundle,
        tmp_path / "sft",
        tmp_path / "work",
    )
    grpo = run_stages(
        config.model_copy(update={"stages": ["grpo"]}),
        str(tmp_path / "sft"),
        bundle,
        tmp_path / "grpo",
        tmp_path / "work",
    )
    before = evaluate_model(*load_model(tmp_path / "sft"), "sft", _held_out(), config.evaluation)
    after = evaluate_model(*load_model(tmp_path / "grpo"), "grpo", _held_out(), config.evaluation)
    print(
        f"flagged {before.vulnerability_rate:.3f} -> {after.vulnerability_rate:.3f}, "
        f"parseable {before.parse_rate:.3f} -> {after.parse_rate:.3f}, "
        f"utility {before.utility:.3f} -> {after.utility:.3f}; "
        f"sft {sft[0].runtime_s:.0f} s, grpo {grpo[0].runtime_s:.0f} s "
        f"(reward share {grpo[0].reward_s / grpo[0].runtime_s:.2f})"
    )
    assert before.samples == after.samples == 96
    assert before.prompts_hash == after.prompts_hash
    # The SFT policy writes flagged code often enough for the test to mean something ...
    assert before.vulnerability_rate >= 0.2
    # ... GRPO cuts that share by at least half, relative ...
    assert after.vulnerability_rate <= 0.5 * before.vulnerability_rate
    # ... without writing less code that parses (nor, here, less useful code).
    assert after.parse_rate >= before.parse_rate
    assert after.utility >= before.utility
    assert grpo[0].reward_s > 0
