"""Inputs (search queries, recipe briefs) and driving jobs through the HTTP API: sequential
submits with `Prefer: wait`, and a concurrent burst timed until every job is finished."""

from __future__ import annotations

import asyncio
import itertools
import json
import statistics
import time
from collections.abc import Sequence
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.processes import ROOT, wait_until
from core.models import Job
from core.store import JobStore

FAMILIES = ("floral", "soft_floral", "floral_amber", "soft_amber", "amber", "woody_amber",
            "woods", "mossy_woods", "dry_woods", "aromatic", "citrus", "water", "green",
            "fruity")
MOODS = ("fresh", "romantic", "warm", "elegant", "playful", "calm", "sensual", "bold")
SEASONS = ("spring", "summer", "autumn", "winter")
GENDERS = ("feminine", "masculine", "unisex")


def search_queries(count: int) -> list[str]:
    """The labelled eval queries (English and Korean), then generated ones, cycled."""
    path = ROOT / "tests" / "eval" / "queries.jsonl"
    labelled = [json.loads(line)["query"] for line in path.read_text().splitlines() if line]
    made = [f"{mood} {family.replace('_', ' ')} perfume for {season}" for mood, family, season
            in itertools.product(MOODS, FAMILIES, SEASONS)]
    return list(itertools.islice(itertools.cycle(labelled + made), count))


def briefs(count: int) -> list[dict[str, Any]]:
    combos = itertools.cycle(itertools.product(FAMILIES, MOODS, SEASONS, GENDERS))
    return [{"fragrance_family": family, "mood": mood, "season": season, "gender": gender,
             "intensity": "moderate", "seed": i}
            for i, (family, mood, season, gender) in zip(range(count), combos, strict=False)]


def p50(values: Sequence[float]) -> float:
    return statistics.median(values)


def single_query_p50(pipeline: Any, requests: Sequence[Any], idle_s: float = 0.0) -> float:
    """p50 seconds of a search pipeline's `search`, one query at a time (each after
    `idle_s` of idle time when given)."""
    latencies = []
    for request in requests:
        if idle_s:
            time.sleep(idle_s)
        started = time.perf_counter()
        pipeline.search(request)
        latencies.append(time.perf_counter() - started)
    return p50(latencies)


def sequential_waits(base_url: str, api_key: str, path: str, bodies: Sequence[dict[str, Any]],
                     wait_s: int = 10) -> list[float]:
    """Submit one at a time with `Prefer: wait`; seconds from submit to the finished job.
    Raises if a job did not finish within the wait (a 202 instead of a 200)."""
    latencies = []
    headers = {"Authorization": f"Bearer {api_key}", "Prefer": f"wait={wait_s}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=wait_s + 30) as client:
        for body in bodies:
            started = time.perf_counter()
            response = client.post(path, json=body)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or response.json()["status"] != "succeeded":
                raise RuntimeError(f"job did not succeed within the wait: "
                                   f"{response.status_code} {response.text[:300]}")
    return latencies


async def _burst(base_url: str, api_key: str, path: str, bodies: Sequence[dict[str, Any]],
                 concurrency: int) -> list[str]:
    limits = httpx.Limits(max_connections=concurrency)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    ids: list[str] = []
    refused: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60,
                                 headers={"Authorization": f"Bearer {api_key}"}) as client:
        async def submitter() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                response = await client.post(path, json=body)
                if response.status_code in (429, 503) and "Retry-After" in response.headers:
                    await asyncio.sleep(float(response.headers["Retry-After"]))
                    queue.put_nowait(body)  # as a client told to come back would
                elif response.is_success:
                    ids.append(response.json()["id"])
                else:
                    refused.append(f"{response.status_code} {response.text[:200]}")

        await asyncio.gather(*(submitter() for _ in range(concurrency)))
    if refused:  # every submit was tried: say how many failed and how
        raise RuntimeError(f"{len(refused)} of {len(bodies)} submits refused, first: "
                           f"{refused[0]}")
    return ids


def saturate(base_url: str, api_key: str, path: str, bodies: Sequence[dict[str, Any]],
             store: JobStore, kind: str, concurrency: int = 32,
             timeout: float = 600) -> dict[str, float]:
    """Submit all `bodies` concurrently; time until the store shows them all finished."""
    before = _finished(store, kind)
    started = time.perf_counter()
    asyncio.run(_burst(base_url, api_key, path, bodies, concurrency))
    submitted_s = time.perf_counter() - started
    wait_until(lambda: _finished(store, kind) - before >= len(bodies), timeout,
               f"{len(bodies)} {kind} jobs to finish", interval=0.05)
    wall = time.perf_counter() - started
    return {"jobs": len(bodies), "wall_s": wall, "submit_s": submitted_s,
            "jobs_per_s": len(bodies) / wall,
            "succeeded": store.counts_by_status().get((kind, "succeeded"), 0)}


def _finished(store: JobStore, kind: str) -> int:
    counts = store.counts_by_status()
    return sum(counts.get((kind, status), 0) for status in ("succeeded", "failed", "canceled"))


def drain(env: Any, base_url: str, api_key: str, path: str, bodies: Sequence[dict[str, Any]],
          kind: str, start_worker: Any, concurrency: int = 32,
          timeout: float = 600) -> dict[str, float]:
    """Worker throughput alone: fill the queue with no worker running, start one, and rate
    the jobs by the store's own timestamps (first to last `finished_at`), so neither the
    submitting client nor the worker's model loading is in the figure."""
    store = env.store()
    before = _finished(store, kind)
    ids = asyncio.run(_burst(base_url, api_key, path, bodies, concurrency))
    env.wait_worker_ready(start_worker())
    wait_until(lambda: _finished(store, kind) - before >= len(bodies), timeout,
               f"{len(bodies)} queued {kind} jobs to drain", interval=0.05)
    with env.engine.connect() as conn:  # PostgreSQL, or a GPU host's SQLite store
        first, last = conn.execute(select(func.min(Job.finished_at), func.max(Job.finished_at))
                                   .where(Job.id.in_(ids))).one()
    span = (last - first).total_seconds()
    return {"drain_jobs": len(ids), "drain_span_s": span,
            "drain_jobs_per_s": (len(ids) - 1) / span if span > 0 else float("nan")}
