"""Dagster: the label stage. Reviewers label in the workbench, not in a run, so `labels` is
an observed source asset (its version changes when a label is written or retracted), and
`review_queue` is what reviewers should judge next, least certain and most severe first."""

import json
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from orchestration.assets.embeddings import VectorIndexResource
from orchestration.resources import FindingsStoreResource
from store.tables import LabelRecord

GROUP = "label"


def labels_version(engine: sa.Engine) -> tuple[int, str]:
    """(labels in force, a version that changes with every label written or retracted)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                sa.func.count(LabelRecord.id),
                sa.func.count(LabelRecord.retracted_at),
                sa.func.max(LabelRecord.id),
            )
        ).one()
    total, retracted, last = row
    return total - retracted, f"{total}:{retracted}:{last or 0}"


@dg.observable_source_asset(
    name="labels",
    group_name=GROUP,
    description="Reviewers' labels in the store (workbench, CLI, imports); observed, not made "
    "by a run. The retraining sensor counts their growth.",
)
def labels(context: dg.AssetExecutionContext, store: FindingsStoreResource) -> dg.ObserveResult:
    in_force, version = labels_version(store.store.engine)
    return dg.ObserveResult(
        data_version=dg.DataVersion(version), metadata={"labels_in_force": in_force}
    )


@dg.asset(
    name="review_queue",
    group_name=GROUP,
    kinds={"json"},
    deps=["finding_embeddings", "labels"],
    description="Open, unlabelled findings in review order (least certain and most severe "
    "first) with a suggested label from past decisions; suggestions are never labels.",
)
def review_queue(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, vectors: VectorIndexResource
) -> dg.MaterializeResult:
    # deferred: it imports the index: qdrant-client takes ~1 s to import
    from vector_memory.suggestions import suggest_for_open

    index = vectors.open()
    try:
        queue = suggest_for_open(store.store, index)
    finally:
        index.close()
    path = Path(vectors.queue_path)
    partial = path.with_name(path.name + ".partial")
    document = [q.model_dump(mode="json") for q in queue]
    partial.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)
    rows = "\n".join(
        f"| {q.finding_id} | {q.severity} | {q.rule_id} | "
        f"{q.suggested_label or '-'} | {q.confidence or '-'} |"
        for q in queue[:10]
    )
    return dg.MaterializeResult(
        metadata={
            "open_unlabelled": len(queue),
            "method": queue[0].method if queue else "none",
            "file": dg.MetadataValue.path(str(path)),
            "next": dg.MetadataValue.md(
                "| finding | severity | rule | suggestion | confidence |\n|---|---|---|---|---|\n"
                + rows
            ),
        }
    )
