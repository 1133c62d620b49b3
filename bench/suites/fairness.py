"""Fairness: tenant B's latency while tenant A floods, against B's idle latency in the same
run. One API, one models worker (`-Q search,recipe -P threads -c 48`, as `make run`), one
ops worker (the dispatcher, maintenance, webhooks), rate limits off (this measures dispatch,
not limits).

Recipes: B's briefs idle, then while A's batch of 1,000 briefs is queued (the batch is then
canceled). Search: B's sequential searches (`Prefer: wait`) idle, then while A has 10,000
search jobs queued (submitted while the models worker is stopped, so the backlog is really
there). Last, informational: B's briefs while A has both floods queued at once.
Target (issue 8): B's p50 within 2x and p99 within 5x of its idle latency. 60 probes each,
so a p99 is the second slowest, not the single slowest."""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import httpx

from bench.processes import wait_until
from bench.report import Row, SuiteResult
from bench.stack import stack
from bench.workload import briefs, search_queries, sequential_waits

FLOOD_SEARCHES = 10_000
FLOOD_BATCH = 1_000
PROBES = 60
SEARCH, RECIPE, BATCH = "/api/v1/search/semantic", "/api/v1/generate/recipe", \
    "/api/v1/generate/batch"


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


async def _flood_searches(base_url: str, api_key: str, count: int) -> float:
    """Submit `count` searches from 64 connections; seconds it took."""
    queries = search_queries(count)
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120,
                                 headers={"Authorization": f"Bearer {api_key}"}) as client:
        async def one(index: int) -> None:
            for attempt in range(5):  # a kept-alive connection the server closed: again
                try:
                    response = await client.post(SEARCH, json={"query": queries[index]})
                    response.raise_for_status()
                    return
                except httpx.TransportError:
                    if attempt == 4:
                        raise

        for start in range(0, count, 512):
            await asyncio.gather(*(one(i) for i in range(start, min(count, start + 512))))
    return time.perf_counter() - started


def _backlog(env: Any, kind: str) -> int:
    return env.store().counts_by_status().get((kind, "queued"), 0)


def _probe(base_url: str, api_key: str, path: str, bodies: list[dict[str, Any]]
           ) -> dict[str, float]:
    waits = sequential_waits(base_url, api_key, path, bodies, wait_s=120)
    return {"p50_s": statistics.median(waits), "p99_s": _p99(waits), "n": len(waits)}


def measure() -> dict[str, Any]:
    with stack("fairness", index=True, FRAGRANCE_RATE_LIMIT_PER_S="0") as env:
        flooder = env.issue_key(("search", "generate"))
        bystander = env.issue_key(("search", "generate"))
        _, base_url = env.api()
        models = env.worker("models", "search,recipe", "threads", 48)
        env.worker("ops", "webhooks,maintenance", "threads", 4, beat=True)
        env.wait_worker_ready(models)
        probes = [{"query": q} for q in search_queries(PROBES + 5)[5:]]
        sequential_waits(base_url, bystander.api_key, SEARCH, probes[:5], wait_s=60)  # warm
        search_idle = _probe(base_url, bystander.api_key, SEARCH, probes)
        recipe_bodies = briefs(PROBES)
        sequential_waits(base_url, bystander.api_key, RECIPE, recipe_bodies[:3], wait_s=60)
        recipe_idle = _probe(base_url, bystander.api_key, RECIPE, recipe_bodies)

        batch_id = _flood_batch(env, base_url, flooder.api_key)
        recipe_backlog = _backlog(env, "recipe")
        recipe_flood = _probe(base_url, bystander.api_key, RECIPE, recipe_bodies)
        httpx.post(f"{base_url}/api/v1/batches/{batch_id}/cancel", timeout=60,
                   headers={"Authorization": f"Bearer {flooder.api_key}"}).raise_for_status()
        wait_until(lambda: _open(env, "recipe") == 0, 120, "the canceled batch to stop")

        # A's flood is queued while no worker runs (a faster client than this one would
        # queue it anyway); B probes as soon as the worker is back
        models.stop()
        flood_s = asyncio.run(_flood_searches(base_url, flooder.api_key, FLOOD_SEARCHES))
        models = env.worker("models-2", "search,recipe", "threads", 48)
        env.wait_worker_ready(models)
        search_backlog = _backlog(env, "search")
        search_flood = _probe(base_url, bystander.api_key, SEARCH, probes)

        _flood_batch(env, base_url, flooder.api_key)
        both_backlog = _backlog(env, "search") + _backlog(env, "recipe")
        recipe_both = _probe(base_url, bystander.api_key, RECIPE, recipe_bodies)
    return {"search": {"idle": search_idle, "flood": search_flood,
                       "flood_submit_s": flood_s, "backlog_at_probe": search_backlog},
            "recipe": {"idle": recipe_idle, "flood": recipe_flood,
                       "backlog_at_probe": recipe_backlog},
            "recipe_both_floods": {"idle": recipe_idle, "flood": recipe_both,
                                   "backlog_at_probe": both_backlog}}


def _open(env: Any, kind: str) -> int:
    counts = env.store().counts_by_status()
    return counts.get((kind, "queued"), 0) + counts.get((kind, "running"), 0)


def _flood_batch(env: Any, base_url: str, api_key: str) -> str:
    """A's batch of `FLOOD_BATCH` briefs, once it is queued; its id."""
    response = httpx.post(base_url + BATCH, json={"requests": briefs(FLOOD_BATCH)},
                          timeout=120, headers={"Authorization": f"Bearer {api_key}"})
    response.raise_for_status()
    wait_until(lambda: _backlog(env, "recipe") > 0, 30, "the batch to be queued")
    return str(response.json()["id"])


def run() -> SuiteResult:
    measured = measure()
    result = SuiteResult("fairness", details=measured)
    for kind, what in (("recipe", "recipe"), ("search", "search"),
                       ("recipe_both_floods", "recipe (both floods)")):
        idle, flood = measured[kind]["idle"], measured[kind]["flood"]
        informational = kind == "recipe_both_floods"
        for stat, bound in (("p50_s", 2.0), ("p99_s", 5.0)):
            name = stat.removesuffix("_s")
            value, base = flood[stat] * 1000, idle[stat] * 1000
            result.add(Row(f"B's {what} {name} while A floods", value, "ms",
                           f"B's recipe {name} idle" if informational
                           else f"B's {kind} {name} idle", base,
                           "" if informational else f"<= {bound:g}x",
                           None if informational else value <= bound * base))
        result.notes.append(f"{what}: A had {measured[kind]['backlog_at_probe']} jobs queued "
                            f"when B's {PROBES} sequential probes began")
    result.notes.append(f"A submitted {FLOOD_SEARCHES} searches in "
                        f"{measured['search']['flood_submit_s']:.1f} s; each flood of "
                        f"briefs is a batch of {FLOOD_BATCH}")
    return result
