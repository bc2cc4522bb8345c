"""`flywheel snapshot ...` and `flywheel gate`: corpus snapshots and the quality gate."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.markup import escape
from rich.table import Column, Table

from core.settings import Settings
from orchestration.cli.console import JsonOption, fail, me, out, settings_or_exit, store_or_exit
from quality_gates.thresholds import GateConfigError, load_thresholds
from store.gate_history import gate_history
from store.snapshots import (
    CreatedSnapshot,
    Snapshot,
    SnapshotError,
    create_snapshot,
    get_snapshot,
    list_snapshots,
)

ThresholdsOption = Annotated[
    Path | None,
    typer.Option(
        "--thresholds",
        help="thresholds YAML (default: FLYWHEEL_GATE_THRESHOLDS or quality_gates/thresholds.yaml)",
    ),
]

snapshot_app = typer.Typer(
    help="Immutable snapshots of the labeled corpus: create, list, show.", no_args_is_help=True
)


class GateRunBrief(BaseModel):
    gate_run_id: int | None
    passed: bool
    at: datetime


class SnapshotWithRuns(Snapshot):
    """`flywheel snapshot show`: a snapshot and every gate run on it, oldest first."""

    gate_runs: list[GateRunBrief]


app = typer.Typer()
app.add_typer(snapshot_app, name="snapshot")


def _thresholds(settings: Settings, path: Path | None):

    try:
        return load_thresholds(path or settings.gate_thresholds)
    except GateConfigError as error:
        raise fail(str(error)) from None


def _snapshot_table(snapshots) -> Table:
    table = Table("id", "by", "decided", "true pos.", "train", "eval", "hash")
    table.columns.insert(1, Column("created", no_wrap=True))
    for s in snapshots:
        table.add_row(
            str(s.id),
            f"{s.created_at:%Y-%m-%d %H:%M}",
            escape(s.created_by),
            str(s.decided),
            str(s.true_positives),
            str(s.train),
            str(s.eval),
            s.content_hash[:12],
        )
    return table


@snapshot_app.command("create")
def snapshot_create(
    thresholds: ThresholdsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Snapshot the labeled corpus now (an unchanged corpus gives the existing snapshot)."""

    settings = settings_or_exit()
    loaded = _thresholds(settings, thresholds)
    store = store_or_exit(settings)
    policy = loaded.values.snapshot_policy(settings.labels_required)
    snapshot, created = create_snapshot(store.engine, policy, created_by="cli")
    if as_json:
        out.print_json(CreatedSnapshot(**dict(snapshot), created=created).model_dump_json())
        return
    out.print(_snapshot_table([snapshot]))
    out.print(
        ("New snapshot." if created else "The corpus is unchanged: existing snapshot.")
        + f" Gate it: [bold]{me()} gate --snapshot {snapshot.id}[/bold]"
    )


@snapshot_app.command("list")
def snapshot_list(as_json: JsonOption = False) -> None:
    """Every snapshot, oldest first."""

    store = store_or_exit(settings_or_exit())
    snapshots = list_snapshots(store.engine)
    if as_json:
        out.print_json(json.dumps([s.model_dump(mode="json") for s in snapshots]))
    else:
        out.print(_snapshot_table(snapshots))


@snapshot_app.command("show")
def snapshot_show(
    snapshot_id: Annotated[int, typer.Argument(help="snapshot id")],
    as_json: JsonOption = False,
) -> None:
    """A snapshot's counts, split and policy, and its gate runs."""

    store = store_or_exit(settings_or_exit())
    try:
        snapshot = get_snapshot(store.engine, snapshot_id)
    except SnapshotError as error:
        raise fail(str(error)) from None
    runs = gate_history(store.engine, snapshot_id)
    if as_json:
        shown = SnapshotWithRuns(
            **dict(snapshot),
            gate_runs=[
                GateRunBrief(gate_run_id=r.gate_run_id, passed=r.passed, at=r.evaluated_at)
                for r in runs
            ],
        )
        out.print_json(shown.model_dump_json())
        return
    out.print(_snapshot_table([snapshot]))
    out.print(f"policy: {json.dumps(snapshot.policy, sort_keys=True)}")
    for run in runs:
        verdict = "[green]passed[/green]" if run.passed else "[red]failed[/red]"
        out.print(f"gate run {run.gate_run_id} at {run.evaluated_at:%Y-%m-%d %H:%M}: {verdict}")


@app.command()
def gate(
    snapshot: Annotated[
        int | None,
        typer.Option("--snapshot", help="gate this snapshot (default: snapshot the corpus now)"),
    ] = None,
    thresholds: ThresholdsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run the quality gate on a corpus snapshot and store its report. Exit status 1 when
    the gate fails, 2 on bad input (unknown snapshot, invalid thresholds)."""
    # deferred: Great Expectations takes ~4 s to import
    from quality_gates.gate import run_gate

    settings = settings_or_exit()
    loaded = _thresholds(settings, thresholds)
    store = store_or_exit(settings)
    if snapshot is None:
        policy = loaded.values.snapshot_policy(settings.labels_required)
        snapshot = create_snapshot(store.engine, policy, created_by="cli")[0].id
    try:
        report = run_gate(store.engine, snapshot, loaded, settings.gate_reports_dir)
    except SnapshotError as error:
        raise fail(str(error)) from None
    if as_json:
        out.print_json(report.model_dump_json())
    else:
        table = Table("observed", "threshold", "verdict", "failing rows")
        table.columns.insert(0, Column("expectation", no_wrap=True))
        for outcome in report.expectations:
            table.add_row(
                outcome.name,
                escape(str(outcome.observed)),
                escape(outcome.threshold),
                "[green]pass[/green]" if outcome.passed else "[red]FAIL[/red]",
                escape(", ".join(str(d) for d in outcome.details[:8])),
            )
        out.print(table)
        verdict = "[green]PASSED[/green]" if report.passed else "[red]FAILED[/red]"
        out.print(
            f"Gate {verdict} on snapshot {report.snapshot_id} "
            f"({report.snapshot_hash[:12]}), thresholds v{report.thresholds_version}. "
            f"Report {report.gate_run_id}; data docs: {escape(str(report.docs_path))}"
        )
    if not report.passed:
        raise typer.Exit(1)
