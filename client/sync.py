"""The blocking client (httpx.Client)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import httpx

from client import protocol, sse
from client.errors import ClientError, Unreachable, WaitTimedOut
from client.protocol import V1, Call
from client.schema import Batch, BatchResult, Job
from client.sse import Event

STREAM_READ_S = 30.0  # the API pings streams every 15 s: longer silence is a dead connection


class FragranceClient:
    """The Fragrance AI job API. Submits carry an `Idempotency-Key` (given, or made per
    call) and are sent again after no answer or a 429/502/503/504, waiting `Retry-After`,
    at most `retries` times; so are reads. Errors raise `ApiError` (the problem's title,
    detail and field errors), `NotJson` or `Unreachable`; an API key or `Idempotency-Key` no
    HTTP header can carry (the API's rule: visible ASCII) raises ValueError before anything
    is sent. Use it as a context manager or call `close()`."""

    def __init__(self, base_url: str, api_key: str, *, timeout_s: float = 30.0,
                 retries: int = 3, http: httpx.Client | None = None) -> None:
        self._auth = protocol.auth_headers(api_key)  # a key no header carries: ValueError
        self._http = http or httpx.Client(base_url=base_url, timeout=timeout_s)
        self._timeout_s, self.retries = timeout_s, retries

    def __enter__(self) -> FragranceClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # ---- submits --------------------------------------------------------------------
    def submit_search(self, query: str, *, idempotency_key: str | None = None,
                      wait_s: float = 0.0, **options: Any) -> Job:
        """A search job (`options`: top_k, search_type, filters, webhook, webhook_events).
        With `wait_s`, the finished job if it finishes within it (`Prefer: wait`)."""
        return cast(Job, self.call(protocol.submit(f"{V1}/search/semantic",
                                                   {"query": query, **options},
                                                   idempotency_key, wait_s)))

    def submit_recipe(self, brief: Mapping[str, Any], *, idempotency_key: str | None = None,
                      wait_s: float = 0.0) -> Job:
        return cast(Job, self.call(protocol.submit(f"{V1}/generate/recipe", dict(brief),
                                                   idempotency_key, wait_s)))

    def submit_training(self, request: Mapping[str, Any], *,
                        idempotency_key: str | None = None) -> Job:
        return cast(Job, self.call(protocol.submit(f"{V1}/training", dict(request),
                                                   idempotency_key)))

    def submit_batch(self, briefs: Sequence[Mapping[str, Any]], *,
                     idempotency_key: str | None = None, **options: Any) -> Batch:
        """One recipe job per brief (`options`: webhook, webhook_events)."""
        body = {"requests": [dict(brief) for brief in briefs], **options}
        return cast(Batch, self.call(protocol.submit(f"{V1}/generate/batch", body,
                                                     idempotency_key)))

    # ---- jobs -----------------------------------------------------------------------
    def job(self, job_id: str) -> Job:
        return cast(Job, self.call(protocol.get(protocol.job_path(job_id))))

    def jobs(self, *, status: str | None = None, kind: str | None = None,
             page_size: int = 50) -> Iterator[Job]:
        """The caller's jobs, newest first, every page."""
        cursor = None
        while True:
            page = self.call(protocol.get(f"{V1}/jobs", status=status, kind=kind,
                                          limit=page_size, cursor=cursor))
            yield from page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return

    def cancel(self, job_id: str) -> Job:
        return cast(Job, self.call(protocol.post(protocol.job_path(job_id, "cancel"))))

    def events(self, job_id: str, *, after: int = 0,
               timeout_s: float | None = None) -> Iterator[Event]:
        """The job's events after number `after`, live, until its final one; a dropped
        connection resumes where it stopped (`Last-Event-ID`). Raises WaitTimedOut when
        `timeout_s` passes first (checked at each event and ping)."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        last, failures = after, 0
        while True:
            try:
                lines = self._lines(protocol.job_path(job_id, "events"), deadline,
                                    protocol.events_headers(last), protocol.SSE)
                for event in sse.events(lines):
                    last, failures = protocol.sequence(event, last), 0
                    yield event
                    if protocol.is_final(event):
                        return
                raise Unreachable("the event stream ended before the job did")
            except protocol.StreamFinished:
                return
            except ClientError as error:  # dropped, or refused for now (429, 503)
                failures = self._pause_or_raise(failures, error, deadline)

    def wait(self, job_id: str, *, timeout_s: float = 300.0) -> Job:
        """The job once it is final; raises WaitTimedOut after `timeout_s`."""
        for _ in self.events(job_id, timeout_s=timeout_s):
            pass
        return self.job(job_id)

    # ---- batches --------------------------------------------------------------------
    def batch(self, batch_id: str) -> Batch:
        return cast(Batch, self.call(protocol.get(protocol.batch_path(batch_id))))

    def cancel_batch(self, batch_id: str) -> Batch:
        return cast(Batch, self.call(protocol.post(protocol.batch_path(batch_id, "cancel"))))

    def batch_events(self, batch_id: str, *, timeout_s: float | None = None) -> Iterator[Batch]:
        """The batch now, then each time its counts change, until it is completed."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        failures = 0
        while True:
            try:
                lines = self._lines(protocol.batch_path(batch_id, "events"), deadline,
                                    {"Accept": protocol.SSE}, protocol.SSE)
                for event in sse.events(lines):
                    failures = 0
                    yield cast(Batch, event.data)
                    if event.event == "completed":
                        return
                raise Unreachable("the event stream ended before the batch did")
            except ClientError as error:  # dropped, or refused for now (429, 503)
                failures = self._pause_or_raise(failures, error, deadline)

    def batch_results(self, batch_id: str) -> Iterator[BatchResult]:
        """Every item's outcome in input order (index, job_id, status, result or error)."""
        for line in self._lines(protocol.batch_path(batch_id, "results"), None, {},
                                protocol.NDJSON):
            if line:
                yield cast(BatchResult, json.loads(line))

    # ---- sending --------------------------------------------------------------------
    def call(self, call: Call) -> Any:
        """Send `call`, again while the failure is transient; the answer's JSON."""
        for attempt in range(self.retries + 1):
            try:
                return protocol.decode(self._send(call))
            except ClientError as error:
                if attempt == self.retries or not protocol.transient(error):
                    raise
                time.sleep(protocol.backoff_s(attempt, error))
        raise AssertionError("unreachable")

    def _send(self, call: Call) -> httpx.Response:
        try:
            return self._http.request(call.method, call.path, json=call.json,
                                      params=call.params, headers={**self._auth, **call.headers},
                                      timeout=self._timeout_s + call.wait_s)
        except httpx.TransportError as exc:
            raise protocol.transport_error(exc) from exc

    def _lines(self, path: str, deadline: float | None, headers: dict[str, str],
               media: str) -> Iterator[str]:
        """The lines of a streamed answer of type `media`. Raises ApiError or NotJson for
        another answer, Unreachable when the connection fails, WaitTimedOut past
        `deadline`."""
        read_s = STREAM_READ_S if deadline is None else max(
            0.1, min(STREAM_READ_S, deadline - time.monotonic()))
        try:
            with self._http.stream("GET", path, headers={**self._auth, **headers},
                                   timeout=httpx.Timeout(self._timeout_s, read=read_s)) as answer:
                if not protocol.streams(answer, media):
                    answer.read()
                    protocol.refuse(answer, media)
                for line in answer.iter_lines():
                    if deadline is not None and time.monotonic() > deadline:
                        raise WaitTimedOut(f"gave up waiting on {path}")
                    yield line
        except httpx.TransportError as exc:
            if deadline is not None and time.monotonic() > deadline:
                raise WaitTimedOut(f"gave up waiting on {path}") from exc
            raise protocol.transport_error(exc) from exc

    def _pause_or_raise(self, failures: int, error: ClientError, deadline: float | None) -> int:
        """After a dropped stream or one refused for now (429, 502-504): wait and return
        the failure count; raise any other error, or when there were too many in a row or
        the deadline has passed."""
        if failures >= self.retries or not protocol.transient(error):
            raise error
        if deadline is not None and time.monotonic() > deadline:
            raise WaitTimedOut("gave up waiting") from error
        time.sleep(protocol.backoff_s(failures, error))
        return failures + 1
