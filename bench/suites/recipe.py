"""Recipe generation with the built-in formulator back end (retrieval on, as the worker runs
it): in-process `run_many` against jobs/s through the queue (`POST /generate/recipe`, worker
`-Q search,recipe -P threads -c 16`), and a batch of 1,000 briefs (`POST /generate/batch`,
polled until completed) against in-process `run_many(1000)`.
Targets (issue 12, raised from issue 3's 0.9x and 1.2x): queue jobs/s >= 0.95x in-process;
batch wall <= 1.1x in-process."""

from __future__ import annotations

import time
from typing import Any

import httpx

from bench.processes import wait_until
from bench.report import Row, SuiteResult
from bench.stack import catalogue_index, stack
from bench.workload import briefs, saturate
from core.heap import settle_heap

JOBS = 200
BATCH = 1000


def in_process() -> dict[str, float]:
    from ml.embeddings import configure_torch_for_serving
    from ml.rag import SearchRetriever
    from ml.recipe import Brief, FormulatorGenerator, RecipePipeline, load_materials
    from ml.search import build_pipeline

    configure_torch_for_serving(1)  # the workers' setting (torch_threads), so both sides match

    with catalogue_index() as index_path:
        search = build_pipeline(index_path=str(index_path))
        try:
            materials = load_materials()
            pipeline = RecipePipeline(FormulatorGenerator(materials), materials,
                                      SearchRetriever(search, top_k=5))
            pipeline.run_many([Brief.from_dict(b) for b in briefs(16)])  # warm-up
            settle_heap()  # as a worker does after its warm-up, so both sides match
            figures = {}
            for count in (JOBS, BATCH):
                items = [Brief.from_dict(b) for b in briefs(count)]
                started = time.perf_counter()
                outcomes = pipeline.run_many(items)
                figures[f"run_many_{count}_s"] = time.perf_counter() - started
                figures[f"ok_{count}"] = sum(o.status == "succeeded" for o in outcomes)
        finally:
            search.close()
    return figures


def _batch(base_url: str, api_key: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        response = client.post("/api/v1/generate/batch", json={"requests": briefs(BATCH)})
        response.raise_for_status()
        batch_id = response.json()["id"]
        final = wait_until(lambda: _completed(client, batch_id), 900, "the batch", 0.1)
        return {"wall_s": time.perf_counter() - started, "batch": final}


def _completed(client: httpx.Client, batch_id: str) -> dict[str, Any] | None:
    batch: dict[str, Any] = client.get(f"/api/v1/batches/{batch_id}").raise_for_status().json()
    return batch if batch.get("status") == "completed" else None


def through_queue() -> dict[str, Any]:
    with stack("recipe", index=True) as env:
        key = env.issue_key(("generate",))
        _, base_url = env.api()
        worker = env.worker("models", "search,recipe", "threads", 16)
        env.worker("ops", "maintenance", "threads", 2)  # the dispatcher
        env.wait_worker_ready(worker)
        saturate(base_url, key.api_key, "/api/v1/generate/recipe", briefs(8), env.store(),
                 "recipe")  # warm-up: the models load on first use
        burst = saturate(base_url, key.api_key, "/api/v1/generate/recipe", briefs(JOBS),
                         env.store(), "recipe")
        batch = _batch(base_url, key.api_key)
    return {"jobs": burst, "batch": batch}


def run() -> SuiteResult:
    local = in_process()
    queued = through_queue()
    result = SuiteResult("recipe", details={"in_process": local, "queue": queued})
    local_rate = JOBS / local[f"run_many_{JOBS}_s"]
    queue_rate = queued["jobs"]["jobs_per_s"]
    result.add(Row(f"in-process run_many({JOBS})", local_rate, "recipes/s"))
    result.add(Row("queue jobs/s at saturation", queue_rate, "jobs/s", "in-process",
                   local_rate, ">= 0.95x", queue_rate >= 0.95 * local_rate))
    local_batch, batch_wall = local[f"run_many_{BATCH}_s"], queued["batch"]["wall_s"]
    result.add(Row(f"batch of {BATCH} via API, wall", batch_wall, "s",
                   f"run_many({BATCH})", local_batch, "<= 1.1x", batch_wall <= 1.1 * local_batch))
    counts = queued["batch"]["batch"].get("counts")
    result.notes.append(f"formulator back end with retrieval (top 5); in-process succeeded "
                        f"{local[f'ok_{JOBS}']}/{JOBS} and {local[f'ok_{BATCH}']}/{BATCH}; "
                        f"batch counts {counts}")
    result.notes.append(f"queue: {JOBS} jobs submitted by 32 connections, all finished after "
                        f"{queued['jobs']['wall_s']:.1f} s")
    return result
