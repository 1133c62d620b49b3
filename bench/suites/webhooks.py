"""Webhook fan-out: deliveries/s from one webhooks worker to a local receiver, against the
receiver's own capacity (httpx from N threads posting to it directly) in the same run.

Finished jobs with a webhook are made through `core.store.JobStore` (create, claim, finish:
the outbox row is written in the finishing transaction) before the worker starts; the rate
is N / (last delivered_at - first delivered_at). Targets: >= 500 deliveries/s (issue 4) and
>= 0.5x the receiver's capacity (issue 12)."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import func, select

from bench.processes import free_port, wait_until
from bench.report import Row, SuiteResult
from bench.stack import Stack, stack
from core.models import WebhookDelivery
from core.states import JobStatus

DELIVERIES = 2000
CAPACITY_THREADS = 16
CAPACITY_SECONDS = 3.0
WORKER_CONCURRENCY = 16
SAMPLE_BODY = b'{"type":"job.completed","timestamp":"2025-01-01T00:00:00Z","data":{}}' * 8


def receiver_capacity(url: str) -> float:
    """Requests/s the receiver answers to httpx clients in CAPACITY_THREADS threads."""
    counts = [0] * CAPACITY_THREADS
    until = time.perf_counter() + CAPACITY_SECONDS

    def hammer(slot: int) -> None:
        with httpx.Client(timeout=10) as client:
            while time.perf_counter() < until:
                client.post(url, content=SAMPLE_BODY,
                            headers={"content-type": "application/json"})
                counts[slot] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(CAPACITY_THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - started)


def make_finished_jobs(env: Stack, url: str, count: int) -> float:
    """`count` succeeded jobs subscribed to `completed`; returns the seconds it took."""
    store, key = env.store(), env.issue_key(("search",))

    def one(i: int) -> None:
        job, _ = store.create(tenant_id=key.tenant_id, kind="search",
                              input={"query": f"bench {i}", "top_k": 5}, webhook_url=url,
                              webhook_events=["completed"], api_key_id=key.key_id)
        claim = store.claim(job.id, f"bench-{i}", 60)
        assert claim is not None
        store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})

    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))
    return time.perf_counter() - started


def deliver_all(env: Stack, count: int, per_host: int) -> dict[str, Any]:
    """Start one webhooks worker and wait until the outbox shows `count` delivered."""
    deliveries = env.deliveries()
    started = time.perf_counter()
    worker = env.worker(f"webhooks-{per_host}", "webhooks,maintenance", "threads",
                        WORKER_CONCURRENCY, beat=True,
                        FRAGRANCE_WEBHOOK_ALLOWED_HOSTS='["127.0.0.1"]',
                        FRAGRANCE_WEBHOOK_PER_HOST_CONCURRENCY=str(per_host))
    wait_until(lambda: _done(deliveries.counts(), count, worker), 300, "all deliveries")
    wall = time.perf_counter() - started
    counts = deliveries.counts()
    worker.stop()
    with env.sessions() as session:
        first, last = session.execute(select(func.min(WebhookDelivery.delivered_at),
                                             func.max(WebhookDelivery.delivered_at))).one()
        total_attempts = session.scalar(select(func.sum(WebhookDelivery.attempts)))
    span = max((last - first).total_seconds(), 1e-6)
    return {"rate": count / span, "span_s": span, "wall_from_spawn_s": wall,
            "counts": counts, "attempts": int(total_attempts or 0)}


def _done(counts: dict[str, int], count: int, worker: Any) -> bool:
    if not worker.alive():
        raise RuntimeError(f"the webhooks worker exited:\n{worker.tail()}")
    return counts.get("delivered", 0) + counts.get("dead", 0) >= count


def run() -> SuiteResult:
    port = free_port()
    with stack("webhooks") as env:
        receiver = env.spawn("receiver", [sys.executable, "-m", "bench.receiver", str(port)])
        url = f"http://127.0.0.1:{port}/hook"
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{port}/count").status_code == 200,
                   20, "the receiver")
        capacity = receiver_capacity(url)
        runs: dict[str, Any] = {}
        for per_host in (4, WORKER_CONCURRENCY):
            env.truncate_deliveries()
            made_s = make_finished_jobs(env, url, DELIVERIES)
            runs[f"per_host_{per_host}"] = {**deliver_all(env, DELIVERIES, per_host),
                                            "setup_s": made_s}
        received = int(httpx.get(f"http://127.0.0.1:{port}/count").text)
        receiver.stop()
    return _report(capacity, runs, received)


def _report(capacity: float, runs: dict[str, Any], received: int) -> SuiteResult:
    result = SuiteResult("webhooks", details={"receiver_capacity": capacity, **runs,
                                              "receiver_posts": received})
    default, wide = runs["per_host_4"], runs[f"per_host_{WORKER_CONCURRENCY}"]
    result.add(Row("receiver capacity (httpx, 16 threads)", capacity, "req/s"))
    for name, rate in (("default per-host limit 4", default["rate"]),
                       (f"per-host limit {WORKER_CONCURRENCY}", wide["rate"])):
        result.add(Row(f"deliveries/s, {name}", rate, "msg/s", "receiver", capacity,
                       ">= 500/s and >= 0.5x", rate >= max(500.0, 0.5 * capacity)))
    for name, figures in runs.items():
        result.notes.append(
            f"{name}: {DELIVERIES} deliveries in {figures['span_s']:.2f} s (first to last "
            f"delivered_at), {figures['wall_from_spawn_s']:.1f} s from worker spawn, "
            f"{figures['attempts']} attempts recorded, outbox {figures['counts']}; "
            f"setup (create+claim+finish through JobStore) {figures['setup_s']:.1f} s")
    result.notes.append(f"worker: -Q webhooks,maintenance -P threads -c {WORKER_CONCURRENCY} "
                        f"-B; its webhook pump drains the outbox at start; receiver saw "
                        f"{received} POSTs after the capacity run")
    return result
