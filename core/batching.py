"""Micro-batching: concurrent callers' items are processed in one call.

Callers each `submit` one item and block (worker threads: cross-job model batches), or
await `submit_async` (the API's event loop: a group commit of submitted jobs); a batching
thread drains what has arrived (waiting at most `max_wait_s` after the first item,
up to `max_batch` items) and runs `process` once for all of them. `process` may return an
exception in an item's place: that item fails alone. While a batch is being
processed, new items queue up, so batches grow with load on their own; with `max_wait_s=0`
an item that arrives alone is processed at once. With `running` (the callers' jobs running
in the process), so is the item of a job that runs alone: it does not wait `max_wait_s`
for company that cannot come. Any other job running may still bring an item, so then the
batch waits as usual (ending the wait as soon as every running job's item was held made
batches smaller under load: 0.04x less throughput at saturation, measured).

With a `fair_key` (the job's tenant), a batch is filled round-robin across keys from all the
items waiting, and what does not fit waits for the next batch: one tenant's many items never
push another tenant's single item beyond the next batch.

With `express_slots`, an item whose key has nothing else open (a tenant with one job at the
worker) while other keys keep the batcher busy is processed at once, alone, on one of that
many express threads: it shares the CPU with the batch in progress instead of waiting for
it and for the next one. The express threads are the batcher's own, not the callers': each
thread that runs the model keeps buffers of its own (mostly MKL's), and a models worker has
144 job threads: 128 threads taking turns on the encoder grew a process by 203 MiB.
A key with many items open (the tenant flooding) never takes the express path, so the
slots stay for the others.

With a `gate` (`PriorityGate`, one per worker process), light tenants' jobs also come first
for the CPU: while light jobs run in the process or ran there within the last second, the
batching thread processes a batch in chunks of `yield_every` items and, before each chunk,
waits while a light tenant's job is running (at most `yield_max_s` per chunk, so a stream
of single jobs cannot stop the batches), but not while such a job's own item waits in this
batcher: that job is waiting for the batch, and the batch would wait for it (a second a
chunk, which the soak's mixed load met: recipes of a batch 1 s apart, claims 1 or 2 s late).
A tenant alone keeps whole batches. In a GIL-bound
worker, the flood's batches and its claims and finishes would otherwise take most of the
interpreter's time from the one job of another tenant.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Hashable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class OpenCounts:
    """Items open per key. An item is *light* when its key has nothing else open while other
    keys do: one job of a tenant beside another tenant's many."""

    def __init__(self) -> None:
        self._open: Counter[Hashable] = Counter()
        self._total = 0
        self._lock = threading.Lock()

    def enter(self, key: Hashable) -> bool:
        """Count an item of `key` in; whether it is light."""
        with self._lock:
            light = self._open[key] == 0 and self._total > 0
            self._open[key] += 1
            self._total += 1
        return light

    def leave(self, key: Hashable) -> None:
        with self._lock:
            self._total -= 1
            self._open[key] -= 1
            if not self._open[key]:
                del self._open[key]


class PriorityGate:
    """The jobs running in one worker process, by tenant. A light tenant's job (see
    `OpenCounts`) has priority while it runs: micro-batchers holding this gate wait for it
    between chunks of their batches."""

    def __init__(self, recent_s: float = 1.0) -> None:
        self._jobs = OpenCounts()
        self._running = 0  # light jobs running now
        self._recent_s = recent_s
        self._last_light = float("-inf")  # time.monotonic() when a light job last ran
        self._clear = threading.Condition(threading.Lock())
        self._thread = threading.local()

    @contextmanager
    def running(self, tenant: Hashable) -> Iterator[bool]:
        """Count a job of `tenant` in while the block runs; yields whether it has priority."""
        light = self._jobs.enter(tenant)
        if light:
            with self._clear:
                self._running += 1
            self._thread.priority = True
        try:
            yield light
        finally:
            self._jobs.leave(tenant)
            if light:
                self._thread.priority = False
                with self._clear:
                    self._running -= 1
                    self._last_light = time.monotonic()
                    self._clear.notify_all()

    def in_priority(self) -> bool:
        """Whether the calling thread runs a job with priority."""
        return bool(getattr(self._thread, "priority", False))

    def contended(self) -> bool:
        """Whether light jobs run now or ran within the last `recent_s`: batches then go in
        chunks, so the next light job waits for a chunk, not a whole batch."""
        with self._clear:
            return bool(self._running) or time.monotonic() - self._last_light < self._recent_s

    def wait_clear(self, max_s: float, unless: Callable[[], bool] = lambda: False) -> None:
        """Wait until no job with priority runs, at most `max_s`, or until `unless()` holds
        (checked again at each `nudge`)."""
        with self._clear:
            self._clear.wait_for(lambda: not self._running or unless(), timeout=max_s)

    def nudge(self) -> None:
        """Wake the waiters of `wait_clear` to check their `unless` again."""
        with self._clear:
            self._clear.notify_all()


