"""Snapshot -> datasets -> SFT/DPO/GRPO -> evaluation -> registered version -> promotion.

`train_and_register` is the whole stage as one function; the CLI (`flywheel train`) and the
Dagster asset both call it. It refuses a snapshot whose latest gate run did not pass, and
writes nothing to the registry until training and evaluation have finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.store.audit import append_audit
from orchestration.settings import Settings
from training.config import TrainConfig
from training.evaluation import EvalReport


class TrainingRefused(RuntimeError):
    """Training was not started (gate, snapshot, base model); nothing was written."""


@dataclass
class TrainRun:
    snapshot_id: int
    model_name: str
    version: str
    run_id: str
    promoted: bool
    reason: str
    evaluations: dict[str, EvalReport]
    stages: dict[str, float]
    datasets: dict[str, Any]
    model_dir: Path

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "model_name": self.model_name,
            "version": self.version,
            "run_id": self.run_id,
            "promoted": self.promoted,
            "reason": self.reason,
            "stages": self.stages,
            "datasets": self.datasets,
            "evaluations": {k: v.model_dump(mode="json") for k, v in self.evaluations.items()},
            "model_dir": str(self.model_dir),
        }


def resolve_base(config: TrainConfig, settings: Settings) -> str:
    """`tiny` means the locally built demo model in the data directory."""
    if config.base_model == "tiny":
        folder = settings.tiny_model_dir
        if not (folder / "config.json").is_file():
            raise TrainingRefused(
                f"{folder}: no tiny base model; build it with `flywheel base-model build-tiny`"
            )
        return str(folder)
    return config.base_model


def registry_for(settings: Settings):
    from registry.tracking import ModelRegistry

    return ModelRegistry(settings.tracking_uri, settings.model_name, settings.mlflow_artifacts)


def gated_snapshot(engine, snapshot_id: int):
    """The snapshot and its passing gate report, or TrainingRefused saying why not."""
    from quality_gates.gate import latest_gate_run
    from quality_gates.snapshot import SnapshotError, get_snapshot

    try:
        snapshot = get_snapshot(engine, snapshot_id)
    except SnapshotError as error:
        raise TrainingRefused(str(error)) from None
    report = latest_gate_run(engine, snapshot_id)
    if report is None:
        raise TrainingRefused(
            f"snapshot {snapshot_id} was never gated: run `flywheel gate --snapshot {snapshot_id}`"
        )
    if not report.passed:
        raise TrainingRefused(f"refusing to train: {report.summary()}")
    return snapshot, report


def evaluate_location(location: str, name: str, prompts, config: TrainConfig, scorer):
    from training.evaluation import evaluate_model
    from training.model_io import load_model, torch_device

    model, tokenizer = load_model(location, torch_device(config.device))
    return evaluate_model(model, tokenizer, name, prompts, config.evaluation, scorer)


def latest_passing_snapshot(engine) -> int:
    """The newest snapshot whose latest gate run passed."""
    from quality_gates.gate import gate_history

    passing: dict[int, bool] = {}
    for report in gate_history(engine):  # oldest first: the last run of a snapshot wins
        passing[report.snapshot_id] = report.passed
    ids = [snapshot_id for snapshot_id, passed in passing.items() if passed]
    if not ids:
        raise TrainingRefused("no snapshot has passed the gate: run `flywheel gate` first")
    return max(ids)


def _eval_prompts(bundle) -> list[dict[str, Any]]:
    """GRPO-style prompts of an eval-split bundle, or TrainingRefused when it has none."""
    from training.datasets import dataset_rows

    prompts = dataset_rows(bundle, "grpo")
    if not prompts:
        raise TrainingRefused(
            f"snapshot {bundle.snapshot_id}: its eval split has no confirmed findings to "
            "evaluate on"
        )
    return prompts


def held_out_prompts(engine, snapshot_id: int) -> list[dict[str, Any]]:
    """GRPO-style prompts from the eval split of a snapshot."""
    from quality_gates.snapshot import SnapshotError, get_snapshot, load_items
    from training.datasets import build_datasets

    try:
        snapshot = get_snapshot(engine, snapshot_id)
    except SnapshotError as error:
        raise TrainingRefused(str(error)) from None
    items = load_items(engine, snapshot_id)
    return _eval_prompts(build_datasets(items, snapshot.id, snapshot.content_hash, "eval"))


def _evaluate_all(settings, registry, prompts, candidate: str, base: str, config, work: Path):
    """The candidate, the base model and the champion (when there is one) on the same
    prompts under the same seeds."""
    from training.scoring import Scorer

    scorer = Scorer(config.evaluation.reward)
    evaluations = {
        "candidate": evaluate_location(candidate, "candidate", prompts, config, scorer),
        "base": evaluate_location(base, "base", prompts, config, scorer),
    }
    champion_version = registry.alias_version("champion")
    if champion_version is not None:
        champion_dir = registry.resolve(
            f"models:/{settings.model_name}/{champion_version}", work / "champion"
        )
        evaluations["champion"] = evaluate_location(
            str(champion_dir), f"champion v{champion_version}", prompts, config, scorer
        )
    return evaluations, champion_version


def evaluate_against(
    settings: Settings, engine, snapshot_id: int, model_uri: str, config: TrainConfig
) -> dict[str, EvalReport]:
    """`flywheel evaluate`: a model by URI or folder against the base model and champion."""
    import tempfile

    from training.model_io import ModelCard, is_trained_model

    prompts = held_out_prompts(engine, snapshot_id)
    registry = registry_for(settings)
    settings.home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix="evaluate-") as scratch:
        work = Path(scratch)
        folder = registry.resolve(model_uri, work / "candidate")
        base = (
            ModelCard.read(folder).base_model
            if is_trained_model(folder)
            else resolve_base(config, settings)
        )
        evaluations, _ = _evaluate_all(settings, registry, prompts, str(folder), base, config, work)
    evaluations["candidate"] = evaluations["candidate"].model_copy(update={"model": model_uri})
    return evaluations


def train_and_register(
    settings: Settings,
    engine,
    snapshot_id: int,
    config: TrainConfig,
    actor: str = "cli",
) -> TrainRun | None:
    from quality_gates.snapshot import load_items
    from quality_gates.trigger import record_lineage
    from registry.promotion import decide
    from training.datasets import build_datasets
    from training.trainers import is_main_process, run_stages

    snapshot, gate = gated_snapshot(engine, snapshot_id)
    base = resolve_base(config, settings)
    items = load_items(engine, snapshot_id)
    train = build_datasets(items, snapshot.id, snapshot.content_hash, "train")
    held_out = build_datasets(items, snapshot.id, snapshot.content_hash, "eval")
    prompts = _eval_prompts(held_out)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    work = settings.training_dir / f"snapshot-{snapshot_id}-{stamp}"
    manifests = {
        "train": train.write(work / "datasets" / "train"),
        "eval": held_out.write(work / "datasets" / "eval"),
    }
    lineage = {
        "snapshot_id": snapshot.id,
        "snapshot_hash": snapshot.content_hash,
        "gate_run_id": gate.gate_run_id,
        "base_model": base,
        "config_sha256": config.digest(),
    }
    model_dir = work / "model"
    results = run_stages(config, base, train, model_dir, work / "checkpoints", lineage)
    if not is_main_process():
        return None  # multi-GPU: rank 0 alone evaluates and registers

    registry = registry_for(settings)
    evaluations, champion_version = _evaluate_all(
        settings, registry, prompts, str(model_dir), base, config, work
    )
    incumbent = "champion" if champion_version else "base"
    decision = decide(
        evaluations["candidate"],
        evaluations[incumbent],
        f"champion v{champion_version}" if champion_version else "base model",
        config.promotion.utility_tolerance,
    )

    stages: dict[str, float] = {}
    for result in results:
        stages.update(result.summary())
    metrics = dict(stages)
    for name, report in evaluations.items():
        metrics.update(report.metrics(f"eval.{name}."))
    tags = {f"lineage.{k}": str(v) for k, v in lineage.items()}
    run_id, digest = registry.log_run(
        run_name=f"snapshot-{snapshot_id}-{stamp}",
        config=config.model_dump(mode="json"),
        metrics=metrics,
        tags=tags,
        documents={
            "gate_report.json": gate.model_dump(mode="json"),
            "datasets.json": manifests,
            "evaluation.json": {k: v.model_dump(mode="json") for k, v in evaluations.items()},
        },
        model_dir=model_dir,
    )
    version = registry.register(run_id, {**tags, "model.sha256": digest})
    registry.record_decision(version, run_id, decision)
    record_lineage(engine, settings.model_name, version, snapshot.id)
    with engine.begin() as conn:
        append_audit(
            conn,
            actor,
            "model.promoted" if decision.promote else "model.kept_champion",
            subject=f"{settings.model_name} v{version}",
            after=json.loads(decision.model_dump_json()),
        )
    return TrainRun(
        snapshot_id=snapshot.id,
        model_name=settings.model_name,
        version=version,
        run_id=run_id,
        promoted=decision.promote,
        reason=decision.reason,
        evaluations=evaluations,
        stages=stages,
        datasets=manifests,
        model_dir=model_dir,
    )
