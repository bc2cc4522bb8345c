"""`flywheel embed`, `similar`, `label`, `suggest` and `eval-triage`: the vector memory."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from core.settings import Settings
from core.verdict import LABELS
from detectors.benchmark import load_cases
from detectors.ensemble import Ensemble
from ingest.errors import IngestError
from labeling_ui.review_desk import ReviewDesk
from orchestration.cli.console import (
    JsonOption,
    err,
    fail,
    out,
    settings_or_exit,
    short,
    store_or_exit,
)
from store.errors import StoreError
from vector_memory.embedder import Embedder, EmbeddingError
from vector_memory.triage_eval import build, evaluate

app = typer.Typer()


def open_index(settings: Settings):
    """The embedder and the index the settings name (errors exit 2, named)."""
    # deferred: qdrant-client takes ~1 s to import
    from vector_memory.index import (
        FindingIndex,
        VectorIndexError,
        open_client,
    )

    try:
        embedder = Embedder(
            settings.embedding_model,
            backend=settings.embedding_backend,
            max_tokens=settings.embedding_max_tokens,
            cache_dir=settings.onnx_cache,
        )
        client = open_client(settings.qdrant_path, settings.qdrant_url, settings.qdrant_api_key)
        return FindingIndex(client, embedder)
    except (EmbeddingError, VectorIndexError) as exc:
        raise fail(str(exc)) from None


@app.command()
def embed(as_json: JsonOption = False) -> None:
    """Embed new and changed findings into the vector index and sync every payload (labels,
    statuses); unchanged findings are not embedded again."""
    settings = settings_or_exit()
    store = store_or_exit(settings)
    index = open_index(settings)
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
        ) as bar:
            task = bar.add_task("embedding", total=None)
            stats = index.sync(
                store, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
        total = index.count()
    finally:
        index.close()
        store.close()
    summary = {**stats.as_dict(), "points": total, "collection": index.collection}
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        return
    out.print(
        f"{stats.embedded} embedded, {stats.payloads_updated} payloads updated, "
        f"{stats.unchanged} unchanged, {stats.deleted} removed; {total} findings in "
        f"{index.collection} ({index.embedder.backend})"
    )


@app.command()
def similar(
    finding_id: Annotated[int, typer.Argument(help="a finding's id (see `flywheel findings`)")],
    k: Annotated[int, typer.Option("-k", min=1, max=1000, help="how many neighbours")] = 10,
    service: Annotated[str | None, typer.Option(help="only this service")] = None,
    cwe: Annotated[int | None, typer.Option(help="only this CWE")] = None,
    labelled: Annotated[bool, typer.Option(help="only findings reviewers labelled")] = False,
    as_json: JsonOption = False,
) -> None:
    """The findings most similar to one, with how reviewers labelled them."""
    # deferred: qdrant-client takes ~1 s to import
    from vector_memory.index import (
        SimilarFilter,
        VectorIndexError,
    )

    settings = settings_or_exit()
    index = open_index(settings)
    try:
        neighbours = index.similar(
            finding_id, k, SimilarFilter(service=service, cwe=cwe, labelled_only=labelled)
        )
    except VectorIndexError as exc:
        raise fail(str(exc)) from None
    finally:
        index.close()
    if as_json:
        for n in neighbours:
            sys.stdout.write(
                json.dumps(
                    {"finding_id": n.finding_id, "score": round(n.score, 4), **_public(n.payload)}
                )
                + "\n"
            )
        return
    table = Table(title=f"findings similar to {finding_id}")
    for column in ("id", "score", "label", "status", "tools", "rule", "where"):
        table.add_column(column)
    for n in neighbours:
        p = n.payload
        table.add_row(
            str(n.finding_id),
            f"{n.score:.3f}",
            p.get("label") or "",
            p.get("status") or "",
            ",".join(p.get("tools") or []),
            escape(short(p.get("rule_id") or "", 40)),
            escape(short(f"{p.get('path') or ''}:{p.get('line') or ''}", 50)),
        )
    out.print(table)


def _public(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k not in ("text_hash", "payload_hash")}


@app.command()
def label(
    finding_id: Annotated[int, typer.Argument(help="the finding's id")],
    verdict: Annotated[
        str, typer.Argument(help="tp | fp | info (true_positive | false_positive | needs_info)")
    ],
    reviewer: Annotated[str, typer.Option(help="who judged it")],
    note: Annotated[str | None, typer.Option(help="why")] = None,
    fixed_code: Annotated[
        Path | None, typer.Option(help="file holding the fixed code (the remediation)")
    ] = None,
) -> None:
    """Record a reviewer's label (the Streamlit workbench does the same); the index payload
    follows on the next `flywheel embed`, or at once when the finding is indexed."""
    # tp / fp / info, or the full value; the store refuses anything else, naming the choices.
    verdict = {v.short: v.value for v in LABELS}.get(verdict, verdict)
    code = None
    if fixed_code is not None:
        try:
            code = fixed_code.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"{fixed_code}: cannot be read as UTF-8 text ({exc})") from None
    settings = settings_or_exit()
    store = store_or_exit(settings)
    try:
        store.add_label(finding_id, reviewer, verdict, fixed_code=code, note=note, source="cli")
    except StoreError as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    out.print(f"finding {finding_id}: {verdict} by {escape(reviewer)}")


@app.command()
def suggest(
    limit: Annotated[int, typer.Option(min=1, help="how many findings to list")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Suggested labels for unlabelled open findings, in review order (least certain and most
    severe first); stored as the workbench's queue order. Suggestions never become labels."""

    settings = settings_or_exit()
    store = store_or_exit(settings)
    index = open_index(settings)
    try:
        desk = ReviewDesk(store.engine, settings.labels_required)
        ranked = desk.refresh_suggestions(store, index)[:limit]
    finally:
        index.close()
        store.close()
    if as_json:
        for item in ranked:
            sys.stdout.write(item.model_dump_json() + "\n")
        return
    table = Table(title="review queue with suggested labels (suggestions, not labels)")
    for column in ("id", "priority", "suggested", "confidence", "method", "severity", "rule"):
        table.add_column(column)
    for item in ranked:
        table.add_row(
            str(item.finding_id),
            f"{item.priority:.2f}",
            item.suggested_label or "-",
            f"{item.confidence:.2f}" if item.confidence is not None else "-",
            item.method,
            item.severity or "",
            escape(short(item.rule_id or "", 40)),
        )
    out.print(table)


