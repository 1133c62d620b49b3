"""Live job events for SSE streams and `Prefer: wait`, with one database poll per tick.

Each API process runs one `EventHub`. Subscribers register a job id; the hub's single loop
reads new events of all watched jobs in one query and hands each to its subscribers. Event
ids can commit out of order under concurrency, so the hub re-reads a window below its
watermark and subscribers drop what they have seen (by per-job `seq`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

import redis.asyncio as aioredis
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from core.keys import Principal
from core.states import NOTIFY_CHANNEL, TERMINAL
from core.store import JobStore
from core.views import EventView

log = logging.getLogger(__name__)

REREAD_WINDOW = 1000  # ids below the watermark read again: late commits are not lost


class Subscription:
    """A job's events in `seq` order, each once, with no gaps: a job's seqs are 1, 2, 3...
    so an event that arrives early waits until the ones before it are in. `changed` is set
    by every event and by every announcement of the job (a waiter for its outcome, which
    reads the job itself, needs nothing more)."""

    def __init__(self, job_id: str, after_seq: int, wants_events: bool = True) -> None:
        self.job_id, self.last_seq, self.wants_events = job_id, after_seq, wants_events
        self.queue: asyncio.Queue[EventView] = asyncio.Queue()
        self.changed = asyncio.Event()
        self._early: dict[int, EventView] = {}

    def offer(self, event: EventView) -> None:
        if event.seq <= self.last_seq:
            return
        self._early[event.seq] = event
        while self.last_seq + 1 in self._early:
            self.last_seq += 1
            self.queue.put_nowait(self._early.pop(self.last_seq))
            self.changed.set()


class TooManyHeld(Exception):
    """The tenant already holds its share of this API process's open answers."""

    def __init__(self, per_tenant: int) -> None:
        super().__init__(f"this API key's tenant already holds {per_tenant} event streams "
                         "and waiting submits open on this server: close one, or poll "
                         "`GET /api/v1/jobs/{id}`")
        self.per_tenant = per_tenant


class HeldAnswers:
    """How many answers each tenant holds open in this API process (event streams and
    `Prefer: wait` submits), at most `per_tenant`. Each holds a connection and a file
    descriptor for up to minutes: without a bound, one tenant's thousands of streams use up
    the process's descriptors and no other tenant can connect.

    An event stream lasts as long as its job or batch, so the key it was opened with is
    checked again every `check_every_s` while it is open: one read for every key holding a
    stream here (`inactive_keys`), and the streams of a key revoked or expired since then
    end (cleanly: a reconnecting client gets the 401 that any request with it gets). Until
    2026-12-04 such a stream kept sending a job's events for as long as the job ran."""

    def __init__(self, per_tenant: int,
                 inactive_keys: Callable[[set[str]], set[str]] | None = None,
                 check_every_s: float = 1.0) -> None:
        self.per_tenant = per_tenant
        self._held: Counter[str] = Counter()
        self._inactive_keys, self._check_every_s = inactive_keys, check_every_s
        self._streams: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._checker: asyncio.Task[None] | None = None

    def take(self, tenant_id: str) -> bool:
        """One more for the tenant, if its share has room (give it back when done)."""
        if self._held[tenant_id] >= self.per_tenant:
            return False
        self._held[tenant_id] += 1
        return True

    def give_back(self, tenant_id: str) -> None:
        self._held[tenant_id] -= 1
        if self._held[tenant_id] <= 0:
            del self._held[tenant_id]

    def event_stream(self, caller: Principal,
                     content: AsyncIterator[ServerSentEvent]) -> HeldEventStream:
        """`content` as Server-Sent Events, held as one of the caller's tenant's share and
        ended when the caller's key stops being valid; raises TooManyHeld when the share is
        full."""
        if not self.take(caller.tenant_id):
            raise TooManyHeld(self.per_tenant)
        key_gone = asyncio.Event()
        self._streams[caller.key_id].add(key_gone)
        if self._inactive_keys is not None and (self._checker is None or self._checker.done()):
            self._checker = asyncio.create_task(self._check_keys(self._inactive_keys))

        def give_back() -> None:
            self.give_back(caller.tenant_id)
            self._streams[caller.key_id].discard(key_gone)
            if not self._streams[caller.key_id]:
                del self._streams[caller.key_id]

        return HeldEventStream(_until(content, key_gone, caller.key_id), give_back=give_back)

    async def _check_keys(self, inactive_keys: Callable[[set[str]], set[str]]) -> None:
        while self._streams:
            await asyncio.sleep(self._check_every_s)
            try:
                gone = await run_in_threadpool(inactive_keys, set(self._streams))
            except Exception:  # the store may be briefly down: streams go on, checked later
                continue
            for key_id in gone:
                for key_gone in self._streams.get(key_id, ()):
                    key_gone.set()

    async def close(self) -> None:
        if self._checker is not None:
            self._checker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._checker


