"""1,000 concurrent `GET /api/v1/jobs/{id}/events` streams held by one API process: its RSS
before and after (memory per stream), then the jobs are finished through the store and we
time until every stream has closed. Target (issue 4): 1,000 streams held, memory reported."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.processes import rss_kib
from bench.report import Row, SuiteResult
from bench.stack import Stack, stack
from core.states import JobStatus
from core.store import JobStore
from core.views import Claim

STREAMS = 1000


class Streams:
    """Open streams: each read until its first event (the replayed `queued`), then until
    the server closes it."""

    def __init__(self, base_url: str, api_key: str, job_ids: list[str]) -> None:
        self.base_url, self.api_key, self.job_ids = base_url, api_key, job_ids
        self.opened = 0
        self.closed_at: list[float] = []
        self.errors: list[str] = []
        self.all_open = asyncio.Event()

    async def _one(self, client: httpx.AsyncClient, job_id: str) -> None:
        try:
            async with client.stream("GET", f"/api/v1/jobs/{job_id}/events") as response:
                response.raise_for_status()
                counted = False
                async for line in response.aiter_lines():
                    if line.startswith("event:") and not counted:
                        counted = True
                        self.opened += 1
                        if self.opened == len(self.job_ids):
                            self.all_open.set()
            self.closed_at.append(time.perf_counter())
        except Exception as exc:  # reported, not raised: one bad stream must not hide the rest
            self.errors.append(f"{type(exc).__name__}: {exc}"[:200])

    async def hold(self, finish: Any) -> dict[str, Any]:
        limits = httpx.Limits(max_connections=len(self.job_ids) + 10)
        async with httpx.AsyncClient(base_url=self.base_url, limits=limits, timeout=120,
                                     headers={"Authorization": f"Bearer {self.api_key}"}
                                     ) as client:
            started = time.perf_counter()
            tasks = [asyncio.create_task(self._one(client, job_id)) for job_id in self.job_ids]
            await asyncio.wait_for(self.all_open.wait(), 120)
            opened_s = time.perf_counter() - started
            finished = await finish()
            await asyncio.gather(*tasks)
        return {"open_s": opened_s, **finished}


def _queued_jobs(store: JobStore, tenant_id: str, count: int) -> list[str]:
    with ThreadPoolExecutor(8) as pool:
        jobs = pool.map(lambda i: store.create(tenant_id=tenant_id, kind="search",
                                               input={"query": f"sse {i}"})[0].id,
                        range(count))
        return list(jobs)


def _finish_all(store: JobStore, job_ids: list[str]) -> None:
    def one(job_id: str) -> None:
        claim: Claim | None = store.claim(job_id, f"bench-{job_id}", 60)
        assert claim is not None
        store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, job_ids))


def measure(env: Stack) -> dict[str, Any]:
    key = env.issue_key(("search",))
    store = env.store()
    job_ids = _queued_jobs(store, key.tenant_id, STREAMS)
    api, base_url = env.api()
    httpx.get(f"{base_url}/api/v1/jobs/{job_ids[0]}",
              headers={"Authorization": f"Bearer {key.api_key}"}).raise_for_status()
    before = rss_kib(api.pid)
    streams = Streams(base_url, key.api_key, job_ids)
    figures: dict[str, Any] = {"rss_before_kib": before}

    async def finish() -> dict[str, Any]:
        await asyncio.sleep(1.0)  # let the hub settle with every stream registered
        figures["rss_open_kib"] = rss_kib(api.pid)
        started = time.perf_counter()
        await asyncio.to_thread(_finish_all, store, job_ids)
        return {"finish_s": time.perf_counter() - started, "finish_started": started}

    figures.update(asyncio.run(streams.hold(finish)))
    last_close = max(streams.closed_at) if streams.closed_at else float("nan")
    figures.update(closed=len(streams.closed_at), errors=len(streams.errors),
                   error_sample=streams.errors[:3],
                   all_closed_s=last_close - figures.pop("finish_started"),
                   rss_after_kib=rss_kib(api.pid))
    return figures


def run() -> SuiteResult:
    with stack("sse") as env:
        figures = measure(env)
    per_stream = (figures["rss_open_kib"] - figures["rss_before_kib"]) / STREAMS
    result = SuiteResult("sse", details=figures)
    result.add(Row("streams held open", figures["closed"], "streams", target=">= 1000",
                   met=figures["closed"] >= STREAMS and not figures["errors"]))
    result.add(Row("API RSS with streams open", figures["rss_open_kib"] / 1024, "MiB",
                   "no streams", figures["rss_before_kib"] / 1024))
    result.add(Row("memory per stream", per_stream, "KiB", target="reported", met=True))
    result.add(Row("finish all jobs -> all streams closed", figures["all_closed_s"], "s",
                   "finishing the jobs", figures["finish_s"]))
    result.notes.append(
        f"{STREAMS} streams opened (each saw its replayed event) in {figures['open_s']:.1f} s; "
        f"errors {figures['errors']} {figures['error_sample']}; RSS after close "
        f"{figures['rss_after_kib'] / 1024:.0f} MiB")
    result.notes.append("jobs finished through JobStore (claim + finish, 8 threads); the "
                        "baseline is the time the finishing itself took")
    return result
