"""`flywheel run`: the whole loop once on the bundled sample (the main job)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from core.settings import Settings
from orchestration.cli.console import err, fail, me, out, settings_or_exit, short, store_or_exit
from orchestration.loop import (
    SAMPLE_THRESHOLDS,
    LoopConfigError,
    LoopError,
    LoopSummary,
    run_loop,
)
from orchestration.retraining import TrainingRefused

app = typer.Typer()


@app.command()
def run(
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Run the whole loop once on the bundled sample, on embedded backends: scan the sample
    service with the ensemble and ingest the bundled reports, embed, import the sample's
    reviewer decisions, snapshot, gate, train (SFT, GRPO) the tiny model, evaluate, register
    and promote or not. Idempotent: run it twice and nothing is duplicated. Exit 1 when a
    stage failed (the gate failing is a result, not a failure), 2 on a bad configuration
    (nothing written)."""

    settings = settings_or_exit()
    store_or_exit(settings).close()  # a clear error now for a bad FLYWHEEL_DB_URL
    # MLflow logs its store migrations at INFO on first use (its own logger setup reads this
    # variable when mlflow is imported); the summary says what happened.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    started = time.perf_counter()
    try:
        if as_json:
            summary = run_loop(settings)
        else:
            with err.status("starting ...") as status:
                summary = run_loop(settings, lambda message: status.update(escape(message)))
    except LoopConfigError as error:
        raise fail(str(error), 2) from None
    except LoopError as error:
        raise fail(str(error), 1) from None
    except TrainingRefused as error:  # e.g. no tiny model and base_model: tiny elsewhere
        raise fail(str(error), 1) from None
    wall = round(time.perf_counter() - started, 1)
    if as_json:
        document = {**summary.model_dump(mode="json", exclude_none=False), "wall_s": wall}
        sys.stdout.write(json.dumps(document) + "\n")
        return
    _print_loop(summary, settings, wall)


def _print_loop(summary: LoopSummary, settings: Settings, wall: float) -> None:
    table = Table(title=f"flywheel run: {wall:.0f} s")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage in summary.stages:
        table.add_row(escape(stage.stage), f"{stage.seconds:.1f}")
    out.print(table)
    f = summary.findings
    if f is not None:
        tools = ", ".join(f"{n} {escape(t)}" for t, n in f.by_tool.items())
        out.print(
            f"[bold]Findings[/bold] {f.stored} stored ({tools}); this run: {f.new} new, "
            f"{f.unchanged} unchanged, {f.fixed} fixed, {f.reopened} reopened; "
            f"{f.indexed} in the vector index ({f.embedded} embedded now); "
            f"{f.review_queue} open and unlabelled in the review queue"
        )
    labels = summary.labels
    if labels is not None:
        out.print(
            f"[bold]Labels[/bold] {labels.imported} imported, {labels.already} already there "
            f"(from {escape(short(labels.file, 60))})"
        )
    snap = summary.snapshot
    if snap is not None:
        out.print(
            f"[bold]Snapshot[/bold] {snap.id} ({'new' if snap.created else 'unchanged'}): "
            f"{snap.decided} decided, {snap.true_positives} true positives, "
            f"{snap.train} train / {snap.eval} eval"
        )
    gate = summary.gate
    if gate is not None:
        verdict = "[green]passed[/green]" if gate.passed else "[red]failed[/red]"
        out.print(f"[bold]Gate[/bold] {verdict}: {escape(gate.summary)}")
    model = summary.model
    if model is not None:
        rows = Table("model", "vulnerable", "utility", "samples", title="Evaluation (held out)")
        for name, report in model.evaluations.items():
            rows.add_row(
                name,
                f"{report.vulnerability_rate:.1%}",
                f"{report.utility:.1%}",
                str(report.samples),
            )
        out.print(rows)
        aliases = ", ".join(model.aliases) or "no alias"
        out.print(
            f"[bold]Registered[/bold] {escape(model.uri)} ({aliases}): "
            f"{escape(model.decision.reason)}"
        )
    home = settings.home.resolve()

    out.print("\nOpen the same data:")
    out.print(f"  {me()} users add alice --role reviewer && {me()} ui    # Streamlit workbench")
    out.print(
        f"  DAGSTER_HOME={home / 'dagster'} FLYWHEEL_GATE_THRESHOLDS={SAMPLE_THRESHOLDS} "
        f"{Path(sys.executable).parent / 'dagster'} dev    # Dagster: the graph and these runs"
    )
    out.print(
        f"  {Path(sys.executable).parent / 'mlflow'} ui --backend-store-uri "
        f"{escape(settings.tracking_uri)}    # MLflow: runs, versions, aliases"
    )
