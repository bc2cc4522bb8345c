"""The gate's thresholds: one versioned YAML, validated in one place.

The default file sits beside this module; `FLYWHEEL_GATE_CONFIG` (or `--thresholds`) names
another. Its sha256 goes into every gate report, so a report always says which bar it was
held to.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.yaml")

# Fields a decided item can be required to carry (columns of the gate's item table).
ITEM_FIELDS = ("finding_id", "rule_id", "tool", "verdict", "split", "code", "cwe", "language")


class GateConfigError(Exception):
    """The thresholds file is missing or invalid; nothing was evaluated."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1)
    min_labeled: int = Field(ge=0)
    min_eval: int = Field(ge=0)
    min_cwe_classes: int = Field(ge=0)
    max_cwe_share: float = Field(gt=0, le=1)
    min_true_positive_ratio: float = Field(ge=0, le=1)
    max_true_positive_ratio: float = Field(ge=0, le=1)
    min_kappa: float = Field(ge=-1, le=1)
    min_kappa_pairs: int = Field(ge=1)
    min_remediation_coverage: float = Field(ge=0, le=1)
    required_fields: list[Literal[ITEM_FIELDS]] = Field(min_length=1)  # type: ignore[valid-type]
    trusted_label_sources: list[str] = []
    split_by: Literal["group", "repository"]
    eval_fraction: float = Field(gt=0, lt=1)
    near_duplicate_jaccard: float = Field(gt=0, le=1)
    retrain_min_growth: float = Field(ge=0)
    retrain_min_new_labels: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.min_true_positive_ratio > self.max_true_positive_ratio:
            raise ValueError("min_true_positive_ratio is above max_true_positive_ratio")
        return self

    def snapshot_policy(self, labels_required: int) -> dict[str, object]:
        """What a snapshot's split and statuses depend on (part of its content hash)."""
        return {
            "split_by": self.split_by,
            "eval_fraction": self.eval_fraction,
            "near_duplicate_jaccard": self.near_duplicate_jaccard,
            "labels_required": labels_required,
        }


class LoadedThresholds(BaseModel):
    model_config = ConfigDict(frozen=True)

    values: Thresholds
    path: Path
    sha256: str


def load_thresholds(path: Path | None = None) -> LoadedThresholds:
    """Read and validate a thresholds file; every problem names the file and the key."""
    path = path or DEFAULT_THRESHOLDS
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise GateConfigError(path, f"cannot read the thresholds file ({error.strerror})") from None
    try:
        document = yaml.safe_load(raw)
    except yaml.YAMLError as error:
        raise GateConfigError(path, f"not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise GateConfigError(path, "expected a mapping of threshold names to values")
    try:
        values = Thresholds.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'file'}: {e['msg']}"
            for e in error.errors()
        )
        raise GateConfigError(path, problems) from None
    return LoadedThresholds(values=values, path=path, sha256=hashlib.sha256(raw).hexdigest())
