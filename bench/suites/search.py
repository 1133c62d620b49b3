"""Search: the real pipeline in process (single-query p50; batched throughput, 256 queries
in batches of 64) against the same pipeline behind the queue (one API, one worker
`-Q search -P threads -c 16`): warm p50 of sequential jobs with `Prefer: wait=10`, and jobs/s
at saturation (500 jobs from a concurrent client, until all succeeded).
Then, in a stack with the result cache on: a repeated search submitted (answered at submit
time) against `GET /jobs/{id}` of the job, sequentially.
Targets: queue jobs/s >= 0.8 x in-process batched; warm p50 <= in-process + 5 ms; a cached
search within 2 x a `GET /jobs/{id}`.

The in-process single query is also timed arriving alone, each after `IDLE_GAP_S` of idle
time, as a lone job's model call does behind the queue (the worker's CPU idles while the job
is published, claimed and finished): on the 2-core test host the same query took 11-12 ms
back to back and 14-16 ms after 20-100 ms of idle (the processor's idle states and cold
caches), a cost that is not the queue's. The target keeps the back-to-back figure."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.report import Row, SuiteResult
from bench.stack import catalogue_index, stack
from bench.workload import (
    drain,
    p50,
    saturate,
    search_queries,
    sequential_waits,
    single_query_p50,
)
from core.heap import settle_heap

SINGLE = 100
BATCHED, BATCH = 256, 64
SEQUENTIAL = 60
IDLE_GAP_S = 0.02
SATURATION = 500
CACHED = 100
PATH = "/api/v1/search/semantic"


def in_process() -> dict[str, float]:
    from ml.embeddings import configure_torch_for_serving
    from ml.search import build_pipeline

    configure_torch_for_serving(1)  # the workers' setting (torch_threads), so both sides match

    with catalogue_index() as index_path:
        return _in_process(build_pipeline(index_path=str(index_path)))


def _in_process(pipeline: Any) -> dict[str, float]:
    from ml.search import SearchRequest

    try:
        queries = [SearchRequest(query=q, top_k=10) for q in search_queries(BATCHED)]
        pipeline.search_many(queries[:BATCH])  # warm-up
        settle_heap()  # as a worker does after its warm-up, so both sides match
        single = single_query_p50(pipeline, queries[:SINGLE])
        started = time.perf_counter()
        for i in range(0, BATCHED, BATCH):
            pipeline.search_many(queries[i:i + BATCH])
        batched = BATCHED / (time.perf_counter() - started)
        alone = single_query_p50(pipeline, queries[:SINGLE], idle_s=IDLE_GAP_S)
    finally:
        pipeline.close()
    return {"single_p50_s": single, "batched_qps": batched, "single_alone_p50_s": alone}



def through_queue() -> dict[str, Any]:
    with stack("search", index=True) as env:
        key = env.issue_key(("search",))
        _, base_url = env.api()
        worker = env.worker("search", "search", "threads", 16)
        env.worker("ops", "maintenance", "threads", 2)  # the dispatcher
        env.wait_worker_ready(worker)
        queries = search_queries(SATURATION)
        sequential_waits(base_url, key.api_key, PATH, [{"query": queries[0]}], wait_s=60)
        waits = sequential_waits(base_url, key.api_key, PATH,
                                 [{"query": q, "top_k": 10} for q in queries[:SEQUENTIAL]])
        burst = saturate(base_url, key.api_key, PATH,
                         [{"query": q, "top_k": 10} for q in queries], env.store(), "search")
        worker.stop()
        drained = drain(env, base_url, key.api_key, PATH,
                        [{"query": q, "top_k": 10} for q in queries], "search",
                        lambda: env.worker("search2", "search", "threads", 16))
    return {"warm_p50_s": p50(waits), **burst, **drained}


def cached() -> dict[str, float]:
    """A repeated search answered from the result cache at submit time, against reading a
    finished job (`GET /jobs/{id}`), sequentially, in the same stack."""
    with stack("search-cache", index=True, FRAGRANCE_SEARCH_CACHE_TTL_S="600") as env:
        key = env.issue_key(("search",))
        _, base_url = env.api()
        env.wait_worker_ready(env.worker("search", "search", "threads", 16))
        body = {"query": search_queries(1)[0], "top_k": 10}
        sequential_waits(base_url, key.api_key, PATH, [body])  # runs, fills the cache
        headers = {"Authorization": f"Bearer {key.api_key}"}
        hits, reads = [], []
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
            for _ in range(CACHED):
                started = time.perf_counter()
                job = client.post(PATH, json=body).json()
                hits.append(time.perf_counter() - started)
                if job["status"] != "succeeded" or not job["result"]["cached"]:
                    raise RuntimeError(f"a repeated search was not a cache hit: {job}")
                started = time.perf_counter()
                client.get(f"/api/v1/jobs/{job['id']}").raise_for_status()
                reads.append(time.perf_counter() - started)
    return {"cached_submit_p50_s": p50(hits), "get_job_p50_s": p50(reads)}


def run() -> SuiteResult:
    local = in_process()
    queued = through_queue()
    cache = cached()
    result = SuiteResult("search", details={"in_process": local, "queue": queued,
                                            "cache": cache})
    local_ms, queued_ms = local["single_p50_s"] * 1000, queued["warm_p50_s"] * 1000
    result.add(Row("in-process single query p50", local_ms, "ms"))
    result.add(Row(f"  the same, each after {IDLE_GAP_S * 1000:g} ms idle",
                   local["single_alone_p50_s"] * 1000, "ms", "back to back", local_ms))
    result.add(Row("queue job p50 (Prefer: wait=10)", queued_ms, "ms", "in-process p50",
                   local_ms, "<= in-process + 5 ms", queued_ms <= local_ms + 5))
    result.add(Row("in-process batched (64/batch)", local["batched_qps"], "q/s"))
    result.add(Row("queue jobs/s at saturation", queued["jobs_per_s"], "jobs/s",
                   "in-process batched", local["batched_qps"], ">= 0.8x",
                   queued["jobs_per_s"] >= 0.8 * local["batched_qps"]))
    result.add(Row("worker drain jobs/s (queue pre-filled)", queued["drain_jobs_per_s"],
                   "jobs/s", "in-process batched", local["batched_qps"], ">= 0.8x",
                   queued["drain_jobs_per_s"] >= 0.8 * local["batched_qps"]))
    hit_ms, read_ms = cache["cached_submit_p50_s"] * 1000, cache["get_job_p50_s"] * 1000
    result.add(Row("cached search submit p50", hit_ms, "ms", "GET /jobs/{id} p50", read_ms,
                   "<= 2x", hit_ms <= 2 * read_ms))
    result.notes.append(
        f"saturation: {queued['jobs']} jobs submitted by 32 concurrent connections in "
        f"{queued['submit_s']:.1f} s, all finished after {queued['wall_s']:.1f} s "
        f"({queued['succeeded']} succeeded in total); p50 over {SEQUENTIAL} sequential jobs")
    result.notes.append("in process the pipeline has both CPUs; behind the queue the worker "
                        "shares them with the API, PostgreSQL, Redis and the client")
    return result