@app.command("eval-triage")
def eval_triage(
    path: Annotated[Path, typer.Argument(help="the benchmark's folder")],
    benchmark: Annotated[str, typer.Option(help="ground truth layout")] = "owasp-python",
    seeds: Annotated[int, typer.Option(min=1, max=50)] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="also one JSON line, last")] = False,
) -> None:
    """Measure label suggestions against ground truth: MCC at 10/30/50% of labels revealed,
    false positives dismissed at 30% while keeping 95% of true positives, and labels needed
    to reach MCC 0.5 in active-learning vs random order."""

    if benchmark != "owasp-python":
        raise fail(f"--benchmark {benchmark}: only owasp-python is known")
    settings = settings_or_exit()
    try:
        cases = load_cases(path)
        err.print(f"scanning {len(cases)} cases with the ensemble ...")
        report = Ensemble().scan(path / "testcode")
    except IngestError as exc:
        raise fail(str(exc)) from None
    findings = [f for run in report.runs for f in run.findings]
    code = {}
    for case in cases:
        file = path / "testcode" / f"{case.name}.py"
        code[case.name] = (
            file.read_text(encoding="utf-8", errors="replace") if file.is_file() else ""
        )

    embedder = Embedder(
        settings.embedding_model,
        backend=settings.embedding_backend,
        max_tokens=settings.embedding_max_tokens,
        cache_dir=settings.onnx_cache,
    )
    err.print("embedding the cases ...")
    result = evaluate(build(cases, code, findings, embedder), seeds=seeds)
    table = Table(title=f"label suggestions on {len(cases)} {benchmark} cases ({seeds} seeds)")
    for column in ("model", "MCC@10%", "MCC@30%", "MCC@50%", "FP dismissed@30%", "TP kept@30%"):
        table.add_column(column, justify="right")
    for name in ("model", "embeddings_only"):
        f = result[name]
        table.add_row(
            name,
            *(f"{f[k]:.3f}" for k in ("mcc_at_10", "mcc_at_30", "mcc_at_50")),
            f"{f['fp_dismissed_at_30']:.3f}",
            f"{f['tp_kept_at_30']:.3f}",
        )
    out.print(table)
    out.print(
        f"labels to reach MCC 0.5: active {result['labels_to_mcc_05_active']}, "
        f"random {result['labels_to_mcc_05_random']}"
    )
    if as_json:
        headline = {
            "mcc_at_10": result["model"]["mcc_at_10"],
            "mcc_at_30": result["model"]["mcc_at_30"],
            "mcc_at_50": result["model"]["mcc_at_50"],
            "fp_dismissed_at_30": result["model"]["fp_dismissed_at_30"],
            "tp_kept_at_30": result["model"]["tp_kept_at_30"],
            "labels_to_mcc_05_active": result["labels_to_mcc_05_active"],
            "labels_to_mcc_05_random": result["labels_to_mcc_05_random"],
        }
        sys.stdout.write(json.dumps({**headline, "detail": result}) + "\n")
