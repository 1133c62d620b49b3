"""Held-out search quality of an embedding model that is still in memory (mid-training).

Builds a fresh exact in-memory index of the catalogue's perfumes with the model being
evaluated and scores the held-out labelled queries with `ml.evaluation` (precision@5,
nDCG@10). Perfume queries only touch the perfume collection, so materials are not embedded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ml.documents import documents
from ml.evaluation import LabelledQuery, evaluate, load_queries
from ml.exact_index import InMemoryIndex
from ml.indexing import index_stamp
from ml.knowledge import Catalog
from ml.search import SearchPipeline

SEARCH_TYPES = ("similarity", "hybrid")
HELDOUT = "heldout"


class ModelEncoder:
    """The `Encoder` seam over a live sentence-transformers model (no copy, no reload).
    `interrupt`, when given, is called before each batch of texts and may raise to stop an
    evaluation (a canceled training run: the catalogue alone is ~15 batches, a minute of
    CPU on a busy host, where a cancel used to wait)."""

    def __init__(self, model: Any, model_version: str, batch_size: int = 64,
                 interrupt: Callable[[], None] | None = None) -> None:
        self._model, self._version, self._batch_size = model, model_version, batch_size
        self._interrupt = interrupt

    @property
    def dimension(self) -> int:
        return int(self._model.get_embedding_dimension())

    @property
    def model_version(self) -> str:
        return self._version

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = []
        for start in range(0, len(texts), self._batch_size):
            if self._interrupt is not None:
                self._interrupt()
            chunks.append(self._model.encode(
                list(texts[start:start + self._batch_size]), batch_size=self._batch_size,
                normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False))
        return np.asarray(np.concatenate(chunks), dtype=np.float32)


def perfume_pipeline(encoder: ModelEncoder, catalog: Catalog) -> SearchPipeline:
    index = InMemoryIndex()
    docs = documents(catalog, "perfume")
    index.reset("perfume", encoder.dimension)
    index.reset("material", encoder.dimension)
    index.upsert("perfume", [d.id for d in docs], encoder.encode([d.text for d in docs]),
                 [d.payload for d in docs])
    index.set_stamp(index_stamp(catalog, encoder.model_version))
    return SearchPipeline(encoder, index, catalog)


def heldout_metrics(encoder: ModelEncoder, catalog: Catalog | None = None,
                    queries: Sequence[LabelledQuery] | None = None,
                    search_types: Sequence[str] = SEARCH_TYPES) -> dict[str, dict[str, float]]:
    """`{search_type: {"n", "precision@5", "ndcg@10"}}` over the held-out queries."""
    catalog = catalog or Catalog.load()
    heldout = [q for q in (load_queries() if queries is None else queries) if q.split == HELDOUT]
    if not heldout:
        raise ValueError("no held-out queries to evaluate on")
    pipeline = perfume_pipeline(encoder, catalog)
    try:
        return {kind: evaluate(pipeline, heldout, kind).summary() for kind in search_types}
    finally:
        pipeline.close()
