"""Ceiling: what the job system costs around a model that costs nothing.

The product's whole search path (API, PostgreSQL, dispatch, Redis, a `-P threads -c 16`
worker, grouped claims and finishes, the micro-batcher) with `search_pipeline = "noop"`,
against raw Celery in the same run (a no-op task, the same broker, pool and concurrency):

- drain: jobs/s of a worker started on a pre-filled queue (first to last finish);
- warm latency: one job at a time, submit -> result (`Prefer: wait`) against
  `noop.delay().get()`.
Targets (issue 12): drain >= 0.5x raw Celery; warm latency <= 3x `delay().get()`."""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

import redis

from bench.processes import wait_until
from bench.report import Row, SuiteResult
from bench.stack import stack
from bench.workload import drain, p50, search_queries, sequential_waits

JOBS = 2_000
SEQUENTIAL = 100
PATH = "/api/v1/search/semantic"


def raw_celery() -> dict[str, float]:
    with stack("ceiling-raw") as env:
        from bench import noop_celery

        noop_celery.app.conf.update(broker_url=env.broker_url,
                                    result_backend=env.env["FRAGRANCE_RESULT_BACKEND"])
        client = redis.Redis.from_url(env.broker_url)
        for _ in range(JOBS):
            noop_celery.noop.apply_async(kwargs={"record": True}, ignore_result=True)
        worker = env.spawn("raw", [sys.executable, "-m", "celery", "-A", "bench.noop_celery",
                                   "worker", "-P", "threads", "-c", "16", "-Q",
                                   noop_celery.QUEUE, "-n", "raw@%h", "--loglevel",
                                   "WARNING", "--without-mingle", "--without-gossip"])
        env.wait_worker_ready(worker)
        wait_until(lambda: client.llen(noop_celery.DONE) >= JOBS, 300, "the raw drain")
        stamps = sorted(float(t) for t in client.lrange(noop_celery.DONE, 0, -1))
        drain_rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        waits = []
        for _ in range(SEQUENTIAL + 5):
            started = time.perf_counter()
            noop_celery.noop.apply_async(kwargs={"record": False}).get(timeout=30)
            waits.append(time.perf_counter() - started)
    return {"drain_jobs_per_s": drain_rate, "warm_p50_s": statistics.median(waits[5:])}


def through_the_system() -> dict[str, Any]:
    with stack("ceiling", FRAGRANCE_SEARCH_PIPELINE="noop") as env:
        key = env.issue_key(("search",))
        _, base_url = env.api()
        env.worker("ops", "maintenance", "threads", 2)  # the dispatcher
        worker = env.worker("search", "search", "threads", 16)
        env.wait_worker_ready(worker)
        queries = search_queries(JOBS)
        waits = sequential_waits(base_url, key.api_key, PATH,
                                 [{"query": q} for q in queries[:SEQUENTIAL + 5]])[5:]
        worker.stop()
        drained = drain(env, base_url, key.api_key, PATH, [{"query": q} for q in queries],
                        "search", lambda: env.worker("search2", "search", "threads", 16))
    return {"warm_p50_s": p50(waits), **drained}


def run() -> SuiteResult:
    raw = raw_celery()
    ours = through_the_system()
    result = SuiteResult("ceiling", details={"raw_celery": raw, "system": ours})
    result.add(Row("no-op jobs/s, worker drain", ours["drain_jobs_per_s"], "jobs/s",
                   "raw Celery no-op drain", raw["drain_jobs_per_s"], ">= 0.5x",
                   ours["drain_jobs_per_s"] >= 0.5 * raw["drain_jobs_per_s"]))
    ours_ms, raw_ms = ours["warm_p50_s"] * 1000, raw["warm_p50_s"] * 1000
    result.add(Row("no-op job warm p50 (Prefer: wait)", ours_ms, "ms", "delay().get() p50",
                   raw_ms, "<= 3x", ours_ms <= 3 * raw_ms))
    result.notes.append(f"drain: {JOBS} jobs queued with no worker, then one worker "
                        "(-P threads -c 16) started; warm: p50 of "
                        f"{SEQUENTIAL} sequential jobs")
    return result
