"""`InMemoryIndex`: exact numpy search. The index of a worker process whose host's index
folder another process holds (`ml.search.build_pipeline`), the `VectorIndex` of unit tests
and the exact baseline of benchmarks and evaluations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ml.vector_index import IndexHit, PayloadFilter


class InMemoryIndex:
    """Exact numpy search over vectors held in this process."""

    def __init__(self) -> None:
        self._ids: dict[str, list[str]] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._payloads: dict[str, list[Mapping[str, Any]]] = {}
        self._stamp: str | None = None
        self.closed = False

    def reset(self, kind: str, dimension: int) -> None:
        self._ids[kind], self._payloads[kind] = [], []
        self._vectors[kind] = np.zeros((0, dimension), dtype=np.float32)

    def upsert(self, kind: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, Any]]) -> None:
        self._ids[kind].extend(ids)
        self._payloads[kind].extend({**p, "id": i} for i, p in zip(ids, payloads, strict=True))
        self._vectors[kind] = np.vstack([self._vectors[kind], vectors.astype(np.float32)])

    def search_batch(self, kind: str, vectors: np.ndarray, limit: int,
                     filters: Sequence[PayloadFilter | None] | None = None,
                     ) -> list[list[IndexHit]]:
        wanted = filters if filters is not None else [None] * len(vectors)
        scores = vectors @ self._vectors[kind].T if len(vectors) else np.zeros((0, 0))
        return [self._top(kind, row, limit, f) for row, f in zip(scores, wanted, strict=True)]

    def vectors(self, kind: str, ids: Sequence[str]) -> np.ndarray:
        rows = {record_id: row for row, record_id in enumerate(self._ids[kind])}
        return self._vectors[kind][[rows[i] for i in ids]]

    def _top(self, kind: str, scores: np.ndarray, limit: int,
             wanted: PayloadFilter | None) -> list[IndexHit]:
        payloads = self._payloads[kind]
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], self._ids[kind][i]))
        hits = (IndexHit(self._ids[kind][i], float(scores[i])) for i in order
                if wanted is None or wanted.matches(payloads[i]))
        return [hit for _, hit in zip(range(limit), hits, strict=False)]

    def stamp(self) -> str | None:
        return self._stamp

    def set_stamp(self, stamp: str) -> None:
        self._stamp = stamp

    def close(self) -> None:
        self.closed = True
