"""`flywheel ingest`, `findings` and `db`: reports into the store, and what the store holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from core.finding import Status
from core.severity import Severity
from ingest.parsers import FORMATS
from ingest.pipeline import IngestOptions, IngestSummary, ingest_paths
from orchestration.cli.console import err, out, settings_or_exit, short, shown, store_or_exit
from store import FindingFilter, FindingsStore
from store.engine import current_revision, head_revision, make_engine

app = typer.Typer()
db_app = typer.Typer(help="The findings store's schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

OUTCOMES = ("new", "unchanged", "fixed", "reopened", "suppressed")


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
        out.print_json(summary.model_dump_json())
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
