"""`flywheel base-model`, `datasets`, `train`, `evaluate`, `models` and `serve`: the model
half of the loop."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from orchestration.cli.console import (
    ConfigOption,
    JsonOption,
    SetOption,
    err,
    fail,
    out,
    settings_or_exit,
    store_or_exit,
    train_config_or_exit,
)
from orchestration.retraining import (
    TrainingRefused,
    evaluate_against,
    gated_snapshot,
    latest_passing_snapshot,
    registry_for,
    train_and_register,
)
from registry.manifest import ChecksumError
from registry.serve import ChatModel, make_server
from registry.tracking import RegistryError
from store.snapshots import load_items
from training.base_model import TinySpec
from training.base_model import build_tiny as build_tiny_model
from training.datasets import build_datasets
from training.model_io import ModelLoadError, load_model
from training.trainers import TrainingError

base_model_app = typer.Typer(help="Base models: build the tiny local demo model.")
datasets_app = typer.Typer(help="Training datasets from a gate-passing snapshot.")
models_app = typer.Typer(help="Registered model versions and their aliases.")

app = typer.Typer()
app.add_typer(base_model_app, name="base-model")
app.add_typer(datasets_app, name="datasets")
app.add_typer(models_app, name="models")


@base_model_app.command("build-tiny")
def build_tiny(
    output: Annotated[
        Path | None, typer.Option(help="folder (default: $FLYWHEEL_HOME/models/tiny)")
    ] = None,
    pretrain_steps: Annotated[int, typer.Option(min=0, help="causal-LM steps on the corpus")] = 300,
    seed: int = 0,
) -> None:
    """Build the tiny demo model: a byte-level BPE tokenizer trained on local code (Python's
    standard library and the task families), a small Qwen2 config, a short pretraining pass.
    For the demo and tests only: no model hub is reachable here."""

    settings = settings_or_exit()
    folder = output or settings.tiny_model_dir
    with out.status(f"building the tiny model in {folder} ..."):
        card = build_tiny_model(folder, TinySpec(pretrain_steps=pretrain_steps, seed=seed))
    out.print(
        f"tiny model: {card['parameters']:,} parameters, vocabulary {card['vocab_size']}, "
        f"pretraining loss {card['pretrain_final_loss']} -> {escape(str(folder))}"
    )


@datasets_app.command("build")
def datasets_build(
    snapshot: Annotated[int, typer.Option("--snapshot", help="a snapshot whose gate passed")],
    output: Annotated[Path, typer.Option(help="folder for train/ and eval/ JSONL + manifests")],
    as_json: JsonOption = False,
) -> None:
    """Write the SFT, DPO and GRPO datasets of a gate-passing snapshot (deterministic)."""

    store = store_or_exit(settings_or_exit())
    try:
        found, _ = gated_snapshot(store.engine, snapshot)
    except TrainingRefused as error:
        raise fail(str(error)) from None
    items = load_items(store.engine, snapshot)
    manifests = {
        split: build_datasets(items, found.id, found.content_hash, split).write(output / split)
        for split in ("train", "eval")
    }
    if as_json:
        out.print_json(json.dumps(manifests))
        return
    for split, manifest in manifests.items():
        out.print(
            f"{split}: {manifest['sft_examples']} SFT ({manifest['sft_remediation']} remediation, "
            f"{manifest['sft_rule_learning']} rule learning), {manifest['dpo_pairs']} DPO pairs, "
            f"{manifest['grpo_prompts']} GRPO prompts -> {escape(str(output / split))}"
        )


@app.command()
def train(
    snapshot: Annotated[
        int | None,
        typer.Option("--snapshot", help="gate-passing snapshot (default: the latest that passed)"),
    ] = None,
    config: ConfigOption = None,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Train on a gate-passing snapshot (SFT -> GRPO by default), evaluate against the base
    model and the champion, register the version in MLflow (alias challenger) and move
    `champion` only when it is less vulnerable without losing utility. Exit 2: refused."""

    settings = settings_or_exit()
    loaded = train_config_or_exit(settings, config, overrides)
    store = store_or_exit(settings)
    try:
        snapshot_id = snapshot if snapshot is not None else latest_passing_snapshot(store.engine)
        with err.status(f"training on snapshot {snapshot_id} ({', '.join(loaded.stages)}) ..."):
            run = train_and_register(settings, store.engine, snapshot_id, loaded)
    except (TrainingRefused, TrainingError, ModelLoadError) as error:
        raise fail(str(error)) from None
    if run is None:
        return  # another rank of a multi-GPU launch: rank 0 reports
    if as_json:
        out.print_json(run.model_dump_json())
        return
    out.print(_evaluation_table(run.evaluations))
    verdict = "[green]champion[/green]" if run.promoted else "challenger"
    out.print(
        f"{run.model_name} v{run.version} registered ({verdict}): {escape(run.reason)}\n"
        f"MLflow run {run.run_id} at {escape(settings.tracking_uri)}"
    )


