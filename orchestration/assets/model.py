"""Dagster: the model stage, one asset per step of `orchestration.retraining`.

    corpus_snapshot --[quality_gate: blocking]--> sft_dataset, dpo_dataset, grpo_prompts
        -> lora_adapter (SFT, DPO) -> rl_adapter (GRPO) -> model_evaluation -> registered_model

Every asset works on the snapshot the latest `corpus_snapshot` materialization froze, in the
folder fixed by that snapshot and the config digest, so a run that failed or was killed
resumes at the first unfinished step, and finished steps are not run again."""

from pathlib import Path
from typing import Any

import dagster as dg

from core.settings import Settings
from orchestration.assets.corpus import latest_snapshot_id
from orchestration.resources import FindingsStoreResource
from orchestration.retraining import (
    TrainingWork,
    evaluate_step,
    prepare_datasets,
    register_step,
    train_step,
)
from training.config import TrainConfig, load_config

GROUP = "model"
# Under the k8s executor (FLYWHEEL_EXECUTOR=k8s, infra/helm) each step is a pod: the training
# and evaluation steps ask for one GPU on a node the NVIDIA GPU operator labelled. Without
# Kubernetes these tags do nothing.
GPU_STEP_TAGS = {
    "dagster-k8s/config": {
        "container_config": {"resources": {"limits": {"nvidia.com/gpu": "1"}}},
        "pod_spec_config": {
            "node_selector": {"nvidia.com/gpu.present": "true"},
            "tolerations": [
                {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
            ],
        },
    }
}


class TrainingResource(dg.ConfigurableResource):
    """Compute and registry: where models are trained and registered, with which config.
    `overrides` are `key.path=value` strings (`device=cuda`, `grpo.max_steps=50`)."""

    home: str
    config_path: str | None = None  # default: training/configs/tiny.yaml
    overrides: list[str] = []
    tracking_uri: str | None = None  # default: SQLite store in home
    model_name: str = "flywheel-coder"

    def settings(self, database_url: str) -> Settings:
        return Settings(
            home=Path(self.home),
            db_url=database_url,
            mlflow_tracking_uri=self.tracking_uri,
            model_name=self.model_name,
        )

    def config(self) -> TrainConfig:
        return load_config(Path(self.config_path) if self.config_path else None, self.overrides)


def _work(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
) -> tuple[Settings, TrainConfig, TrainingWork]:
    settings = training.settings(store.database_url)
    config = training.config()
    return settings, config, TrainingWork.of(settings, latest_snapshot_id(context.instance), config)


@dg.multi_asset(
    outs={
        "sft_dataset": dg.AssetOut(
            description="SFT rows (remediations, rule learning) of the snapshot's train split",
            kinds={"json"},
        ),
        "dpo_dataset": dg.AssetOut(
            description="DPO pairs: the reviewer's fix chosen over the flagged code",
            kinds={"json"},
        ),
        "grpo_prompts": dg.AssetOut(
            description="GRPO prompts (train split) and the held-out evaluation prompts",
            kinds={"json"},
        ),
    },
    deps=["corpus_snapshot"],
    group_name=GROUP,
    name="training_datasets",
)
def training_datasets(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
):
    settings = training.settings(store.database_url)
    config = training.config()
    snapshot_id = latest_snapshot_id(context.instance)
    work, manifests = prepare_datasets(settings, store.store.engine, snapshot_id, config)
    train, held_out = manifests["train"], manifests["eval"]
    common = {"snapshot_id": snapshot_id, "folder": dg.MetadataValue.path(str(work.root))}
    for asset, name, rows in (
        ("sft_dataset", "sft", train["sft_examples"]),
        ("dpo_dataset", "dpo", train["dpo_pairs"]),
        ("grpo_prompts", "grpo", train["grpo_prompts"]),
    ):
        metadata: dict[str, Any] = {
            **common,
            "rows": rows,
            "sha256": train["files"][f"{name}.jsonl"],
        }
        if name == "grpo":
            metadata["eval_prompts"] = held_out["grpo_prompts"]
            metadata["cwes"] = ", ".join(str(c) for c in train["cwes"])
        yield dg.MaterializeResult(
            asset_key=asset,
            metadata=metadata,
            data_version=dg.DataVersion(metadata["sha256"]),
        )


def _step_result(outcome, what: str) -> dg.MaterializeResult:
    if outcome.folder is None:
        raise dg.Failure("training ran in a non-main rank; launch multi-GPU runs from the CLI")
    if not outcome.stages:
        state = f"no {what} stage configured: passes on {outcome.folder}"
    else:
        state = "trained" if outcome.ran else "finished earlier (resumed)"
    return dg.MaterializeResult(
        metadata={
            "state": state,
            "stages": ", ".join(outcome.stages) or "none",
            "folder": dg.MetadataValue.path(str(outcome.folder)),
            **{k: float(v) for k, v in outcome.summary().items()},
        }
    )


@dg.asset(
    name="lora_adapter",
    group_name=GROUP,
    op_tags=GPU_STEP_TAGS,
    kinds={"pytorch"},
    deps=["sft_dataset", "dpo_dataset"],
    description="The supervised stages (SFT, then DPO when configured) as LoRA adapters on "
    "the base model.",
)
def lora_adapter(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
) -> dg.MaterializeResult:
    settings, config, work = _work(context, store, training)
    return _step_result(train_step(settings, work, config, "supervised"), "supervised")


@dg.asset(
    name="rl_adapter",
    group_name=GROUP,
    op_tags=GPU_STEP_TAGS,
    kinds={"pytorch"},
    deps=["lora_adapter", "grpo_prompts"],
    description="GRPO with the scanner-ensemble reward, continuing from the supervised model.",
)
def rl_adapter(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
) -> dg.MaterializeResult:
    settings, config, work = _work(context, store, training)
    return _step_result(train_step(settings, work, config, "rl"), "RL")


@dg.asset(
    name="model_evaluation",
    group_name=GROUP,
    op_tags=GPU_STEP_TAGS,
    kinds={"python"},
    deps=["rl_adapter"],
    description="Vulnerability rate and utility of the candidate, the base model and the "
    "champion on the held-out prompts (same prompts, same seeds).",
)
def model_evaluation(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
) -> dg.MaterializeResult:
    settings, config, work = _work(context, store, training)
    evaluation = evaluate_step(settings, work, config)
    metadata: dict[str, Any] = {
        "compared_with": evaluation.incumbent()[1],
        "reused": not evaluation.ran,
    }
    for name, report in evaluation.reports.items():
        metadata[f"{name}/vulnerability_rate"] = report.vulnerability_rate
        metadata[f"{name}/utility"] = report.utility
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    name="registered_model",
    group_name=GROUP,
    kinds={"mlflow"},
    deps=["model_evaluation"],
    description="The candidate registered in MLflow with its lineage (alias challenger); "
    "champion moves only when it is less vulnerable without losing utility.",
)
def registered_model(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, training: TrainingResource
) -> dg.MaterializeResult:
    settings, config, work = _work(context, store, training)
    run = register_step(
        settings, store.store.engine, work, config, actor=f"dagster:{context.run.run_id}"
    )
    context.log.info(f"{run.model_name} v{run.version}: {run.reason}")
    candidate = run.evaluations["candidate"]
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": run.snapshot_id,
            "model_version": run.version,
            "promoted": run.promoted,
            "decision": run.reason,
            "resumed": run.resumed,
            "mlflow_run_id": run.run_id,
            "vulnerability_rate": candidate.vulnerability_rate,
            "utility": candidate.utility,
        },
        data_version=dg.DataVersion(f"{run.model_name}/{run.version}"),
    )


MODEL_ASSETS = [training_datasets, lora_adapter, rl_adapter, model_evaluation, registered_model]
