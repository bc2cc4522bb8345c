"""`flywheel eval suite`: the executable security suite, on its references or on a model."""

from __future__ import annotations

import tempfile
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
    train_config_or_exit,
)
from orchestration.retraining import registry_for
from registry.manifest import ChecksumError
from registry.tracking import RegistryError
from training.model_io import ModelLoadError
from yardstick.harness import ReferenceReport, SuiteEvaluation, check_references, valid_tasks
from yardstick.model_runs import evaluate_on_suite
from yardstick.suites import SuiteError, load_suite

eval_app = typer.Typer(help="The independent yardstick: executable security tests.")
app = typer.Typer()
app.add_typer(eval_app, name="eval")


@eval_app.command("suite")
def suite(
    path: Annotated[
        Path | None,
        typer.Argument(help="a suite folder in CWEval's layout (default: the bundled suite)"),
    ] = None,
    references: Annotated[
        bool, typer.Option("--references", help="run the references, not a model")
    ] = False,
    model: Annotated[
        str | None,
        typer.Option("--model", help="models:/NAME@ALIAS, models:/NAME/VERSION, or a folder"),
    ] = None,
    config: ConfigOption = None,
    overrides: SetOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check the suite's references (--references: the secure one passes every test, the
    insecure one passes the functionality tests and fails the security ones; exit 1 when a
    task is refused), or evaluate a model (the champion by default): func@k, func-sec@k,
    the functional-but-vulnerable rate and over-refusal, per CWE and overall."""
    try:
        loaded_suite = load_suite(path)
    except SuiteError as error:
        raise fail(str(error)) from None
    if not references:
        _evaluate_model(loaded_suite, model, config, overrides, as_json)
        return
    with err.status(f"running {len(loaded_suite.tasks)} tasks' references in the sandbox"):
        report = check_references(loaded_suite)
    if as_json:
        out.print_json(report.model_dump_json(exclude={"checks"}))
    else:
        _print_references(report)
    if report.refused:
        raise typer.Exit(1)


def _evaluate_model(loaded_suite, model, config, overrides, as_json) -> None:
    settings = settings_or_exit()
    train_config = train_config_or_exit(settings, config, overrides)
    suite_settings = train_config.suite
    registry = registry_for(settings)
    uri = model or f"models:/{settings.model_name}@champion"
    if model is None and registry.alias_version("champion") is None:
        raise fail(f"no champion of {settings.model_name} is registered: pass --model")
    with err.status("checking the suite's references"):
        checked = check_references(loaded_suite, workers=suite_settings.workers)
    tasks = valid_tasks(loaded_suite, checked)
    settings.home.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=settings.home, prefix="eval-suite-") as scratch:
            folder = registry.resolve(uri, Path(scratch) / "model")
            with err.status(f"sampling and testing {len(tasks)} tasks"):
                evaluation = evaluate_on_suite(
                    str(folder), uri, loaded_suite, tasks, suite_settings, train_config.device
                )
    except (RegistryError, ChecksumError, ModelLoadError) as error:
        raise fail(str(error)) from None
    if as_json:
        out.print_json(evaluation.model_dump_json(exclude={"samples"}))
        return
    _print_evaluation(evaluation)


def _print_references(report: ReferenceReport) -> None:
    table = Table(title=f"suite {escape(report.suite)}: references ({report.duration_s:.0f} s)")
    for column in (
        "tasks",
        "CWEs",
        "secure: func",
        "secure: sec",
        "insecure: func",
        "insecure: sec fails",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        str(report.tasks),
        str(report.cwes),
        str(report.secure_func_pass),
        str(report.secure_sec_pass),
        str(report.insecure_func_pass),
        str(report.insecure_sec_fail),
    )
    out.print(table)
    for refusal in report.refused:
        err.print(f"[red]refused[/red] {escape(refusal.task)}: {escape(refusal.reason)}")


def _print_evaluation(evaluation: SuiteEvaluation) -> None:
    k = evaluation.k
    table = Table(title=f"{escape(evaluation.model)} on suite {escape(evaluation.suite)}")
    for column in (
        "",
        "tasks",
        "func@1",
        "func-sec@1",
        f"func@{k}",
        f"func-sec@{k}",
        "functional but vulnerable",
        "over-refusal",
    ):
        table.add_column(column, justify="right")
    rows = [("overall", evaluation.overall), *evaluation.per_cwe.items()]
    for name, figures in rows:
        table.add_row(
            name,
            str(figures.tasks),
            f"{figures.func_at_1:.1%}",
            f"{figures.func_sec_at_1:.1%}",
            f"{figures.func_at_k:.1%}",
            f"{figures.func_sec_at_k:.1%}",
            f"{figures.functional_vulnerable_rate:.1%}",
            f"{figures.over_refusal_rate:.1%}",
        )
    out.print(table)
