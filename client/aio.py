"""The asyncio client (httpx.AsyncClient): the same calls as `client.sync`, awaited."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

import httpx

from client import protocol, sse
from client.errors import ClientError, Unreachable, WaitTimedOut
from client.protocol import V1, Call
from client.schema import Batch, BatchResult, Job
from client.sse import Event
from client.sync import STREAM_READ_S


class AsyncFragranceClient:
    """`FragranceClient` for asyncio: the same methods, as coroutines and async iterators,
    with the same retries and errors. Use it as an async context manager or `aclose()`."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 30.0,
                 retries: int = 3, http: httpx.AsyncClient | None = None) -> None:
        self._auth = protocol.auth_headers(api_key)  # a key no header carries: ValueError
        self._http = http or httpx.AsyncClient(base_url=base_url, timeout=timeout_s)
        self._timeout_s, self.retries = timeout_s, retries

    async def __aenter__(self) -> AsyncFragranceClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---- submits --------------------------------------------------------------------
    async def submit_search(self, query: str, *, idempotency_key: str | None = None,
                            wait_s: float = 0.0, **options: Any) -> Job:
        return cast(Job, await self.call(protocol.submit(
            f"{V1}/search/semantic", {"query": query, **options}, idempotency_key, wait_s)))

    async def submit_recipe(self, brief: Mapping[str, Any], *,
                            idempotency_key: str | None = None, wait_s: float = 0.0) -> Job:
        return cast(Job, await self.call(protocol.submit(f"{V1}/generate/recipe", dict(brief),
                                                         idempotency_key, wait_s)))

    async def submit_training(self, request: Mapping[str, Any], *,
                              idempotency_key: str | None = None) -> Job:
        return cast(Job, await self.call(protocol.submit(f"{V1}/training", dict(request),
                                                         idempotency_key)))

    async def submit_batch(self, briefs: Sequence[Mapping[str, Any]], *,
                           idempotency_key: str | None = None, **options: Any) -> Batch:
        body = {"requests": [dict(brief) for brief in briefs], **options}
        return cast(Batch, await self.call(protocol.submit(f"{V1}/generate/batch", body,
                                                           idempotency_key)))

    # ---- jobs -----------------------------------------------------------------------
    async def job(self, job_id: str) -> Job:
        return cast(Job, await self.call(protocol.get(protocol.job_path(job_id))))

    async def jobs(self, *, status: str | None = None, kind: str | None = None,
                   page_size: int = 50) -> AsyncIterator[Job]:
        cursor = None
        while True:
            page = await self.call(protocol.get(f"{V1}/jobs", status=status, kind=kind,
                                                limit=page_size, cursor=cursor))
            for job in page["items"]:
                yield job
            cursor = page["next_cursor"]
            if cursor is None:
                return

    async def cancel(self, job_id: str) -> Job:
        return cast(Job, await self.call(protocol.post(protocol.job_path(job_id, "cancel"))))

    async def events(self, job_id: str, *, after: int = 0,
                     timeout_s: float | None = None) -> AsyncIterator[Event]:
        """As `FragranceClient.events`."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        last, failures = after, 0
        while True:
            try:
                lines = self._lines(protocol.job_path(job_id, "events"), deadline,
                                    protocol.events_headers(last), protocol.SSE)
                async for event in sse.aevents(lines):
                    last, failures = protocol.sequence(event, last), 0
                    yield event
                    if protocol.is_final(event):
                        return
                raise Unreachable("the event stream ended before the job did")
            except protocol.StreamFinished:
                return
            except ClientError as error:  # dropped, or refused for now (429, 503)
                failures = await self._pause_or_raise(failures, error, deadline)

    async def wait(self, job_id: str, *, timeout_s: float = 300.0) -> Job:
        async for _ in self.events(job_id, timeout_s=timeout_s):
            pass
        return await self.job(job_id)

    # ---- batches --------------------------------------------------------------------
    async def batch(self, batch_id: str) -> Batch:
        return cast(Batch, await self.call(protocol.get(protocol.batch_path(batch_id))))

    async def cancel_batch(self, batch_id: str) -> Batch:
        return cast(Batch, await self.call(protocol.post(protocol.batch_path(batch_id, "cancel"))))

    async def batch_events(self, batch_id: str, *,
                           timeout_s: float | None = None) -> AsyncIterator[Batch]:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        failures = 0
        while True:
            try:
                lines = self._lines(protocol.batch_path(batch_id, "events"), deadline,
                                    {"Accept": protocol.SSE}, protocol.SSE)
                async for event in sse.aevents(lines):
                    failures = 0
                    yield cast(Batch, event.data)
                    if event.event == "completed":
                        return
                raise Unreachable("the event stream ended before the batch did")
            except ClientError as error:  # dropped, or refused for now (429, 503)
                failures = await self._pause_or_raise(failures, error, deadline)

    async def batch_results(self, batch_id: str) -> AsyncIterator[BatchResult]:
        async for line in self._lines(protocol.batch_path(batch_id, "results"), None, {},
                                      protocol.NDJSON):
            if line:
                yield cast(BatchResult, json.loads(line))

    # ---- sending --------------------------------------------------------------------
    async def call(self, call: Call) -> Any:
        for attempt in range(self.retries + 1):
            try:
                return protocol.decode(await self._send(call))
            except ClientError as error:
                if attempt == self.retries or not protocol.transient(error):
                    raise
                await asyncio.sleep(protocol.backoff_s(attempt, error))
        raise AssertionError("unreachable")

    async def _send(self, call: Call) -> httpx.Response:
        try:
            return await self._http.request(
                call.method, call.path, json=call.json, params=call.params,
                headers={**self._auth, **call.headers}, timeout=self._timeout_s + call.wait_s)
        except httpx.TransportError as exc:
            raise protocol.transport_error(exc) from exc

    async def _lines(self, path: str, deadline: float | None, headers: dict[str, str],
                     media: str) -> AsyncIterator[str]:
        read_s = STREAM_READ_S if deadline is None else max(
            0.1, min(STREAM_READ_S, deadline - time.monotonic()))
        try:
            async with self._http.stream("GET", path, headers={**self._auth, **headers},
                                         timeout=httpx.Timeout(self._timeout_s, read=read_s)
                                         ) as answer:
                if not protocol.streams(answer, media):
                    await answer.aread()
                    protocol.refuse(answer, media)
                async for line in answer.aiter_lines():
                    if deadline is not None and time.monotonic() > deadline:
                        raise WaitTimedOut(f"gave up waiting on {path}")
                    yield line
        except httpx.TransportError as exc:
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimedOut(f"gave up waiting on {path}") from exc
            raise protocol.transport_error(exc) from exc

    async def _pause_or_raise(self, failures: int, error: ClientError,
                              deadline: float | None) -> int:
        if failures >= self.retries or not protocol.transient(error):
            raise error
        if deadline is not None and time.monotonic() > deadline:
            raise WaitTimedOut("gave up waiting") from error
        await asyncio.sleep(protocol.backoff_s(failures, error))
        return failures + 1
