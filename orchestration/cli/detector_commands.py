"""`flywheel scan`, `flywheel score` and `flywheel eval-detector`: the ensemble from the shell."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from core.finding import Finding, ParsedReport
from detectors.benchmark import evaluate, load_cases
from detectors.dependencies import AdvisoryDB
from detectors.ensemble import Ensemble, EnsembleConfig, scannable_files, weigh
from ingest.errors import IngestError
from ingest.pipeline import IngestOptions, ingest_parsed
from orchestration.cli.console import (
    JsonOption,
    err,
    fail,
    out,
    settings_or_exit,
    short,
    store_or_exit,
)
from training.reward_config import RewardConfig
from training.scoring import Sample, Scorer

AdvisoriesOption = Annotated[
    Path | None,
    typer.Option(
        "--advisories",
        help="folder of OSV advisories for the dependency check (default: FLYWHEEL_ADVISORY_DB)",
    ),
]


app = typer.Typer()


class Benchmark(StrEnum):
    owasp_python = "owasp-python"


@app.command()
def scan(
    path: Annotated[Path, typer.Argument(help="code tree (or one file) to scan")],
    ingest: Annotated[bool, typer.Option("--ingest", help="store the findings")] = False,
    service: Annotated[str, typer.Option(help="service the code belongs to")] = "",
    repository: Annotated[
        str | None, typer.Option(help="repository name (default: origin URL of PATH)")
    ] = None,
    advisories: AdvisoriesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Scan a code tree with the ensemble (our Semgrep rules, Bandit, the dependency check) and
    print its findings; with --ingest, store them like a report (fixed findings are closed)."""
    if not path.exists():
        raise fail(f"{path}: no such file or directory")
    root, files = (path.parent, [path.name]) if path.is_file() else (path, None)
    ensemble = Ensemble(advisories=_advisories(advisories))
    try:
        names = files if files is not None else scannable_files(root)
        report = ensemble.scan(root, names)
    except IngestError as exc:
        raise fail(str(exc)) from None
    findings = [f for run in report.runs for f in run.findings]
    counted = {id(f) for w in weigh(findings, EnsembleConfig()) if w.counted for f in w.findings}
    ingested = None
    if ingest:
        ingested = _ingest_scan(report, root, service, repository)
    if as_json:
        document = {
            "root": str(root),
            "files": len(names),
            "findings": [
                {**_finding_dict(f), "counted": id(f) in counted} for f in _ordered(findings)
            ],
            "warnings": report.warnings,
            "ingested": ingested,
        }
        sys.stdout.write(json.dumps(document) + "\n")
        return
    for warning in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    table = Table(title=f"{len(findings)} findings in {len(names)} files under {escape(str(root))}")
    for column in ("tool", "severity", "counted", "rule", "CWE", "where"):
        table.add_column(column)
    for finding in _ordered(findings):
        table.add_row(
            escape(finding.tool),
            finding.severity.value,
            "yes" if id(finding) in counted else "",
            escape(short(finding.rule_id.removeprefix("flywheel.python."), 40)),
            ",".join(str(c) for c in finding.cwe_ids),
            escape(short(_where(finding), 60)),
        )
    out.print(table)
    out.print(
        f"{len({id(f) for f in findings} & counted)} findings make the code vulnerable "
        "(counted by the ensemble); the rest are audit notes or single-tool, low-weight reports"
    )
    if ingested is not None:
        counts = ", ".join(f"{n} {k}" for k, n in ingested["counts"].items() if n)
        out.print(f"ingested: {ingested['status']} ({counts or 'no changes'})")


def _ingest_scan(
    report: ParsedReport, root: Path, service: str, repository: str | None
) -> dict[str, object]:

    settings = settings_or_exit()
    store = store_or_exit(settings)
    options = IngestOptions(repo=root, repository=repository, service=service)
    try:
        result = ingest_parsed(report, f"scan:{root.resolve()}", store, options)
    except IngestError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    return {"status": result.status, "counts": dict(result.counts())}


@app.command()
def score(
    files: Annotated[list[Path], typer.Argument(help="code files or saved model completions")],
    tests: Annotated[
        Path | None, typer.Option(help="unit tests (pytest or plain asserts) each file must pass")
    ] = None,
    expected_lines: Annotated[
        int | None, typer.Option(min=1, help="lines a full solution needs (shorter is penalized)")
    ] = None,
    advisories: AdvisoriesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per file")] = False,
) -> None:
    """Score files as the training reward does: per file its label (clean, static-vulnerable,
    dependency-vulnerable, both), reward in [0, 1] and findings. A .py file is code; a
    requirements or pyproject file declares dependencies; anything else is read as a model
    completion (code is taken from its markdown fences)."""

    test_code = _read_text(tests) if tests is not None else None
    samples = [_sample(file, _read_text(file), test_code, expected_lines) for file in files]
    database = advisories or settings_or_exit().advisory_db
    try:
        config = RewardConfig(advisory_db=str(database) if database else None)
        scores = Scorer(config).score(samples)
    except IngestError as exc:
        raise fail(str(exc)) from None
    for file, result in zip(files, scores, strict=True):
        findings = [_finding_dict(f) for f in _ordered(result.findings)]
        if as_json:
            line = {
                "file": str(file),
                "label": result.label,
                "reward": result.reward,
                "security": result.security,
                "outcome": result.outcome,
                "tests": result.tests.model_dump() if result.tests else None,
                "findings": findings,
            }
            sys.stdout.write(json.dumps(line) + "\n")
            continue
        colour = "green" if result.label == "clean" else "red"
        out.print(
            f"[bold]{escape(str(file))}[/bold]  [{colour}]{result.label}[/{colour}]  "
            f"reward {result.reward:.3f}  ({result.outcome}; security {result.security:.3f}"
            + (f"; tests {result.tests.passed}/{result.tests.total}" if result.tests else "")
            + ")"
        )
        for finding in findings:
            out.print(
                f"  {finding['severity']:<8} {escape(finding['tool'])}: "
                f"{escape(finding['rule_id'])} CWE-{finding['cwe'] or '?'} "
                f"line {finding['line'] or '-'}"
            )
    if database is None:
        err.print(
            "[yellow]warning:[/yellow] no advisory database (--advisories or "
            "FLYWHEEL_ADVISORY_DB): dependencies not checked"
        )


