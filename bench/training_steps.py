"""Training speed on this machine: SFT and GRPO samples/s with the tiny model, and the share
of a GRPO step spent computing the ensemble reward.

    .venv/bin/python bench/training_steps.py [--grpo-steps 20] [--model FOLDER]

Builds the tiny model (unless --model names one), SFT-trains it on the task families with
the demo config (tiny.yaml: LoRA r=64 on every linear layer, batch 16, 25 epochs over 180
examples), then runs GRPO with the ensemble reward (8 completions per prompt, 32 per step,
up to 96 tokens). SFT samples are examples seen; GRPO samples are completions generated,
scored and trained on. With a GPU it also times SFT of a ~0.5B-parameter Qwen2 built from
config (random weights) and reports tokens/s and model FLOPs utilization. One JSON line last.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from training.base_model import TinySpec, build_tiny  # noqa: E402
from training.config import CONFIGS, load_config  # noqa: E402
from training.task_families import families_bundle  # noqa: E402
from training.trainers import run_stages  # noqa: E402

# Dense bf16 peak of the GPUs this project is lent, for model FLOPs utilization.
PEAK_BF16_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}


def gpu_sft(steps: int = 30, batch: int = 8, seq: int = 1024) -> dict:
    """Full-parameter SFT steps of a ~0.5B Qwen2 (Qwen2.5-0.5B's shape, random weights)."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=151_936,
        hidden_size=896,
        intermediate_size=4864,
        num_hidden_layers=24,
        num_attention_heads=14,
        num_key_value_heads=2,
        max_position_embeddings=32_768,
        tie_word_embeddings=True,
    )
    model = Qwen2ForCausalLM(config).to("cuda", dtype=torch.bfloat16)
    model.gradient_checkpointing_enable()
    parameters = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    batch_ids = torch.randint(0, config.vocab_size, (batch, seq), device="cuda")
    for step in range(steps + 3):
        if step == 3:  # warm-up excluded
            torch.cuda.synchronize()
            started = time.perf_counter()
        loss = model(input_ids=batch_ids, labels=batch_ids).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    elapsed = time.perf_counter() - started
    tokens_per_s = steps * batch * seq / elapsed
    name = torch.cuda.get_device_name()
    peak = next((v for k, v in PEAK_BF16_FLOPS.items() if k in name), None)
    # 6 N FLOPs per token (forward + backward), attention excluded: the usual MFU convention.
    mfu = 6 * parameters * tokens_per_s / peak if peak else None
    return {
        "gpu": name,
        "gpu_parameters": parameters,
        "gpu_sft_tokens_per_s": round(tokens_per_s),
        "gpu_sft_mfu": round(mfu, 4) if mfu else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grpo-steps", type=int, default=20)
    parser.add_argument("--model", type=Path, help="an existing tiny model folder")
    args = parser.parse_args()
    figures: dict = {}
    with tempfile.TemporaryDirectory(prefix="flywheel-bench-train-") as scratch:
        work = Path(scratch)
        model = args.model
        if model is None:
            model = work / "tiny"
            started = time.perf_counter()
            card = build_tiny(model, TinySpec())
            figures["build_tiny_s"] = round(time.perf_counter() - started, 1)
            figures["tiny_parameters"] = card["parameters"]
        config = load_config(
            CONFIGS / "tiny.yaml", [f"base_model={model}", f"grpo.max_steps={args.grpo_steps}"]
        )
        bundle = families_bundle()
        [sft] = run_stages(
            config.model_copy(update={"stages": ["sft"]}),
            str(model),
            bundle,
            work / "sft",
            work / "w",
        )
        [grpo] = run_stages(
            config.model_copy(update={"stages": ["grpo"]}),
            str(work / "sft"),
            bundle,
            work / "grpo",
            work / "w",
        )
    print(
        f"SFT: {sft.samples} examples in {sft.runtime_s:.1f} s; "
        f"GRPO: {grpo.steps} steps, {grpo.samples} completions in {grpo.runtime_s:.1f} s, "
        f"{grpo.reward_s:.1f} s in the reward",
        file=sys.stderr,
    )
    figures.update(
        {
            "sft_examples": sft.examples,
            "sft_samples_per_s": round(sft.samples_per_s, 2),
            "grpo_steps": grpo.steps,
            "grpo_samples_per_s": round(grpo.samples_per_s, 2),
            "reward_share": round(grpo.reward_s / grpo.runtime_s, 4),
            "grpo_step_s": round(grpo.runtime_s / grpo.steps, 3),
        }
    )
    import torch

    if torch.cuda.is_available():
        figures.update(gpu_sft())
    else:
        figures["gpu"] = None  # no GPU here: the 0.5B SFT figures need one
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
