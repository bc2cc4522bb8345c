"""The main job: the whole loop once on the bundled sample, through the Dagster graph.

    scan the sample service with the ensemble + ingest the bundled reports of the other tools
    -> embed -> queue
    (ingest_job) -> import the sample's reviewer decisions -> snapshot -> gate (blocking)
    -> datasets -> SFT -> GRPO -> evaluate -> register -> promote or not (retrain_job)

Both jobs run in process on a persistent Dagster instance under $FLYWHEEL_HOME/dagster, so
`dagster dev` with that DAGSTER_HOME shows these runs. Everything is idempotent: a second run
ingests nothing new, imports no label twice, finds the same snapshot, and does not train or
register again when that snapshot was already trained under the same config.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, computed_field

from core.settings import EXAMPLES, Settings
from orchestration.retraining import Evaluation, TrainingWork, registration_key, registry_for
from quality_gates.thresholds import GateConfigError
from registry.promotion import PromotionDecision
from registry.tracking import ModelRegistry, ModelVersion
from store.gate_history import GateReport, latest_gate_run
from store.label_transfer import ImportSummary, TransferError, import_jsonl
from store.snapshots import CreatedSnapshot, create_snapshot
from training.base_model import TinySpec, build_tiny
from training.config import TrainConfigError
from training.evaluation import EvalReport

SAMPLE_SERVICE = EXAMPLES / "sample_service"
SAMPLE_REPORTS = EXAMPLES / "reports"
SAMPLE_DECISIONS = EXAMPLES / "decisions" / "sample_service.jsonl"
SAMPLE_THRESHOLDS = EXAMPLES / "thresholds" / "sample_service.yaml"
SAMPLE_REPOSITORY = "examples/sample_service"
SAMPLE_SERVICE_NAME = "sample-service"

# The Dagster instance of `flywheel run`: quiet logs, no telemetry (nothing leaves the host).
INSTANCE_YAML = """\
telemetry:
  enabled: false
python_logs:
  python_log_level: WARNING
"""
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class LoopError(RuntimeError):
    """A stage of the loop failed; the message names the stage and why."""


class LoopConfigError(LoopError):
    """The configuration the loop would run with is invalid; nothing was written."""


class StageTiming(BaseModel):
    stage: str
    seconds: float
    built: bool | None = None  # the tiny base model was built by this run
    parameters: int | None = None  # ... with this many parameters
    imported: int | None = None  # reviewer decisions imported


class CollectedFindings(BaseModel):
    stored: int
    by_tool: dict[str, int]
    new: int
    unchanged: int
    fixed: int
    reopened: int
    embedded: int
    indexed: int
    review_queue: int  # open and unlabelled


class LabelImport(ImportSummary):
    file: str


class GateOutcome(BaseModel):
    snapshot_id: int
    passed: bool
    summary: str
    failed: list[str]  # the expectations that failed
    expectations: int

    @classmethod
    def of(cls, report: GateReport) -> GateOutcome:
        return cls(
            snapshot_id=report.snapshot_id,
            passed=report.passed,
            summary=report.summary(),
            failed=[o.name for o in report.failed()],
            expectations=len(report.expectations),
        )


class RegisteredModel(BaseModel):
    name: str
    version: str
    aliases: list[str]
    decision: PromotionDecision
    run_id: str | None
    uri: str
    evaluations: dict[str, EvalReport]  # candidate, base, and champion when there was one
    champion: str | None  # the version behind the champion alias now

    @computed_field
    @property
    def promoted(self) -> bool:
        return self.decision.promote


class LoopSummary(BaseModel):
    """What `flywheel run` did; `--json` prints its serialization."""

    stages: list[StageTiming] = []
    findings: CollectedFindings | None = None
    labels: LabelImport | None = None
    snapshot: CreatedSnapshot | None = None
    gate: GateOutcome | None = None  # None: the gate did not run
    model: RegisteredModel | None = None  # None: nothing registered (the gate failed)
    dagster_runs: list[str] = []


# The ensemble's scan reports Semgrep and Bandit on the sample itself. Ingesting the bundled
# Semgrep and Bandit reports too would give one tool two sources on one repository, each
# becoming the "newest scan" of that tool in turn on every run; they stay examples for
# `flywheel ingest` and the tests.
SCANNED_BY_THE_ENSEMBLE = ("semgrep.sarif", "bandit.json")


def sample_reports() -> list[Path]:
    """The bundled reports of tools the ensemble does not run (Gitleaks, pip-audit)."""
    return sorted(
        p
        for p in SAMPLE_REPORTS.iterdir()
        if p.is_file() and p.suffix in (".json", ".sarif") and p.name not in SCANNED_BY_THE_ENSEMBLE
    )


def open_instance(settings: Settings):
    """The persistent Dagster instance under $FLYWHEEL_HOME/dagster (created on first use)."""
    # deferred: Dagster takes ~3 s to import
    import dagster as dg

    home = settings.dagster_home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_YAML, encoding="utf-8")
    return dg.DagsterInstance.from_config(str(home))


def loop_settings(settings: Settings) -> Settings:
    """The sample's gate thresholds and advisories unless the user configured their own."""
    updates: dict[str, Any] = {}
    if settings.gate_thresholds is None:
        updates["gate_thresholds"] = SAMPLE_THRESHOLDS
    if settings.advisory_db is None:
        updates["advisory_db"] = EXAMPLES / "advisories"
    return settings.model_copy(update=updates)


