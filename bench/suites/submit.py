"""Submit requests/s, one uvicorn worker each, load from a separate client process:
(a) a bare FastAPI POST, (b) an endpoint that only calls Celery `send_task`, (c) our real
`POST /api/v1/search/semantic` (auth, validation, DB write on PostgreSQL, publish).
Target: (c) >= 2x (b): the group commit and its one publish per group should beat a
naive endpoint that publishes each request alone."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import redis

from bench.apps import UNCONSUMED_QUEUE
from bench.processes import cpu_seconds
from bench.report import Row, SuiteResult
from bench.stack import Stack, stack

CONCURRENCY = 32
SECONDS = 5.0
WARMUP = 1.5
BODY = {"query": "fresh citrus cologne for summer", "top_k": 5}


def load(url: str, server_pid: int, headers: tuple[str, ...] = (),
         client: str = "raw") -> dict[str, Any]:
    """Run the load client process against `url`; adds the server's CPU use."""
    argv = [sys.executable, "-m", "bench.load", url, "--body", json.dumps(BODY),
            "--concurrency", str(CONCURRENCY), "--seconds", str(SECONDS),
            "--warmup", str(WARMUP), "--client", client]
    for header in headers:
        argv += ["--header", header]
    cpu0 = cpu_seconds(server_pid)
    done = subprocess.run(argv, capture_output=True, text=True, check=True,
                          timeout=SECONDS + WARMUP + 60)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["server_cpu"] = (cpu_seconds(server_pid) - cpu0) / (SECONDS + WARMUP)
    return result


def _measure_all(env: Stack) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    process, url = env.uvicorn("bare", "bench.apps:bare", factory=True)
    results["bare"] = load(url + "/submit", process.pid)
    results["bare_httpx"] = load(url + "/submit", process.pid, client="httpx")
    process.stop()
    process, url = env.uvicorn("send_task", "bench.apps:send_task", factory=True)
    results["send_task"] = load(url + "/submit", process.pid)
    process.stop()
    key = env.issue_key(("search",))
    process, url = env.api()
    results["real"] = load(url + "/api/v1/search/semantic", process.pid,
                           (f"Authorization: Bearer {key.api_key}",))
    process.stop()
    return results


def run() -> SuiteResult:
    with stack("submit") as env:
        results = _measure_all(env)
        published = redis.Redis.from_url(env.broker_url).llen(UNCONSUMED_QUEUE)
        queued = redis.Redis.from_url(env.broker_url).llen("search")
        stored = env.store().counts_by_status().get(("search", "queued"), 0)
    bare, send, real = results["bare"], results["send_task"], results["real"]
    result = SuiteResult("submit", details={**results, "published_baseline": published,
                                            "published_real": queued, "stored_real": stored})
    result.add(Row("bare FastAPI POST", bare["rps"], "req/s"))
    result.add(Row("bare, httpx client", results["bare_httpx"]["rps"], "req/s", "bare",
                   bare["rps"]))
    result.add(Row("send_task endpoint", send["rps"], "req/s", "bare", bare["rps"]))
    result.add(Row("POST /search/semantic", real["rps"], "req/s", "send_task", send["rps"],
                   ">= 2.0x send_task", real["rps"] >= 2 * send["rps"]))
    for name, figures in results.items():
        result.notes.append(
            f"{name}: p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
            f"errors {figures['errors']}, server CPU {figures['server_cpu']:.0%}, "
            f"client CPU {figures['client_cpu']:.0%} ({CONCURRENCY} connections, "
            f"{SECONDS:g} s after {WARMUP:g} s warm-up, {figures['client']} client)")
    result.notes.append(f"real endpoint: {stored} jobs stored queued, {queued} messages "
                        f"published; 2 CPUs shared by server, client, PostgreSQL and Redis")
    return result
