"""Snapshot -> datasets -> supervised (SFT/DPO) -> RL (GRPO) -> evaluation -> registered
version -> promotion, as five steps that each leave their result on disk.

Each step is one function; the Dagster assets (`orchestration.assets.model`) call one each and
`train_and_register` (the CLI's `flywheel train`) calls them in order. A step's output lives in
a folder fixed by the snapshot and the config digest (`TrainingWork`) and appears there only
when complete (written beside it, then renamed), so a run killed in the middle resumes from
the last finished step, and a step that already finished is not run again: a second run on
the same snapshot and config trains nothing and registers nothing new.

Nothing reaches the registry until training and evaluation have finished; a snapshot whose
latest gate run did not pass is refused before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field

from core.settings import Settings
from detectors.judges import IndependentJudges
from registry.promotion import PromotionDecision, decide
from registry.tracking import ModelRegistry, ModelVersion
from store.audit import append_audit
from store.gate_history import gate_history, latest_gate_run, record_promotion
from store.snapshots import SnapshotError, get_snapshot, load_items
from training.config import TrainConfig
from training.datasets import DatasetBundle, DatasetError, build_datasets, dataset_rows
from training.evaluation import EvalReport, evaluate_model
from training.model_io import ModelCard, is_trained_model, load_model, torch_device
from training.reward_card import read_card
from training.scoring import Scorer
from training.trainers import StageResult, is_main_process, run_stages
from yardstick.harness import SuiteEvaluation, checked_tasks
from yardstick.model_runs import evaluate_loaded
from yardstick.suites import load_suite

SUPERVISED_STAGES = ("sft", "dpo")
RL_STAGES = ("grpo",)


class TrainingRefused(RuntimeError):
    """Training was not started (gate, snapshot, base model); nothing was written."""


class TrainingWork(BaseModel):
    """Where the training of one snapshot under one config lives."""

    model_config = ConfigDict(frozen=True)

    root: Path

    @classmethod
    def of(cls, settings: Settings, snapshot_id: int, config: TrainConfig) -> TrainingWork:
        return cls(root=settings.training_dir / f"snapshot-{snapshot_id}" / config.digest()[:16])

    def datasets(self, split: str) -> Path:
        return self.root / "datasets" / split

    @property
    def lineage_file(self) -> Path:
        return self.root / "lineage.json"

    @property
    def supervised(self) -> Path:
        return self.root / "supervised"

    @property
    def rl(self) -> Path:
        return self.root / "rl"

    @property
    def evaluation_file(self) -> Path:
        return self.root / "evaluation.json"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    def lineage(self) -> dict[str, Any]:
        try:
            return json.loads(self.lineage_file.read_text(encoding="utf-8"))
        except OSError:
            raise TrainingRefused(
                f"{self.root}: no datasets prepared for this snapshot and config"
            ) from None

    def candidate(self, config: TrainConfig) -> Path:
        """The folder of the last training step the config has."""
        return self.rl if any(s in RL_STAGES for s in config.stages) else self.supervised


class TrainRun(BaseModel):
    """A registered version of one snapshot trained under one config, with its decision."""

    snapshot_id: int
    model_name: str
    version: str
    run_id: str
    decision: PromotionDecision
    evaluations: dict[str, EvalReport]
    stages: dict[str, float]
    datasets: dict[str, Any]
    model_dir: Path
    resumed: bool = False  # the version was registered by an earlier run of the same work

    @computed_field
    @property
    def promoted(self) -> bool:
        return self.decision.promote

    @computed_field
    @property
    def reason(self) -> str:
        return self.decision.reason


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

    return ModelRegistry(settings.tracking_uri, settings.model_name, settings.mlflow_artifacts)


def gated_snapshot(engine, snapshot_id: int):
    """The snapshot and its passing gate report, or TrainingRefused saying why not."""

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


def latest_passing_snapshot(engine) -> int:
    """The newest snapshot whose latest gate run passed."""

    passing: dict[int, bool] = {}
    for report in gate_history(engine):  # oldest first: the last run of a snapshot wins
        passing[report.snapshot_id] = report.passed
    ids = [snapshot_id for snapshot_id, passed in passing.items() if passed]
    if not ids:
        raise TrainingRefused("no snapshot has passed the gate: run `flywheel gate` first")
    return max(ids)


def _eval_prompts(bundle) -> list[dict[str, Any]]:
    """GRPO-style prompts of an eval-split bundle, or TrainingRefused when it has none."""

    prompts = dataset_rows(bundle, "grpo")
    if not prompts:
        raise TrainingRefused(
            f"snapshot {bundle.snapshot_id}: its eval split has no confirmed findings to "
            "evaluate on"
        )
    return prompts


def held_out_prompts(engine, snapshot_id: int) -> list[dict[str, Any]]:
    """GRPO-style prompts from the eval split of a snapshot."""

    try:
        snapshot = get_snapshot(engine, snapshot_id)
    except SnapshotError as error:
        raise TrainingRefused(str(error)) from None
    items = load_items(engine, snapshot_id)
    return _eval_prompts(build_datasets(items, snapshot.id, snapshot.content_hash, "eval"))


def _replace_dir(partial: Path, final: Path) -> None:
    """Put a finished folder in place: readers see the old one or the new one, whole."""
    if final.exists():
        shutil.rmtree(final)
    os.replace(partial, final)


def _write_json(path: Path, document: Any) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(partial, path)


# Step 1: datasets --------------------------------------------------------------------------


def prepare_datasets(
    settings: Settings, engine, snapshot_id: int, config: TrainConfig
) -> tuple[TrainingWork, dict[str, dict[str, Any]]]:
    """The gate-passing snapshot's train and eval datasets, written with their manifests.
    Returns the work folder and the manifests (byte-identical when rebuilt)."""

    snapshot, gate = gated_snapshot(engine, snapshot_id)
    base = resolve_base(config, settings)
    items = load_items(engine, snapshot_id)
    bundles = {
        split: build_datasets(items, snapshot.id, snapshot.content_hash, split)
        for split in ("train", "eval")
    }
    _eval_prompts(bundles["eval"])  # refuse now rather than after training
    work = TrainingWork.of(settings, snapshot_id, config)
    manifests = {}
    for split, bundle in bundles.items():
        final = work.datasets(split)
        partial = final.with_name(final.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        manifests[split] = bundle.write(partial)
        _replace_dir(partial, final)
    _write_json(
        work.lineage_file,
        {
            "snapshot_id": snapshot.id,
            "snapshot_hash": snapshot.content_hash,
            "gate_run_id": gate.gate_run_id,
            "base_model": base,
            "config_sha256": config.digest(),
        },
    )
    return work, manifests


def read_manifests(work: TrainingWork) -> dict[str, dict[str, Any]]:
    manifests = {}
    for split in ("train", "eval"):
        path = work.datasets(split) / "manifest.json"
        try:
            manifests[split] = json.loads(path.read_text(encoding="utf-8"))
        except OSError:
            raise TrainingRefused(f"{path}: datasets not prepared") from None
    return manifests


# Steps 2 and 3: training -------------------------------------------------------------------


class StepOutcome(BaseModel):
    folder: Path | None  # the trained-model folder the step left (None: a non-main rank)
    stages: list[str]
    ran: bool  # False: nothing configured for this step, or it had finished before

    def summary(self) -> dict[str, float]:
        if self.folder is None:
            return {}
        return stage_figures(self.folder, self.stages)


def stage_figures(folder: Path, stages: list[str] | None = None) -> dict[str, float]:
    """What each stage (all, or those named) measured, from the folder's model card."""

    if not is_trained_model(folder):
        return {}
    figures: dict[str, float] = {}
    for result in ModelCard.read(folder).results:
        if stages is None or result["stage"] in stages:
            figures.update(StageResult(**result).summary())
    return figures


