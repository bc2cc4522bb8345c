"""The trained-model folder, and loading any model the trainers, the evaluator and the server
can use.

A trained model is a folder:

    flywheel_model.json   base model, stages, adapters in the order they apply, merged weights,
                          lineage, and what each stage measured
    tokenizer/            the tokenizer (with its chat template)
    adapters/<stage>/     one PEFT LoRA adapter per stage (each trained on the previous merge)
    merged/               optional: the full merged weights (self-contained)
    checksums.json        sha256 of every file (written by the registry; verified on load)

`load_model` accepts that folder or any Hugging Face causal LM (a folder or hub id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

MODEL_CARD = "flywheel_model.json"


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message names the folder and what is wrong."""


class ModelCard(BaseModel):
    base_model: str
    stages: list[str]
    adapters: list[str]  # folders relative to the model folder, applied in order
    merged: str | None = None
    lineage: dict[str, Any] = Field(default_factory=dict)
    results: list[dict[str, Any]] = Field(default_factory=list)  # per stage, as trained

    def write(self, folder: Path) -> None:
        (folder / MODEL_CARD).write_text(
            json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"
        )

    @classmethod
    def read(cls, folder: Path) -> ModelCard:
        path = folder / MODEL_CARD
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise ModelLoadError(f"{path}: not a readable model card: {error}") from None


def is_trained_model(folder: Path) -> bool:
    return (folder / MODEL_CARD).is_file()


def torch_device(choice: str = "auto") -> str:
    # deferred: torch takes seconds to import
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError("device: cuda was asked for but no GPU is visible")
    return choice


def _dtype(device: str):
    # deferred: torch takes seconds to import
    import torch

    if device == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return torch.float32


def load_base(name_or_path: str, device: str = "cpu"):
    """A Hugging Face causal LM and its tokenizer, with a pad token."""
    # deferred: transformers takes seconds to import
    from transformers import (
        AutoModelForCausalLM,
        AutoTokenizer,
    )

    try:
        tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        model = AutoModelForCausalLM.from_pretrained(name_or_path, dtype=_dtype(device))
    except (OSError, ValueError) as error:
        raise ModelLoadError(f"{name_or_path}: cannot load a causal LM: {error}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model.to(device), tokenizer


def load_model(location: str | Path, device: str = "cpu"):
    """(model, tokenizer) from a trained-model folder (adapters merged in order, or the merged
    weights when present) or any Hugging Face causal LM."""
    folder = Path(location)
    if not is_trained_model(folder):
        return load_base(str(location), device)
    card = ModelCard.read(folder)
    if card.merged:
        model, _ = load_base(str(folder / card.merged), device)
    else:
        # deferred: PEFT imports torch and transformers
        from peft import PeftModel

        model, _ = load_base(card.base_model, device)
        for adapter in card.adapters:
            model = PeftModel.from_pretrained(model, str(folder / adapter)).merge_and_unload()
    # deferred: transformers takes seconds to import
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.eval()
    return model, tokenizer