def _evaluation_table(evaluations) -> Table:
    table = Table("model", "samples", "vulnerable", "utility", "parses", "refusals", "reward")
    for report in evaluations.values():
        table.add_row(
            escape(report.model),
            str(report.samples),
            f"{report.vulnerability_rate:.1%}",
            f"{report.utility:.1%}",
            f"{report.parse_rate:.1%}",
            f"{report.refusal_rate:.1%}",
            f"{report.mean_reward:.3f}",
        )
    return table


@app.command()
def evaluate(
    model: Annotated[
        str,
        typer.Option(
            "--model", help="models:/NAME@ALIAS, models:/NAME/VERSION, runs:/, or a folder"
        ),
    ],
    snapshot: Annotated[
        int | None, typer.Option("--snapshot", help="held-out prompts of this snapshot")
    ] = None,
    config: ConfigOption = None,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate a model on the eval split's prompts against the base model and the champion,
    same prompts, same seeds: vulnerability rate (per CWE), utility, refusals."""

    settings = settings_or_exit()
    loaded = train_config_or_exit(settings, config, overrides)
    store = store_or_exit(settings)
    try:
        snapshot_id = snapshot if snapshot is not None else latest_passing_snapshot(store.engine)
        reports = evaluate_against(settings, store.engine, snapshot_id, model, loaded)
    except (TrainingRefused, RegistryError, ChecksumError, ModelLoadError) as error:
        raise fail(str(error)) from None
    if as_json:
        out.print_json(json.dumps({k: v.model_dump(mode="json") for k, v in reports.items()}))
        return
    out.print(_evaluation_table(reports))


@models_app.command("list")
def models_list(as_json: JsonOption = False) -> None:
    """Every registered version with its aliases, snapshot and promotion decision."""

    versions = registry_for(settings_or_exit()).versions()
    if as_json:
        out.print_json(json.dumps([v.model_dump(mode="json") for v in versions]))
        return
    table = Table("version", "aliases", "snapshot", "vulnerable", "utility", "decision")
    for row in versions:
        decision = row.decision
        table.add_row(
            row.version,
            ", ".join(row.aliases),
            row.tags.get("lineage.snapshot_id", ""),
            f"{decision.candidate_vulnerability_rate}" if decision else "",
            f"{decision.candidate_utility}" if decision else "",
            escape(decision.reason if decision else ""),
        )
    out.print(table)


@app.command()
def serve(
    alias: Annotated[str, typer.Option(help="serve the version behind this alias")] = "champion",
    model: Annotated[
        str | None, typer.Option("--model", help="serve this URI or folder instead of an alias")
    ] = None,
    host: Annotated[str, typer.Option(help="bind address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535)] = 8008,
) -> None:
    """Serve a registered model as an OpenAI-compatible /v1/chat/completions on localhost,
    for IDE assistants (base URL http://HOST:PORT/v1)."""

    settings = settings_or_exit()
    uri = model or f"models:/{settings.model_name}@{alias}"
    try:
        folder = registry_for(settings).resolve(uri, settings.home / "serving")
        loaded, tokenizer = load_model(folder)
    except (RegistryError, ChecksumError, ModelLoadError) as error:
        raise fail(str(error)) from None
    server = make_server(ChatModel(loaded, tokenizer, uri), host, port)
    bound = server.server_address[1]
    out.print(f"serving {escape(uri)} at http://{host}:{bound}/v1 (Ctrl-C to stop)")
    out.file.flush()  # a supervisor (or a test) reads the address from the first line
    # SIGTERM (what supervisors, Kubernetes and `kill` send) stops the server like Ctrl-C. Set
    # explicitly: a disposition inherited as "ignored" (a parent started from a background job,
    # or a Dagster process, maps SIGTERM to its ignored SIGINT) would otherwise survive exec
    # and leave a server that cannot be stopped but by SIGKILL.
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # raises KeyboardInterrupt
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