def train_step(
    settings: Settings, work: TrainingWork, config: TrainConfig, step: str
) -> StepOutcome:
    """`supervised` (SFT, DPO) from the base model, or `rl` (GRPO) from what the supervised
    step left (the base model when there was none). A step the config lacks passes its
    input on; a finished one is not run again."""

    lineage = work.lineage()
    wanted = SUPERVISED_STAGES if step == "supervised" else RL_STAGES
    stages = [s for s in config.stages if s in wanted]
    start = lineage["base_model"]
    if step == "rl" and any(s in SUPERVISED_STAGES for s in config.stages):
        if not is_trained_model(work.supervised):
            raise TrainingRefused(f"{work.supervised}: the supervised step has not finished")
        start = str(work.supervised)
    output = work.supervised if step == "supervised" else work.rl
    if not stages:
        return StepOutcome(folder=Path(start), stages=[], ran=False)
    if is_trained_model(output):
        return StepOutcome(folder=output, stages=stages, ran=False)
    try:
        bundle = DatasetBundle.read(work.datasets("train"))
    except DatasetError as error:
        raise TrainingRefused(str(error)) from None
    partial = output.with_name(output.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    run_stages(
        config.model_copy(update={"stages": stages}),
        start,
        bundle,
        partial,
        work.checkpoints / step,
        lineage,
    )
    if not is_main_process():
        return StepOutcome(folder=None, stages=stages, ran=True)  # rank 0 alone goes on
    _replace_dir(partial, output)
    shutil.rmtree(work.checkpoints / step, ignore_errors=True)
    return StepOutcome(folder=output, stages=stages, ran=True)


# Step 4: evaluation ------------------------------------------------------------------------


class Judges:
    """Everything that judges a model, loaded once per evaluation: the reward's scorer, the
    independent judges, and the security suite's checked tasks."""

    def __init__(self, settings: Settings, config: TrainConfig) -> None:
        self.config = config
        self.scorer = Scorer(config.evaluation.reward)
        self.independent = IndependentJudges(config.engines.evaluation)
        self.suite = load_suite(Path(config.suite.path) if config.suite.path else None)
        self.tasks = checked_tasks(
            self.suite, settings.home / "yardstick", config.suite.workers, config.suite.max_tasks
        )

    def evaluate(self, location: str, name: str, prompts) -> tuple[EvalReport, SuiteEvaluation]:
        """A model on the held-out prompts (both views) and on the security suite."""
        config = self.config
        model, tokenizer = load_model(location, torch_device(config.device))
        report = evaluate_model(
            model, tokenizer, name, prompts, config.evaluation, self.scorer, self.independent
        )
        suite = evaluate_loaded(model, tokenizer, name, self.suite, self.tasks, config.suite)
        return report, suite


def _evaluate_all(settings, registry, prompts, candidate: str, base: str, config, work: Path):
    """The candidate, the base model and the champion (when there is one) on the same
    prompts and suite tasks under the same seeds."""
    judges = Judges(settings, config)
    models = {"candidate": (candidate, "candidate"), "base": (base, "base")}
    champion_version = registry.alias_version("champion")
    if champion_version is not None:
        champion_dir = registry.resolve(
            f"models:/{settings.model_name}/{champion_version}", work / "champion"
        )
        models["champion"] = (str(champion_dir), f"champion v{champion_version}")
    reports, suites = {}, {}
    for key, (location, name) in models.items():
        reports[key], suites[key] = judges.evaluate(location, name, prompts)
    return reports, suites, champion_version


class Evaluation(BaseModel):
    reports: dict[str, EvalReport]
    suites: dict[str, SuiteEvaluation] = {}  # the security suite, per model
    champion_version: str | None
    ran: bool

    @classmethod
    def read(cls, work: TrainingWork) -> Evaluation | None:
        """The stored evaluation.json of this work, or None when there is none yet."""
        if not work.evaluation_file.is_file():
            return None
        stored = json.loads(work.evaluation_file.read_text(encoding="utf-8"))
        return cls.model_validate({**stored, "ran": False})

    def documents(self) -> dict[str, Any]:
        return {
            "reports": {k: v.model_dump(mode="json") for k, v in self.reports.items()},
            "suites": {k: v.model_dump(mode="json") for k, v in self.suites.items()},
        }

    def write(self, work: TrainingWork) -> None:
        _write_json(
            work.evaluation_file, {"champion_version": self.champion_version, **self.documents()}
        )

    def incumbent(self) -> tuple[str, str]:
        """(key in `reports`, how the decision names it)."""
        if self.champion_version:
            return "champion", f"champion v{self.champion_version}"
        return "base", "base model"


def evaluate_step(settings: Settings, work: TrainingWork, config: TrainConfig) -> Evaluation:
    """Candidate, base and champion on the eval split's prompts; kept in evaluation.json and
    reused while the champion is the one it was compared with."""

    candidate = work.candidate(config)
    if not is_trained_model(candidate):
        raise TrainingRefused(f"{candidate}: training has not finished")
    registry = registry_for(settings)
    stored = Evaluation.read(work)
    if stored is not None:
        # Reused while it compares with today's champion, and always once registered (the
        # registered version's decision was made on it; it may be the champion itself now).
        registered = _registered(registry, work.lineage()) is not None
        if registered or stored.champion_version == registry.alias_version("champion"):
            return stored
    try:
        prompts = _eval_prompts(DatasetBundle.read(work.datasets("eval")))
    except DatasetError as error:
        raise TrainingRefused(str(error)) from None
    scratch = work.root / "evaluate.partial"
    shutil.rmtree(scratch, ignore_errors=True)
    reports, suites, champion_version = _evaluate_all(
        settings, registry, prompts, str(candidate), work.lineage()["base_model"], config, scratch
    )
    shutil.rmtree(scratch, ignore_errors=True)
    evaluation = Evaluation(
        reports=reports, suites=suites, champion_version=champion_version, ran=True
    )
    evaluation.write(work)
    return evaluation


def evaluate_against(
    settings: Settings, engine, snapshot_id: int, model_uri: str, config: TrainConfig
) -> dict[str, EvalReport]:
    """`flywheel evaluate`: a model by URI or folder against the base model and champion."""

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
        evaluations, _, _ = _evaluate_all(
            settings, registry, prompts, str(folder), base, config, work
        )
    evaluations["candidate"] = evaluations["candidate"].model_copy(update={"model": model_uri})
    return evaluations


# Step 5: registration and promotion -------------------------------------------------------


def registration_key(snapshot_id: int, config_sha256: str) -> dict[str, str]:
    """The version tags that identify one snapshot trained under one config."""
    return {"lineage.snapshot_id": str(snapshot_id), "lineage.config_sha256": config_sha256}


def _registered(registry: ModelRegistry, lineage: dict[str, Any]) -> ModelVersion | None:
    return registry.find_version(registration_key(lineage["snapshot_id"], lineage["config_sha256"]))


def register_step(
    settings: Settings, engine, work: TrainingWork, config: TrainConfig, actor: str = "cli"
) -> TrainRun:
    """Log the run, register the candidate (alias challenger), decide on promotion, record
    the lineage and the audit entry. The version of this work registered before (a run
    killed after registering) is completed and returned, never registered twice."""
    # deferred: it imports the gate: Great Expectations takes ~4 s to import
    from quality_gates.trigger import record_lineage

    evaluation = Evaluation.read(work)
    if evaluation is None:
        raise TrainingRefused(f"{work.evaluation_file}: the candidate was not evaluated")
    lineage = work.lineage()
    tags = {f"lineage.{k}": str(v) for k, v in lineage.items()}
    manifests = read_manifests(work)
    model_dir = work.candidate(config)
    stages = stage_figures(model_dir)
    registry = registry_for(settings)
    existing = _registered(registry, lineage)
    resumed = existing is not None
    card = read_card(model_dir)
    if card is not None:
        tags["reward_card.sha256"] = card.sha256
    if existing is None:
        gate = latest_gate_run(engine, lineage["snapshot_id"])
        metrics = dict(stages)
        for name, report in evaluation.reports.items():
            metrics.update(report.metrics(f"eval.{name}."))
        run_id, digest = registry.log_run(
            run_name=f"snapshot-{lineage['snapshot_id']}-{work.root.name}",
            config=config.model_dump(mode="json"),
            metrics=metrics,
            tags=tags,
            documents={
                "gate_report.json": gate.model_dump(mode="json") if gate else {},
                "datasets.json": manifests,
                "evaluation.json": evaluation.documents(),
                "reward_card.json": card.model_dump(mode="json") if card else {},
            },
            model_dir=model_dir,
        )
        version = registry.register(run_id, {**tags, "model.sha256": digest})
        decision = None
    else:
        version, run_id = existing.version, existing.run_id
        decision = existing.decision
    if decision is None:
        incumbent, against = evaluation.incumbent()
        decision = decide(
            evaluation.reports["candidate"],
            evaluation.reports[incumbent],
            against,
            config.promotion,
            evaluation.suites.get("candidate"),
            evaluation.suites.get(incumbent),
        )
        registry.record_decision(version, run_id, decision)
        record_promotion(
            engine, settings.model_name, version, json.loads(decision.model_dump_json())
        )
        with engine.begin() as conn:
            append_audit(
                conn,
                actor,
                "model.promoted" if decision.promote else "model.kept_champion",
                subject=f"{settings.model_name} v{version}",
                after=json.loads(decision.model_dump_json()),
            )
    record_lineage(engine, settings.model_name, version, int(lineage["snapshot_id"]))
    return TrainRun(
        snapshot_id=int(lineage["snapshot_id"]),
        model_name=settings.model_name,
        version=version,
        run_id=run_id,
        decision=decision,
        evaluations=evaluation.reports,
        stages=stages,
        datasets=manifests,
        model_dir=model_dir,
        resumed=resumed,
    )


def train_and_register(
    settings: Settings,
    engine,
    snapshot_id: int,
    config: TrainConfig,
    actor: str = "cli",
) -> TrainRun | None:
    """All five steps in order (what the Dagster assets do one by one). None in the other
    ranks of a multi-GPU launch: rank 0 alone evaluates and registers."""
    work, _ = prepare_datasets(settings, engine, snapshot_id, config)
    for step in ("supervised", "rl"):
        if train_step(settings, work, config, step).folder is None:
            return None
    evaluate_step(settings, work, config)
    return register_step(settings, engine, work, config, actor)
