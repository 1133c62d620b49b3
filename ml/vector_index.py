"""Vector index: the `VectorIndex` seam, Qdrant (local folder or server) and an exact fake.

One collection per record kind (`perfume`, `material`), each point carrying its record's
payload (see `ml.documents`). The index also keeps a *stamp* (catalogue fingerprint, model
version, document format) so `ml.indexing.build_index` knows when it must rebuild.

Qdrant local mode (`QdrantClient(path=...)`) takes an exclusive file lock on its folder:
ONE process per folder. In this project the CLI (`fragrance index build`) builds the index
before the workers start and then closes it; afterwards the search worker process owns the
folder for its lifetime (threads inside it share the one client). A second process opening
the same folder gets `IndexLockedError`. Several processes need a Qdrant server (`url=`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

UPSERT_CHUNK = 256


class IndexLockedError(RuntimeError):
    """Another process holds the Qdrant local-mode folder."""


@dataclass(frozen=True)
class Condition:
    """`field` (a string or a list of strings in the payload) shares a value with `values`."""

    field: str
    values: tuple[str, ...]

    def holds(self, payload: Mapping[str, Any]) -> bool:
        value = payload.get(self.field)
        present = set(value) if isinstance(value, list | tuple) else {value}
        return not present.isdisjoint(self.values)


@dataclass(frozen=True)
class PayloadFilter:
    """Every `must` condition holds and no `must_not` condition holds."""

    must: tuple[Condition, ...] = ()
    must_not: tuple[Condition, ...] = ()

    def matches(self, payload: Mapping[str, Any]) -> bool:
        return (all(c.holds(payload) for c in self.must)
                and not any(c.holds(payload) for c in self.must_not))


@dataclass(frozen=True)
class IndexHit:
    id: str
    score: float
    payload: Mapping[str, Any]


class VectorIndex(Protocol):
    def reset(self, kind: str, dimension: int) -> None:
        """Drop the `kind` collection (if any) and create it empty."""
        ...

    def upsert(self, kind: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, Any]]) -> None: ...

    def search_batch(self, kind: str, vectors: np.ndarray, limit: int,
                     filters: Sequence[PayloadFilter | None] | None = None,
                     ) -> list[list[IndexHit]]:
        """For each query row, up to `limit` hits by cosine similarity, best first."""
        ...

    def stamp(self) -> str | None:
        """The stamp written by the last complete build, or None."""
        ...

    def set_stamp(self, stamp: str) -> None: ...

    def close(self) -> None: ...


def _point_id(record_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, record_id))


class QdrantIndex:
    """A `VectorIndex` over a `QdrantClient`; build one with `open_qdrant_index`."""

    def __init__(self, client: Any, prefix: str = "fragrance") -> None:
        self._client, self._prefix = client, prefix

    def _collection(self, kind: str) -> str:
        return f"{self._prefix}_{kind}"

    def reset(self, kind: str, dimension: int) -> None:
        from qdrant_client import models

        name = self._collection(kind)
        if self._client.collection_exists(name):
            self._client.delete_collection(name)
        self._client.create_collection(name, vectors_config=models.VectorParams(
            size=dimension, distance=models.Distance.COSINE))

    def upsert(self, kind: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, Any]]) -> None:
        from qdrant_client import models

        points = [models.PointStruct(id=_point_id(i), vector=v.tolist(), payload={**p, "id": i})
                  for i, v, p in zip(ids, vectors, payloads, strict=True)]
        for start in range(0, len(points), UPSERT_CHUNK):
            self._client.upsert(self._collection(kind), points=points[start:start + UPSERT_CHUNK])

    def search_batch(self, kind: str, vectors: np.ndarray, limit: int,
                     filters: Sequence[PayloadFilter | None] | None = None,
                     ) -> list[list[IndexHit]]:
        from qdrant_client import models

        if len(vectors) == 0:
            return []
        wanted = filters if filters is not None else [None] * len(vectors)
        requests = [models.QueryRequest(query=v.tolist(), limit=limit, with_payload=True,
                                        filter=_qdrant_filter(f))
                    for v, f in zip(vectors, wanted, strict=True)]
        responses = self._client.query_batch_points(self._collection(kind), requests=requests)
        return [[IndexHit(str(p.payload["id"]), float(p.score), p.payload)
                 for p in response.points] for response in responses]

    def stamp(self) -> str | None:
        name = self._collection("meta")
        if not self._client.collection_exists(name):
            return None
        points = self._client.retrieve(name, ids=[_point_id("stamp")], with_payload=True)
        return str(points[0].payload["stamp"]) if points else None

    def set_stamp(self, stamp: str) -> None:
        from qdrant_client import models

        self.reset("meta", 1)
        self._client.upsert(self._collection("meta"), points=[models.PointStruct(
            id=_point_id("stamp"), vector=[1.0], payload={"stamp": stamp})])

    def close(self) -> None:
        self._client.close()


def _qdrant_filter(wanted: PayloadFilter | None) -> Any:
    from qdrant_client import models

    if wanted is None or not (wanted.must or wanted.must_not):
        return None

    def condition(c: Condition) -> Any:
        return models.FieldCondition(key=c.field, match=models.MatchAny(any=list(c.values)))

    return models.Filter(must=[condition(c) for c in wanted.must] or None,
                         must_not=[condition(c) for c in wanted.must_not] or None)


def open_qdrant_index(path: str | None = None, url: str | None = None) -> QdrantIndex:
    """A Qdrant server at `url`, else a local-mode folder at `path` (created if missing).

    Raises IndexLockedError when another process holds the local folder.
    """
    from qdrant_client import QdrantClient

    if url:
        return QdrantIndex(QdrantClient(url=url))
    if not path:
        raise ValueError("open_qdrant_index needs a folder path or a server url")
    Path(path).mkdir(parents=True, exist_ok=True)
    try:
        return QdrantIndex(QdrantClient(path=path))
    except RuntimeError as exc:
        if "already accessed" in str(exc):
            raise IndexLockedError(f"the Qdrant folder {path} is already open in another client "
                                   "(Qdrant local mode: one process per folder)") from exc
        raise


class InMemoryIndex:
    """Exact numpy search; the fake `VectorIndex` for unit tests (and a recall baseline)."""

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

    def _top(self, kind: str, scores: np.ndarray, limit: int,
             wanted: PayloadFilter | None) -> list[IndexHit]:
        payloads = self._payloads[kind]
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], self._ids[kind][i]))
        hits = (IndexHit(self._ids[kind][i], float(scores[i]), payloads[i]) for i in order
                if wanted is None or wanted.matches(payloads[i]))
        return [hit for _, hit in zip(range(limit), hits, strict=False)]

    def stamp(self) -> str | None:
        return self._stamp

    def set_stamp(self, stamp: str) -> None:
        self._stamp = stamp

    def close(self) -> None:
        self.closed = True
