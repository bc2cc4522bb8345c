"""Dagster: the `finding_embeddings` asset keeps the vector index in line with the store."""

from pathlib import Path

import dagster as dg

from orchestration.resources import FindingsStoreResource
from vector_memory.embedder import Embedder


class VectorIndexResource(dg.ConfigurableResource):
    """The Qdrant index (local folder by default, a server by URL) and its embedding model."""

    qdrant_path: str
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    model: str = "all-MiniLM-L6-v2"
    backend: str = "onnx-int8"
    max_tokens: int = 128
    onnx_cache: str | None = None
    queue_path: str = "review_queue.json"  # where the `review_queue` asset writes the queue

    def open(self):

        # deferred: qdrant-client takes ~1 s to import
        from vector_memory.index import (
            FindingIndex,
            open_client,
        )

        embedder = Embedder(
            self.model,
            backend=self.backend,  # type: ignore[arg-type]
            max_tokens=self.max_tokens,
            cache_dir=Path(self.onnx_cache) if self.onnx_cache else None,
        )
        client = open_client(Path(self.qdrant_path), self.qdrant_url, self.qdrant_api_key)
        return FindingIndex(client, embedder)


@dg.asset(
    name="finding_embeddings",
    group_name="store",
    kinds={"qdrant"},
    deps=["findings"],
    description="One vector per finding in Qdrant, payloads (labels, status) kept in sync; "
    "only new or changed findings are embedded.",
)
def finding_embeddings(
    context: dg.AssetExecutionContext, store: FindingsStoreResource, vectors: VectorIndexResource
) -> dg.MaterializeResult:
    index = vectors.open()
    try:
        stats = index.sync(store.store)
        points = index.count()
    finally:
        index.close()
    context.log.info(f"index sync: {stats.as_dict()}")
    return dg.MaterializeResult(metadata={**stats.as_dict(), "points": points})
