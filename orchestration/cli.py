"""The `flywheel` command line. Thin: parse options, call the stage, print the result."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ingest.finding import Severity, Status
from ingest.parsers import FORMATS
from ingest.pipeline import IngestOptions, IngestSummary, ingest_paths
from ingest.store import FindingFilter, FindingsStore
from orchestration import (
    ensemble_commands,
    gate_commands,
    memory_commands,
    review_commands,
    train_commands,
)
from orchestration.console import (
    err,
    fail,
    me,
    out,
    settings_or_exit,
    short,
    shown,
    store_or_exit,
)

app = typer.Typer(
    help="Findings Flywheel: scanner findings and reviewers' judgments into a better code model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The findings store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
ensemble_commands.register(app)
memory_commands.register(app)
review_commands.register(app)
gate_commands.register(app)
train_commands.register(app)

OUTCOMES = ("new", "unchanged", "fixed", "reopened", "suppressed")


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
    from orchestration.loop import LoopConfigError, LoopError, run_loop
    from orchestration.train import TrainingRefused

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
        sys.stdout.write(json.dumps({**summary.as_dict(), "wall_s": wall}, default=str) + "\n")
        return
    _print_loop(summary, settings, wall)


def _print_loop(summary: Any, settings: Any, wall: float) -> None:
    table = Table(title=f"flywheel run: {wall:.0f} s")
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for stage in summary.stages:
        table.add_row(escape(stage["stage"]), f"{stage['seconds']:.1f}")
    out.print(table)
    f = summary.findings
    tools = ", ".join(f"{n} {escape(t)}" for t, n in f["by_tool"].items())
    out.print(
        f"[bold]Findings[/bold] {f['stored']} stored ({tools}); this run: {f['new']} new, "
        f"{f['unchanged']} unchanged, {f['fixed']} fixed, {f['reopened']} reopened; "
        f"{f['indexed']} in the vector index ({f['embedded']} embedded now); "
        f"{f['review_queue']} open and unlabelled in the review queue"
    )
    labels = summary.labels
    out.print(
        f"[bold]Labels[/bold] {labels['imported']} imported, {labels['already']} already there "
        f"(from {escape(short(labels['file'], 60))})"
    )
    snap = summary.snapshot
    out.print(
        f"[bold]Snapshot[/bold] {snap['id']} ({'new' if snap['created'] else 'unchanged'}): "
        f"{snap['decided']} decided, {snap['true_positives']} true positives, "
        f"{snap['train']} train / {snap['eval']} eval"
    )
    gate = summary.gate
    if gate:
        verdict = "[green]passed[/green]" if gate["passed"] else "[red]failed[/red]"
        out.print(f"[bold]Gate[/bold] {verdict}: {escape(gate['summary'])}")
    model = summary.model
    if model:
        rows = Table("model", "vulnerable", "utility", "samples", title="Evaluation (held out)")
        for name, figures in model["evaluations"].items():
            rows.add_row(
                name,
                f"{figures['vulnerability_rate']:.1%}",
                f"{figures['utility']:.1%}",
                str(figures["samples"]),
            )
        out.print(rows)
        aliases = ", ".join(model["aliases"]) or "no alias"
        out.print(
            f"[bold]Registered[/bold] {escape(model['uri'])} ({aliases}): "
            f"{escape(model['decision'])}"
        )
    home = settings.home.resolve()
    from orchestration.loop import SAMPLE_THRESHOLDS

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


@app.command()
def ingest(
    reports: Annotated[list[Path], typer.Argument(help="report files (SARIF or a native format)")],
    repo: Annotated[Path | None, typer.Option(help="checkout to read code context from")] = None,
    service: Annotated[str, typer.Option(help="service name the reports belong to")] = "",
    commit: Annotated[
        str | None, typer.Option(help="commit the scan ran on (default: HEAD of --repo)")
    ] = None,
    repository: Annotated[
        str | None, typer.Option(help="repository name (default: origin URL of --repo)")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help=f"skip detection: {', '.join(FORMATS)}")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Ingest scanner reports into the findings store. Exit status 1 when any report failed
    (the others are still ingested; a failed report writes nothing)."""
    if format is not None and format not in FORMATS:
        err.print(f"[red]--format {escape(repr(format))} is not one of:[/red] {', '.join(FORMATS)}")
        raise typer.Exit(2)
    if repo is not None and not repo.is_dir():
        err.print(f"[red]--repo {escape(str(repo))}: not a directory[/red]")
        raise typer.Exit(2)
    settings = settings_or_exit()
    store = store_or_exit(settings)
    options = IngestOptions(
        repo=repo,
        repository=repository,
        service=service,
        commit=commit,
        format=format,
        max_report_bytes=settings.max_report_bytes,
        workers=settings.ingest_workers,
    )
    summary = _ingest_with_progress(reports, store, options, quiet=as_json)
    if as_json:
        out.print_json(json.dumps(summary.as_dict()))
    else:
        _print_summary(summary)
    if summary.failed:
        raise typer.Exit(1)


