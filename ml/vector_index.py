"""Vector index: the `VectorIndex` seam, Qdrant in process (Qdrant Edge) or a Qdrant server
(the exact fake is `ml.exact_index.InMemoryIndex`).

One collection per record kind (`perfume`, `material`), each point carrying its record's
payload (see `ml.documents`). The index also keeps a *stamp* (catalogue fingerprint, model
version, document format) so `ml.indexing.build_index` knows when it must rebuild.

The embedded default is a folder of Qdrant Edge shards (`qdrant-edge-py`, Qdrant's own
engine in this process: one shard per kind, searched exactly in native code, about 6 ms at
100,000 points of 384 dimensions on one core, where qdrant-client's local mode scans in
Python at about 300 ms). A shard locks its write-ahead log: ONE process per folder. In this
project the CLI (`fragrance index build`) builds the index before the workers start and then
closes it; afterwards the search worker process owns the folder for its lifetime (threads
inside it share the shards). A second process opening the same folder gets
`IndexLockedError` (`ml.search.build_pipeline` then holds the vectors in memory instead).
Large indexes shared by many processes belong on a Qdrant server (`url=`), through
qdrant-client.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

SCROLL_CHUNK = 1000
UPSERT_CHUNK = 256


class IndexLockedError(RuntimeError):
    """Another process holds the index folder (Qdrant Edge)."""


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
    """A record id and its cosine similarity; the caller holds the records themselves (an
    index returns no payloads: turning them into Python objects costs more than the search)."""

    id: str
    score: float


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

    def vectors(self, kind: str, ids: Sequence[str]) -> np.ndarray:
        """The stored vectors of these records, one row each in order; KeyError if absent."""
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
        only_id = models.PayloadSelectorInclude(include=["id"])
        requests = [models.QueryRequest(query=v.tolist(), limit=limit, with_payload=only_id,
                                        filter=_qdrant_filter(f, models))
                    for v, f in zip(vectors, wanted, strict=True)]
        responses = self._client.query_batch_points(self._collection(kind), requests=requests)
        return [[IndexHit(str(p.payload["id"]), float(p.score)) for p in response.points]
                for response in responses]

    def vectors(self, kind: str, ids: Sequence[str]) -> np.ndarray:
        points = self._client.retrieve(self._collection(kind), ids=[_point_id(i) for i in ids],
                                       with_vectors=True)
        return _in_order(ids, {str(p.id): p.vector for p in points})

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


class EdgeIndex:
    """A `VectorIndex` over a folder of Qdrant Edge shards; open one with `open_qdrant_index`.

    Layout: `<folder>/<kind>/` is one shard per record kind, `<folder>/stamp` the stamp of
    the last complete build. Searches are exact (no HNSW graph is built): the catalogue is
    small, and a full native scan stays under 10 ms up to about 100,000 points.
    """

    VECTOR = "dense"
    STAMP_FILE = "stamp"
    LOCK_FILE = ".lock"

    def __init__(self, folder: str | Path) -> None:
        self._folder = Path(folder)
        self._folder.mkdir(parents=True, exist_ok=True)
        self._shards: dict[str, Any] = {}
        self._record_ids: dict[str, dict[str, str]] = {}  # kind -> point id -> record id
        self._lock: int | None = _lock_folder(self._folder / self.LOCK_FILE)
        try:
            for kind_folder in sorted(p for p in self._folder.iterdir() if _is_shard(p)):
                self._shards[kind_folder.name] = _load_shard(kind_folder)
        except BaseException:
            self.close()
            raise

    def reset(self, kind: str, dimension: int) -> None:
        import qdrant_edge as edge

        if (shard := self._shards.pop(kind, None)) is not None:
            shard.close()
        self._record_ids[kind] = {}
        shutil.rmtree(self._folder / kind, ignore_errors=True)
        config = edge.EdgeConfig(
            vectors={self.VECTOR: edge.EdgeVectorParams(size=dimension,
                                                        distance=edge.Distance.Cosine)},
            optimizers=edge.EdgeOptimizersConfig(indexing_threshold=0))  # exact: no HNSW
        self._shards[kind] = edge.EdgeShard.create(str(self._folder / kind), config)

    def upsert(self, kind: str, ids: Sequence[str], vectors: np.ndarray,
               payloads: Sequence[Mapping[str, Any]]) -> None:
        import qdrant_edge as edge

        points = [edge.Point(_point_id(i), {self.VECTOR: v.tolist()}, {**p, "id": i})
                  for i, v, p in zip(ids, vectors, payloads, strict=True)]
        for start in range(0, len(points), UPSERT_CHUNK):
            self._shards[kind].update(
                edge.UpdateOperation.upsert_points(points[start:start + UPSERT_CHUNK]))
        self._known(kind).update((_point_id(i), i) for i in ids)

    def search_batch(self, kind: str, vectors: np.ndarray, limit: int,
                     filters: Sequence[PayloadFilter | None] | None = None,
                     ) -> list[list[IndexHit]]:
        import qdrant_edge as edge

        if len(vectors) == 0:
            return []
        wanted = filters if filters is not None else [None] * len(vectors)
        exact, record_ids = edge.SearchParams(exact=True), self._known(kind)
        # No payload: fetching even the id field costs ten times the search itself; a
        # point's id maps back to its record's.
        requests = [edge.QueryRequest(limit=limit, query=edge.Query.Nearest(v.tolist(),
                                                                            using=self.VECTOR),
                                      with_payload=False, filter=_qdrant_filter(f, edge),
                                      params=exact)
                    for v, f in zip(vectors, wanted, strict=True)]
        responses = self._shards[kind].query_batch(edge.QueryBatchRequest(requests))
        return [[IndexHit(record_ids[str(p.id)], float(p.score)) for p in points]
                for points in responses]

    def _known(self, kind: str) -> dict[str, str]:
        """Point id -> record id of a kind's shard (read from its payloads once)."""
        if kind not in self._record_ids:
            import qdrant_edge as edge

            found: dict[str, str] = {}
            only_id, offset = edge.PayloadSelector.Include(["id"]), None
            while True:
                points, offset = self._shards[kind].scroll(edge.ScrollRequest(
                    limit=SCROLL_CHUNK, offset=offset, with_payload=only_id, with_vector=False))
                found.update((str(p.id), str(p.payload["id"])) for p in points if "id" in p.payload)
                if offset is None:
                    break
            self._record_ids[kind] = found
        return self._record_ids[kind]

    def vectors(self, kind: str, ids: Sequence[str]) -> np.ndarray:
        records = self._shards[kind].retrieve([_point_id(i) for i in ids], False, True)
        return _in_order(ids, {str(r.id): r.vector[self.VECTOR] for r in records})

    def stamp(self) -> str | None:
        stamp_file = self._folder / self.STAMP_FILE
        return stamp_file.read_text() if stamp_file.exists() else None

    def set_stamp(self, stamp: str) -> None:
        for shard in self._shards.values():
            shard.flush()
        staged = self._folder / f"{self.STAMP_FILE}.tmp"
        staged.write_text(stamp)
        staged.replace(self._folder / self.STAMP_FILE)

    def close(self) -> None:
        while self._shards:
            self._shards.popitem()[1].close()
        if self._lock is not None:
            os.close(self._lock)  # releases the folder lock
            self._lock = None