class _Entry(NamedTuple, Generic[T, R]):
    item: T
    future: Future[R]
    priority: bool  # submitted by a job with priority: its batch does not wait for the gate


class MicroBatcher(Generic[T, R]):
    def __init__(self, process: Callable[[Sequence[T]], Sequence[R | BaseException]], *,
                 max_batch: int = 64, max_wait_s: float = 0.002,
                 on_batch: Callable[[int], None] | None = None,
                 fair_key: Callable[[T], Hashable] | None = None,
                 express_slots: int = 0, gate: PriorityGate | None = None,
                 yield_every: int | None = None, yield_max_s: float = 1.0,
                 thread_nice: int = 0, running: Callable[[], int] | None = None,
                 name: str = "micro-batcher") -> None:
        self._process, self._max_batch, self._max_wait_s = process, max_batch, max_wait_s
        self._running = running
        self._on_batch, self._fair_key = on_batch, fair_key or (lambda _: None)
        self._express_free = express_slots
        self._express = ThreadPoolExecutor(express_slots, thread_name_prefix=f"{name}-express") \
            if express_slots else None
        self._gate, self._yield_max_s = gate, yield_max_s
        self._yield_every = max(1, yield_every or max_batch)
        self._open = OpenCounts()  # submitted, not yet answered, per key
        self._priority_open = 0  # items of jobs with priority submitted, not yet answered
        self._lock = threading.Lock()
        self._inbox: queue.SimpleQueue[_Entry[T, R]] = queue.SimpleQueue()
        # the batching thread's own: items taken from the inbox, per fairness key, in order
        self._waiting: dict[Hashable, deque[_Entry[T, R]]] = {}
        self._thread_nice = thread_nice
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: T, timeout: float | None = None) -> R:
        """Process `item` in the next batch (or on the express path) and return its result
        (or raise its error)."""
        key = self._fair_key(item)
        alone = self._open.enter(key)
        # with a gate, the express slots are the light jobs' only: a flooding tenant whose
        # one item happens to be alone here would otherwise take them from the others
        express = alone and (self._gate is None or self._gate.in_priority()) \
            and self._take_express_slot()
        # an item of a job with priority waiting in the inbox: counted while it is open, so a
        # batch waiting for that job stops waiting (`_priority_waits_here`)
        priority = not express and self._gate is not None and self._gate.in_priority()
        if priority:
            with self._lock:
                self._priority_open += 1
        try:
            if express:
                return self._alone(item)
            future: Future[R] = Future()
            self._inbox.put(_Entry(item, future, priority))
            if priority and self._gate is not None:
                self._gate.nudge()  # a batch waiting for this very job stops waiting
            return future.result(timeout=timeout)
        finally:
            self._open.leave(key)
            if express or priority:
                with self._lock:
                    self._express_free += 1 if express else 0
                    self._priority_open -= 1 if priority else 0

    def _take_express_slot(self) -> bool:
        with self._lock:
            if self._express_free <= 0:
                return False
            self._express_free -= 1
            return True

    def _alone(self, item: T) -> R:
        """Process `item` alone on an express thread, in the caller's context (its log
        fields); the caller holds one of the slots, so a thread is free."""
        assert self._express is not None
        if self._on_batch:
            self._on_batch(1)
        context = contextvars.copy_context()
        (result,) = self._express.submit(context.run, self._process, [item]).result()
        if isinstance(result, BaseException):
            raise result
        return result

    def submit_async(self, item: T) -> Awaitable[R]:
        """`submit` for a coroutine: await the result without holding a thread."""
        future: Future[R] = Future()
        self._inbox.put(_Entry(item, future, False))
        return asyncio.wrap_future(future)

    def _loop(self) -> None:
        if self._thread_nice:
            lower_priority_of_this_thread(self._thread_nice)
        while True:
            if not self._waiting:
                self._hold(self._inbox.get())
            self._gather()
            self._run(self._next_batch())

    def _hold(self, entry: _Entry[T, R]) -> None:
        self._waiting.setdefault(self._fair_key(entry.item), deque()).append(entry)

    def _held(self) -> int:
        return sum(len(entries) for entries in self._waiting.values())

    def _gather(self) -> None:
        """Take what has arrived: until a batch is full or `max_wait_s` has passed (at
        once for the item of a job running alone), then whatever else is already there (it
        is sorted into the next batches fairly)."""
        deadline = time.monotonic() + self._max_wait_s
        while (held := self._held()) < self._max_batch and not self._job_runs_alone(held):
            remaining = deadline - time.monotonic()
            try:
                self._hold(self._inbox.get(timeout=remaining) if remaining > 0
                           else self._inbox.get_nowait())
            except queue.Empty:
                return
        while True:
            try:
                self._hold(self._inbox.get_nowait())
            except queue.Empty:
                return

    def _job_runs_alone(self, held: int) -> bool:
        return self._running is not None and held == 1 and self._running() <= 1

    def _next_batch(self) -> list[_Entry[T, R]]:
        """Up to `max_batch` items, one per key in turn; a key served moves to the back."""
        batch: list[_Entry[T, R]] = []
        while len(batch) < self._max_batch and self._waiting:
            for key in list(self._waiting):
                entries = self._waiting.pop(key)
                batch.append(entries.popleft())
                if entries:
                    self._waiting[key] = entries  # re-inserted: now behind the others
                if len(batch) == self._max_batch:
                    break
        return batch

    def _run(self, batch: list[_Entry[T, R]]) -> None:
        if self._on_batch:
            self._on_batch(len(batch))
        rest = batch
        while rest:
            if self._gate is None or not self._gate.contended():
                self._run_chunk(rest)
                return
            chunk, rest = rest[:self._yield_every], rest[self._yield_every:]
            if not any(entry.priority for entry in chunk):
                # not for a job with priority that waits on this batcher itself: it would
                # wait for this batch, and the batch for it, until `yield_max_s` each chunk
                self._gate.wait_clear(self._yield_max_s, unless=self._priority_waits_here)
            self._run_chunk(chunk)

    def _priority_waits_here(self) -> bool:
        with self._lock:
            return self._priority_open > 0

    def _run_chunk(self, batch: list[_Entry[T, R]]) -> None:
        try:
            results = self._process([entry.item for entry in batch])
        except Exception as exc:
            for _, future, _ in batch:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
            return
        for (_, future, _), result in zip(batch, results, strict=True):
            if not future.set_running_or_notify_cancel():  # its awaiting request went away
                continue
            if isinstance(result, BaseException):  # this item failed alone
                future.set_exception(result)
            else:
                future.set_result(result)


def lower_priority_of_this_thread(nice: int) -> None:
    """Give the calling thread a lower CPU priority (Linux: a thread is a task with its own
    niceness). A batching thread computing a flood's batches then leaves the CPU to the
    threads and processes that serve single jobs (the database, Redis, a light tenant's
    express job) when the host is saturated; on an idle host it changes nothing."""
    with suppress(OSError, AttributeError):  # not Linux: the thread keeps its priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


K = TypeVar("K")


def grouped(items: Sequence[T], key: Callable[[T], K],
            process: Callable[[K, list[T]], Sequence[R]]) -> list[R]:
    """Process `items` in groups of equal `key` (one call per group, groups in order of
    first appearance) and return the results in the items' order."""
    groups: dict[K, list[int]] = {}
    for index, item in enumerate(items):
        groups.setdefault(key(item), []).append(index)
    results: list[R | None] = [None] * len(items)
    for group_key, indexes in groups.items():
        for index, result in zip(indexes, process(group_key, [items[i] for i in indexes]),
                                 strict=True):
            results[index] = result
    return results  # type: ignore[return-value]