@app.command()
def findings(
    repository: Annotated[str | None, typer.Option(help="exact repository name")] = None,
    service: Annotated[str | None, typer.Option()] = None,
    tool: Annotated[str | None, typer.Option()] = None,
    kind: Annotated[str | None, typer.Option(help="sast, sca, secret or iac")] = None,
    rule: Annotated[str | None, typer.Option(help="exact rule id")] = None,
    path: Annotated[str | None, typer.Option(help="path prefix")] = None,
    status: Annotated[list[Status] | None, typer.Option(help="repeat for several")] = None,
    severity: Annotated[Severity | None, typer.Option(help="this severity or higher")] = None,
    cwe: Annotated[int | None, typer.Option(help="CWE id, e.g. 89")] = None,
    limit: Annotated[int, typer.Option(help="at most this many (0: all)")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per line")] = False,
) -> None:
    """List stored findings (newest ids last)."""
    store = store_or_exit(settings_or_exit())
    where = FindingFilter(
        repository=repository,
        service=service,
        tool=tool,
        kind=kind,
        rule_id=rule,
        path_prefix=path,
        statuses=status or [],
        min_severity=severity,
        cwe=cwe,
    )
    rows = store.findings(where, limit=limit or None)
    if as_json:
        for row in rows:
            sys.stdout.write(row.model_dump_json(exclude={"raw"}) + "\n")
        return
    total = store.count(where)
    table = Table(title=f"{len(rows)} of {total} findings")
    for column in ("id", "tool", "severity", "status", "rule", "CWE", "where"):
        table.add_column(column)
    for row in rows:
        where_text = f"{row.path or row.package or ''}"
        if row.start_line:
            where_text += f":{row.start_line}"
        table.add_row(
            str(row.id),
            escape(row.tool),
            row.severity,
            row.status,
            escape(short(row.rule_id, 48)),
            ",".join(str(c) for c in row.cwe_ids),
            escape(short(where_text, 60)),
        )
    out.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Migrate the store's schema to the current version (safe on a live database)."""
    settings = settings_or_exit()
    store_or_exit(settings)
    out.print(f"schema is current: {escape(shown(settings.database_url))}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the store (without migrating it)."""
    from ingest.store.engine import current_revision, head_revision, make_engine

    settings = settings_or_exit()
    revision = current_revision(make_engine(settings.database_url))
    out.print(f"current: {revision or 'empty database'}  head: {head_revision()}")


def _ingest_with_progress(
    reports: list[Path], store: FindingsStore, options: IngestOptions, *, quiet: bool
) -> IngestSummary:
    if quiet:
        return ingest_paths(reports, store, options)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        summary = IngestSummary()
        for report in reports:
            task = progress.add_task(f"{report.name}", total=None, visible=False)

            def on_progress(
                stage: str, done: int, total: int, task: Any = task, name: str = report.name
            ) -> None:
                # Only big reports report progress (every 5,000 findings): small ones stay quiet.
                progress.update(
                    task, completed=done, total=total, visible=True, description=f"{name}: {stage}"
                )

            summary.reports.extend(ingest_paths([report], store, options, on_progress).reports)
            progress.remove_task(task)
        return summary


def _print_summary(summary: IngestSummary) -> None:
    for report in summary.reports:
        if report.status == "failed":
            err.print(f"[red]failed[/red] {escape(report.error or '')}")
        elif report.status == "unchanged":
            out.print(f"unchanged {escape(report.path)} (already ingested, same content)")
        else:
            counts = report.counts()
            detail = ", ".join(f"{counts[o]} {o}" for o in OUTCOMES if counts[o])
            out.print(
                f"[green]ingested[/green] {escape(report.path)} ({report.format}; "
                f"{report.records} records{'; ' + detail if detail else ''})"
            )
        for warning in report.warnings:
            err.print(f"  [yellow]warning:[/yellow] {escape(warning)}")

    by_tool = summary.by_tool()
    if by_tool:
        table = Table(title="By tool")
        table.add_column("tool")
        for outcome in OUTCOMES:
            table.add_column(outcome, justify="right")
        for tool, counts in sorted(by_tool.items()):
            table.add_row(escape(tool), *(str(counts[o]) for o in OUTCOMES))
        totals = summary.totals()
        table.add_row("[bold]total[/bold]", *(f"[bold]{totals[o]}[/bold]" for o in OUTCOMES))
        out.print(table)
        severity_table = Table(title="By severity")
        severity_table.add_column("severity")
        for outcome in OUTCOMES:
            severity_table.add_column(outcome, justify="right")
        by_severity = summary.by_severity()
        for severity in Severity:
            counts = by_severity.get(severity.value)
            if counts:
                severity_table.add_row(severity.value, *(str(counts[o]) for o in OUTCOMES))
        out.print(severity_table)
    failed = len(summary.failed)
    ok = len(summary.reports) - failed
    out.print(f"{ok} of {len(summary.reports)} reports ingested or unchanged; {failed} failed")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