async def _until(content: AsyncIterator[ServerSentEvent], key_gone: asyncio.Event,
                 key_id: str) -> AsyncIterator[ServerSentEvent]:
    """`content`'s events until it ends or `key_gone` is set, whichever comes first."""
    gone = asyncio.ensure_future(key_gone.wait())
    following: asyncio.Future[ServerSentEvent] | None = None
    try:
        while True:
            following = asyncio.ensure_future(anext(content))
            await asyncio.wait((following, gone), return_when=asyncio.FIRST_COMPLETED)
            if not following.done():
                log.info("event stream ended: its API key %s was revoked or has expired",
                         key_id)
                return
            try:
                event = following.result()
            except StopAsyncIteration:
                return
            following = None
            yield event
    finally:
        for task in (following, gone):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await task
        if isinstance(content, AsyncGenerator):
            await content.aclose()


class HeldEventStream(EventSourceResponse):
    """An event stream (pinged every 15 s) that gives its tenant's share back however it
    ends: finished, client gone, or never started (a generator that never ran has no
    `finally`)."""

    def __init__(self, content: AsyncIterator[ServerSentEvent],
                 give_back: Callable[[], None]) -> None:
        super().__init__(content, ping=15)
        self._give_back = give_back

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._give_back()


class EventHub:
    """Polls every `interval_s`, and at once when a worker announces a finished job that this
    process streams on the broker's `NOTIFY_CHANNEL`. A `Prefer: wait` waiter is woken by
    the announcement itself and reads its job (one read, no poll of the events); the poll
    still wakes it if an announcement is lost. Announcements of jobs nobody here watches
    (another tenant's flood finishing dozens a second) cost no database read."""

    def __init__(self, store: JobStore, interval_s: float = 0.25,
                 broker_url: str | None = None) -> None:
        self._store, self._interval_s, self._broker_url = store, interval_s, broker_url
        self._subscribers: dict[str, set[Subscription]] = defaultdict(set)
        self._watermark: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._listener: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()

    @property
    def streams(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str, after_seq: int = 0,
                        wants_events: bool = True) -> AsyncIterator[Subscription]:
        subscription = Subscription(job_id, after_seq, wants_events)
        if self._watermark is None:
            self._watermark = await run_in_threadpool(self._store.last_event_id)
        self._subscribers[job_id].add(subscription)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._loop())
        if self._broker_url and (self._listener is None or self._listener.done()):
            self._listener = asyncio.create_task(self._listen(self._broker_url))
        try:
            yield subscription
        finally:
            self._subscribers[job_id].discard(subscription)
            if not self._subscribers[job_id]:
                del self._subscribers[job_id]

    async def _loop(self) -> None:
        while self._subscribers:
            # the store may be briefly down: streams wait, they do not die
            with contextlib.suppress(Exception):
                await self._tick()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._interval_s)
            self._wakeup.clear()

    async def _listen(self, broker_url: str) -> None:
        """Wake the loop on each announcement; on a broker outage, retry (polling goes on)."""
        while True:
            client = aioredis.Redis.from_url(broker_url)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(NOTIFY_CHANNEL)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._announced(message.get("data"))
            except (aioredis.RedisError, OSError):
                await asyncio.sleep(1.0)
            finally:
                await client.aclose()

    def _announced(self, announced: object) -> None:
        """Wake the waiters of the announced jobs (ids separated by spaces: a worker
        announces the jobs one transaction finished together), and the poll if a stream
        watches one."""
        job_ids = announced.decode(errors="replace") if isinstance(announced, bytes) \
            else str(announced)
        for job_id in job_ids.split():
            for subscription in self._subscribers.get(job_id, ()):
                if subscription.wants_events:
                    self._wakeup.set()
                else:
                    subscription.changed.set()

    async def _tick(self) -> None:
        job_ids = list(self._subscribers)
        floor = max(0, (self._watermark or 0) - REREAD_WINDOW)
        rows = await run_in_threadpool(self._store.events_of_many, job_ids, floor)
        for event_id, event in rows:
            self._watermark = max(self._watermark or 0, event_id)
            for subscription in list(self._subscribers.get(event.job_id, ())):
                subscription.offer(event)

    async def close(self) -> None:
        for task in (self._task, self._listener):
            if task:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


def is_terminal(event: EventView) -> bool:
    return event.data.get("status") in {str(s) for s in TERMINAL} and event.type in {
        str(s) for s in TERMINAL}


async def wait_until_final(hub: EventHub, store: JobStore, tenant_id: str, job_id: str,
                           timeout_s: float) -> Any:
    """The finished job if it finishes within `timeout_s`, else None. Holds no thread: the
    job is read again each time it is announced or the poll sees an event of it."""
    final = {str(s) for s in TERMINAL}
    async with hub.subscribe(job_id, wants_events=False) as subscription:
        try:
            async with asyncio.timeout(timeout_s):
                while True:
                    subscription.changed.clear()
                    job = await run_in_threadpool(store.get, tenant_id, job_id)
                    if job.status in final:
                        return job
                    await subscription.changed.wait()
        except TimeoutError:
            return None