def _execute(defs, job_name: str, instance, run_config: dict[str, Any], summary: LoopSummary):
    job = defs.resolve_job_def(job_name)
    sigterm = signal.getsignal(signal.SIGTERM)
    try:
        result = job.execute_in_process(
            run_config={**QUIET, **run_config},
            instance=instance,
            tags={"flywheel/origin": "flywheel run"},
            raise_on_error=False,
        )
    finally:
        # Dagster leaves SIGTERM mapped to SIGINT's handler, which is "ignored" when
        # `flywheel run` was started as a background job (`&`, nohup): `kill` would no longer
        # stop the run, nor the processes it starts (an ignored signal survives exec).
        if threading.current_thread() is threading.main_thread():  # only it may set handlers
            signal.signal(signal.SIGTERM, sigterm)
    summary.dagster_runs.append(f"{job_name} {result.run_id}")
    return result


def _failure(result) -> str:
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            message = error.message.strip() if error else "failed"
            return f"{event.step_key}: {message}"
    return "the run failed"


def collect_sample(defs, instance, summary: LoopSummary) -> CollectedFindings:
    """ingest_job on the sample: an ensemble scan of the service and the bundled reports of
    the tools outside the ensemble."""
    findings_config = {
        "files": [str(p) for p in sample_reports()],
        "scan": [str(SAMPLE_SERVICE)],
        "repo": str(SAMPLE_SERVICE),
        "repository": SAMPLE_REPOSITORY,
        "service": SAMPLE_SERVICE_NAME,
    }
    result = _execute(
        defs, "ingest_job", instance, {"ops": {"findings": {"config": findings_config}}}, summary
    )
    if not result.success:
        raise LoopError(f"ingest_job: {_failure(result)}")
    made = {
        node: {
            k: v.value for k, v in result.asset_materializations_for_node(node)[0].metadata.items()
        }
        for node in ("findings", "finding_embeddings", "review_queue")
    }
    store = defs.resources["store"].store
    return CollectedFindings(
        stored=store.count(),
        by_tool=store.count_by_tool(),
        **{k: made["findings"][k] for k in ("new", "unchanged", "fixed", "reopened")},
        embedded=made["finding_embeddings"].get("embedded", 0),
        indexed=made["finding_embeddings"].get("points", 0),
        review_queue=made["review_queue"].get("open_unlabelled", 0),
    )