def _in_order(ids: Sequence[str], found: Mapping[str, Any]) -> np.ndarray:
    """Rows for `ids` from point id -> vector; KeyError naming the first one missing."""
    rows = []
    for record_id in ids:
        vector = found.get(_point_id(record_id))
        if vector is None:
            raise KeyError(record_id)
        rows.append(vector)
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)


def _lock_folder(lock_file: Path) -> int:
    """An exclusive lock on the folder for this open index, held until `close`.

    Each shard also locks its own log, but only once it exists; this lock covers an empty
    folder and a build in progress too."""
    descriptor = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(descriptor)
        raise IndexLockedError(f"the index folder {lock_file.parent} is already open in another "
                               "client (Qdrant Edge: one process per folder)") from exc
    return descriptor


def _is_shard(folder: Path) -> bool:
    return folder.is_dir() and (folder / "wal").exists()


def _load_shard(folder: Path) -> Any:
    import qdrant_edge as edge

    return edge.EdgeShard.load(str(folder))


def _qdrant_filter(wanted: PayloadFilter | None, api: Any) -> Any:
    """`wanted` in Qdrant's filter language; `api` is `qdrant_client.models` or
    `qdrant_edge` (the two spell these classes alike)."""
    if wanted is None or not (wanted.must or wanted.must_not):
        return None

    def condition(c: Condition) -> Any:
        return api.FieldCondition(key=c.field, match=api.MatchAny(any=list(c.values)))

    return api.Filter(must=[condition(c) for c in wanted.must] or None,
                      must_not=[condition(c) for c in wanted.must_not] or None)


def open_qdrant_index(path: str | None = None, url: str | None = None) -> QdrantIndex | EdgeIndex:
    """A Qdrant server at `url`, else the Qdrant Edge folder at `path` (created if missing).

    Raises IndexLockedError when another process holds the folder.
    """
    if url:
        from qdrant_client import QdrantClient

        return QdrantIndex(QdrantClient(url=url))
    if not path:
        raise ValueError("open_qdrant_index needs a folder path or a server url")
    return EdgeIndex(path)
