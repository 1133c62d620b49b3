"""Scale (opt-in): 1,000,000 job rows in PostgreSQL, then p50 of `GET /api/v1/jobs/{id}` and
of a page of `GET /api/v1/jobs` through the HTTP API (baseline: `/healthz` of the same
process); and vector search at 100,000 points (random unit vectors,
dim 384, plus the real catalogue) through `ml.vector_index`: the embedded default (Qdrant Edge)
and, for reference, qdrant-client's local mode; p50 with recall@10 against exact numpy search.
Targets (issue 2): < 5 ms p50 for the job reads; 10 ms p50 vector search."""

from __future__ import annotations

import tempfile
import time
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np

from bench.bulk import load_jobs, sample_ids
from bench.processes import ROOT
from bench.report import Row, SuiteResult
from bench.stack import stack
from bench.workload import p50, search_queries

if TYPE_CHECKING:
    from ml.vector_index import VectorIndex

JOB_ROWS = 1_000_000
POINTS = 100_000
DIM = 384
READS = 300
QUERIES = 50


def _timed(client: httpx.Client, path: str, count: int) -> float:
    client.get(path).raise_for_status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(path).raise_for_status()
        times.append(time.perf_counter() - started)
    return p50(times) * 1000


def job_reads() -> dict[str, Any]:
    with stack("scale") as env:
        keys = [env.issue_key(("search",)) for _ in range(4)]
        started = time.perf_counter()
        load_jobs(env.engine, [k.tenant_id for k in keys], JOB_ROWS)
        loaded_s = time.perf_counter() - started
        ids = sample_ids(env.engine, keys[0].tenant_id, READS)
        _, base_url = env.api()
        with httpx.Client(base_url=base_url, timeout=30, headers={
                "Authorization": f"Bearer {keys[0].api_key}"}) as client:
            health = _timed(client, "/healthz", READS)
            client.get(f"/api/v1/jobs/{ids[0]}").raise_for_status()
            singles = []
            for job_id in ids:
                begun = time.perf_counter()
                client.get(f"/api/v1/jobs/{job_id}").raise_for_status()
                singles.append(time.perf_counter() - begun)
            page = _timed(client, "/api/v1/jobs?limit=50", READS)
    return {"load_s": loaded_s, "healthz_p50_ms": health, "get_p50_ms": p50(singles) * 1000,
            "page_p50_ms": page}


def vector_search() -> dict[str, Any]:
    from qdrant_client import QdrantClient

    from ml.documents import documents
    from ml.embeddings import SentenceTransformerEncoder
    from ml.knowledge import Catalog
    from ml.vector_index import QdrantIndex, open_qdrant_index

    encoder, catalog = SentenceTransformerEncoder(), Catalog.load()
    docs = documents(catalog, "perfume") + documents(catalog, "material")
    rng = np.random.default_rng(3)
    noise = rng.standard_normal((POINTS - len(docs), DIM)).astype(np.float32)
    vectors = np.vstack([encoder.encode([d.text for d in docs]).astype(np.float32), noise])
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [d.id for d in docs] + [f"noise-{i}" for i in range(len(noise))]
    queries = encoder.encode(search_queries(QUERIES)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    measured = {}
    with tempfile.TemporaryDirectory(dir=ROOT / "var" / "bench") as folder:
        engines = {"edge": lambda: open_qdrant_index(path=f"{folder}/edge"),
                   "local": lambda: QdrantIndex(QdrantClient(path=f"{folder}/local"))}
        for name, opened in engines.items():
            measured[name] = _search_index(opened(), ids, vectors, queries, exact)
    exact_times = []
    for query in queries:
        begun = time.perf_counter()
        np.argpartition(-(vectors @ query), 10)[:10]
        exact_times.append(time.perf_counter() - begun)
    return {"points": POINTS, **measured, "numpy_p50_ms": p50(exact_times) * 1000}


def _search_index(index: VectorIndex, ids: list[str], vectors: np.ndarray,
                  queries: np.ndarray, exact: np.ndarray) -> dict[str, float]:
    """Build `index` from `vectors`, then p50 of one-query searches and recall@10."""
    try:
        started = time.perf_counter()
        index.reset("scale", DIM)
        index.upsert("scale", ids, vectors, [{} for _ in ids])
        built_s = time.perf_counter() - started
        times, recalls = [], []
        for row, query in enumerate(queries):
            begun = time.perf_counter()
            hits = index.search_batch("scale", query[None, :], 10)[0]
            times.append(time.perf_counter() - begun)
            wanted = {ids[i] for i in exact[row]}
            recalls.append(len(wanted & {h.id for h in hits}) / 10)
    finally:
        index.close()
    return {"build_s": built_s, "p50_ms": p50(times) * 1000,
            "recall_at_10": float(np.mean(recalls))}


def run() -> SuiteResult:
    reads = job_reads()
    vectors = vector_search()
    result = SuiteResult("scale", details={"jobs": reads, "vectors": vectors})
    health = reads["healthz_p50_ms"]
    result.add(Row(f"GET /jobs/{{id}} p50, {JOB_ROWS:,} rows", reads["get_p50_ms"], "ms",
                   "/healthz", health, "< 5 ms", reads["get_p50_ms"] < 5))
    result.add(Row("GET /jobs?limit=50 p50", reads["page_p50_ms"], "ms", "/healthz", health,
                   "< 5 ms", reads["page_p50_ms"] < 5))
    edge, local = vectors["edge"], vectors["local"]
    result.add(Row(f"vector search p50, {POINTS:,} pts (Qdrant Edge, the default)",
                   edge["p50_ms"], "ms", "exact numpy", vectors["numpy_p50_ms"], "<= 10 ms",
                   edge["p50_ms"] <= 10))
    result.add(Row("Qdrant Edge recall@10", edge["recall_at_10"], "", target=">= 0.95",
                   met=edge["recall_at_10"] >= 0.95))
    result.add(Row("for reference: qdrant-client local mode p50", local["p50_ms"], "ms",
                   "Qdrant Edge", edge["p50_ms"]))
    result.notes.append(f"{JOB_ROWS:,} rows loaded with COPY in {reads['load_s']:.0f} s "
                        f"(4 tenants); index of {POINTS:,} points built in "
                        f"{edge['build_s']:.0f} s (Edge), {local['build_s']:.0f} s (local mode)")
    return result