def run_loop(settings: Settings, progress: Callable[[str], None] = lambda _: None) -> LoopSummary:
    # deferred: Dagster and every asset take ~4 s to import
    from orchestration.definitions import build_definitions

    settings = loop_settings(settings)
    summary = LoopSummary()
    defs = build_definitions(settings)
    resources = defs.resources
    # Configuration first: a bad training config or thresholds file stops the run before it
    # writes anything (LoopError names the file and the key).
    try:
        config = resources["training"].config()
        thresholds = resources["gate"].thresholds()
    except (TrainConfigError, GateConfigError) as error:
        raise LoopConfigError(str(error)) from None
    instance = open_instance(settings)
    store = resources["store"].store

    def stage(name: str, started: float, **what: Any) -> None:
        seconds = round(time.perf_counter() - started, 1)
        summary.stages.append(StageTiming(stage=name, seconds=seconds, **what))

    # 0. The tiny base model (the demo's stand-in for a real one), built once per data folder.
    started = time.perf_counter()
    if config.base_model == "tiny" and not (settings.tiny_model_dir / "config.json").is_file():
        progress("building the tiny base model (once per data folder, about a minute)")
        card = build_tiny(settings.tiny_model_dir, TinySpec())
        stage("tiny base model", started, built=True, parameters=card["parameters"])
    else:
        stage("tiny base model", started, built=False)

    # 1. Collect, embed, rank the queue.
    progress("scanning the sample service and ingesting the bundled reports")
    started = time.perf_counter()
    summary.findings = collect_sample(defs, instance, summary)
    stage("collect, embed, queue (ingest_job)", started)

    # 2. The sample's reviewer decisions, as a team would import an earlier triage.
    progress("importing the sample's reviewer decisions")
    started = time.perf_counter()

    try:
        imported = import_jsonl(store.engine, SAMPLE_DECISIONS)
    except TransferError as error:
        raise LoopError(str(error)) from None
    summary.labels = LabelImport(file=str(SAMPLE_DECISIONS), **dict(imported))
    if imported.unmatched:
        raise LoopError(
            f"{SAMPLE_DECISIONS}: {len(imported.unmatched)} decisions match no stored finding "
            f"(first: {imported.unmatched[0]})"
        )
    stage("import reviewer decisions", started, imported=imported.imported)

    # 3. Snapshot; gate, train, evaluate, register unless this snapshot was trained already.

    started = time.perf_counter()
    policy = thresholds.values.snapshot_policy(settings.labels_required)
    snapshot, created = create_snapshot(store.engine, policy, created_by="flywheel run")
    summary.snapshot = CreatedSnapshot(**dict(snapshot), created=created)
    registry = registry_for(settings)
    done = registry.find_version(registration_key(snapshot.id, config.digest()))
    if done is not None:
        progress(f"snapshot {snapshot.id} was trained already: v{done.version}")
        stage("retrain (skipped: snapshot already trained)", started)
    else:
        progress("gate -> datasets -> SFT -> GRPO -> evaluate -> register (a few minutes)")
        result = _execute(
            defs,
            "retrain_job",
            instance,
            {"ops": {"corpus_snapshot": {"config": {"snapshot_id": snapshot.id}}}},
            summary,
        )
        gate = latest_gate_run(store.engine, snapshot.id)
        if gate is not None and not gate.passed:
            summary.gate = GateOutcome.of(gate)
            stage("retrain_job (gate failed: nothing trained)", started)
            return summary
        if not result.success:
            raise LoopError(f"retrain_job: {_failure(result)}")
        stage("gate, datasets, SFT, GRPO, evaluate, register (retrain_job)", started)
    gate = latest_gate_run(store.engine, snapshot.id)
    summary.gate = GateOutcome.of(gate) if gate else None
    version = registry.find_version(registration_key(snapshot.id, config.digest()))
    if version is not None:
        work = TrainingWork.of(settings, snapshot.id, config)
        summary.model = _registered_model(settings, registry, version, work)
    return summary


def _registered_model(
    settings: Settings, registry: ModelRegistry, version: ModelVersion, work: TrainingWork
) -> RegisteredModel:
    decision = version.decision
    if decision is None:
        raise LoopError(
            f"models:/{settings.model_name}/{version.version} has no promotion decision: "
            "run `flywheel train` again to complete its registration"
        )
    stored = Evaluation.read(work)
    return RegisteredModel(
        name=settings.model_name,
        version=version.version,
        aliases=version.aliases,
        decision=decision,
        run_id=version.run_id,
        uri=f"models:/{settings.model_name}/{version.version}",
        evaluations=stored.reports if stored else {},
        champion=registry.alias_version("champion"),
    )