def _sample(file: Path, text: str, tests: str | None, expected_lines: int | None) -> object:

    name = file.name.lower()
    metadata = {"tests": tests, "expected_lines": expected_lines, "id": str(file)}
    if name.endswith(".py"):
        return Sample(code=text, language="python", **metadata)
    if name == "pyproject.toml":
        return Sample(code=text, language="toml", **metadata)
    if name.startswith("requirements") and name.endswith((".txt", ".in")):
        return Sample(code=text, language="requirements", **metadata)
    return Sample.from_completion(text, **metadata)


def _read_text(file: Path) -> str:
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise fail(f"{file}: no such file") from None
    except IsADirectoryError:
        raise fail(f"{file}: is a directory (pass the files in it)") from None
    except OSError as exc:
        raise fail(f"{file}: cannot be read: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise fail(f"{file}: not UTF-8 text (byte {exc.start})") from None


@app.command("eval-detector")
def eval_detector(
    path: Annotated[Path, typer.Argument(help="the benchmark's folder")],
    benchmark: Annotated[
        Benchmark, typer.Option(help="ground truth layout: OWASP BenchmarkPython")
    ] = Benchmark.owasp_python,
    as_json: Annotated[
        bool, typer.Option("--json", help="also print the figures as one JSON line, last")
    ] = False,
) -> None:
    """Score the ensemble and each tool alone against a benchmark's ground truth: precision,
    recall, F1 and Youden's index (TPR - FPR), overall and per CWE."""

    try:
        cases = load_cases(path)
        err.print(f"scanning {len(cases)} cases under {escape(str(path / 'testcode'))} ...")
        report = Ensemble().scan(path / "testcode")
    except IngestError as exc:
        raise fail(str(exc)) from None
    findings = [f for run in report.runs for f in run.findings]
    evaluation = evaluate(cases, findings, EnsembleConfig())
    figures = evaluation.as_dict()
    versions = {run.tool: run.tool_version for run in report.runs}

    table = Table(title=f"{benchmark.value}: {len(cases)} cases ({_versions(versions)})")
    for column in ("detector", "precision", "recall", "F1", "Youden", "TP", "FP", "FN", "TN"):
        table.add_column(column, justify="left" if column == "detector" else "right")
    rows = [("ensemble", figures["ensemble"])] + list(figures["tools"].items())
    for name, metrics in rows:
        table.add_row(name, *_metric_cells(metrics))
    out.print(table)
    per_cwe = Table(title="Per CWE (Youden's index; precision / recall for the ensemble)")
    tools = list(figures["tools"])
    for column in ("CWE", "cases", "ensemble P", "ensemble R", "ensemble Youden", *tools):
        per_cwe.add_column(column, justify="right")
    for cwe, detectors in figures["per_cwe"].items():
        ensemble = detectors["ensemble"]
        total = ensemble["tp"] + ensemble["fp"] + ensemble["fn"] + ensemble["tn"]
        per_cwe.add_row(
            cwe,
            str(total),
            f"{ensemble['precision']:.2f}",
            f"{ensemble['recall']:.2f}",
            f"{ensemble['youden']:.2f}",
            *(f"{detectors[tool]['youden']:.2f}" for tool in tools),
        )
    out.print(per_cwe)
    if as_json:
        sys.stdout.write(json.dumps({**figures, "versions": versions}) + "\n")


def _metric_cells(metrics: dict[str, float | int]) -> list[str]:
    return [
        *(f"{metrics[k]:.3f}" for k in ("precision", "recall", "f1", "youden")),
        *(str(metrics[k]) for k in ("tp", "fp", "fn", "tn")),
    ]


def _versions(versions: dict[str, str | None]) -> str:
    return ", ".join(f"{tool} {version or '?'}" for tool, version in versions.items())


def _advisories(option: Path | None) -> AdvisoryDB | None:
    folder = option or settings_or_exit().advisory_db
    if folder is None:
        return None
    try:
        return AdvisoryDB.load(folder)
    except IngestError as exc:
        raise fail(str(exc)) from None


def _ordered(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (f.path or "", f.start_line or 0, f.tool, f.rule_id))


def _where(finding: Finding) -> str:
    where = finding.path or ""
    if finding.package:
        where += f" {finding.package} {finding.package_version or ''}".rstrip()
    if finding.start_line:
        where += f":{finding.start_line}"
    return where


def _finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "tool": finding.tool,
        "rule_id": finding.rule_id,
        "severity": finding.severity.value,
        "cwe": finding.cwe_ids[0] if finding.cwe_ids else None,
        "cwe_ids": finding.cwe_ids,
        "vuln_ids": finding.vuln_ids,
        "path": str(PurePosixPath(finding.path)) if finding.path else None,
        "line": finding.start_line,
        "package": finding.package,
        "message": finding.message,
    }
