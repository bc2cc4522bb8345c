"""A tiny causal code model built on this machine, for the demo and the tests.

No model hub is reachable here, so `flywheel base-model build-tiny` makes one: a byte-level
BPE tokenizer trained with `tokenizers` on local code (Python's own standard library plus the
task families), a small Qwen2 config, and a short causal-LM pretraining pass on the same code
so the base is a (very small) language model of Python rather than noise. Real users point
`base_model` at their organization's code model instead; nothing else changes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sysconfig
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from training.completions import fenced
from training.task_families import tasks

SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|pad|>"]
# ChatML, as Qwen2 models use: the prompt rendering is a prefix of prompt + answer, which
# TRL needs to train on completions only.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class TinySpec(BaseModel):
    model_config = ConfigDict(frozen=True)

    vocab_size: int = 4096
    hidden_size: int = 128
    intermediate_size: int = 384
    layers: int = 2
    heads: int = 4
    kv_heads: int = 2
    max_positions: int = 1024
    stdlib_bytes: int = 3_000_000  # how much of the standard library to learn from
    pretrain_steps: int = 300
    pretrain_seq: int = 256
    pretrain_batch: int = 8
    learning_rate: float = 3e-3
    seed: int = 0


def _stdlib_files(limit_bytes: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    chosen, total = [], 0
    for path in sorted(root.glob("*.py")):  # top level only: no tests, no vendored code
        size = path.stat().st_size
        if total + size > limit_bytes:
            continue
        chosen.append(path)
        total += size
    return chosen


def family_texts(seed: int, count: int = 600) -> list[str]:
    """The task families as chat transcripts, both variants (a base model has seen both)."""
    texts = []
    for task in tasks(count, seed=seed):
        for code in (task.secure, task.insecure):
            texts.append(
                f"<|im_start|>user\n{task.prompt}<|im_end|>\n"
                f"<|im_start|>assistant\n{fenced(code)}<|im_end|>\n"
            )
    return texts


def code_corpus(spec: TinySpec) -> Iterator[str]:
    for path in _stdlib_files(spec.stdlib_bytes):
        yield path.read_text(encoding="utf-8", errors="replace")
    yield from family_texts(spec.seed)


def train_tokenizer(spec: TinySpec):
    # deferred: loaded with transformers, only to build the tiny model
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        trainers,
    )

    # deferred: transformers takes seconds to import
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(code_corpus(spec), trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        eos_token="<|im_end|>",
        pad_token="<|pad|>",
        unk_token=None,
        bos_token=None,
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _pretrain(model, tokenizer, spec: TinySpec) -> float:
    """Plain next-token training on the corpus; returns the last loss."""
    # deferred: torch takes seconds to import
    import torch

    ids: list[int] = []
    for text in code_corpus(spec):
        ids.extend(tokenizer(text)["input_ids"])
        ids.append(tokenizer.convert_tokens_to_ids("<|endoftext|>"))
    data = torch.tensor(ids, dtype=torch.long)
    rng = random.Random(spec.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=spec.learning_rate, weight_decay=0.01)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=spec.learning_rate, total_steps=max(1, spec.pretrain_steps)
    )
    model.train()
    loss_value = float("nan")
    for _ in range(spec.pretrain_steps):
        starts = [
            rng.randrange(0, len(data) - spec.pretrain_seq - 1) for _ in range(spec.pretrain_batch)
        ]
        batch = torch.stack([data[s : s + spec.pretrain_seq] for s in starts])
        loss = model(input_ids=batch, labels=batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        loss_value = float(loss.detach())
    model.eval()
    return loss_value


def build_tiny(output: Path, spec: TinySpec | None = None) -> dict:
    """Build the tiny model into `output` (a Hugging Face model folder); returns its card."""
    # deferred: torch takes seconds to import
    import torch

    # deferred: transformers takes seconds to import
    from transformers import (
        Qwen2Config,
        Qwen2ForCausalLM,
    )

    spec = spec or TinySpec()
    torch.manual_seed(spec.seed)
    tokenizer = train_tokenizer(spec)
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=spec.kv_heads,
        max_position_embeddings=spec.max_positions,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
    )
    model = Qwen2ForCausalLM(config)
    loss = _pretrain(model, tokenizer, spec)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    # Written beside the target and renamed: a build killed half-way leaves no folder that
    # looks like a model.
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    card = {
        "kind": "flywheel tiny demo model (not for real use)",
        "spec": spec.model_dump(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "vocab_size": len(tokenizer),
        "pretrain_final_loss": round(loss, 4),
    }
    (partial / "flywheel_tiny.json").write_text(json.dumps(card, indent=2) + "\n")
    shutil.rmtree(output, ignore_errors=True)
    os.replace(partial, output)
    return card
