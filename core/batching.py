"""Micro-batching: concurrent callers' items are processed in one call.

Callers each `submit` one item and block (worker threads: cross-job model batches), or
await `submit_async` (the API's event loop: a group commit of submitted jobs); a batching
thread drains what has arrived (waiting at most `max_wait_s` after the first item,
up to `max_batch` items) and runs `process` once for all of them. `process` may return an
exception in an item's place: that item fails alone. While a batch is being
processed, new items queue up, so batches grow with load on their own; with `max_wait_s=0`
an item that arrives alone is processed at once.

With a `fair_key` (the job's tenant), a batch is filled round-robin across keys from all the
items waiting, and what does not fit waits for the next batch: one tenant's many items never
push another tenant's single item beyond the next batch.

With `express_slots`, an item whose key has nothing else open (a tenant with one job at the
worker) while other keys keep the batcher busy is processed at once, alone, in the caller's
thread, on one of that many slots: it shares the CPU with the batch in progress instead of
waiting for it and for the next one. A key with many items open (the tenant flooding) never
takes the express path, so the slots stay for the others.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    def __init__(self, process: Callable[[Sequence[T]], Sequence[R | BaseException]], *,
                 max_batch: int = 64, max_wait_s: float = 0.002,
                 on_batch: Callable[[int], None] | None = None,
                 fair_key: Callable[[T], Hashable] | None = None,
                 express_slots: int = 0, name: str = "micro-batcher") -> None:
        self._process, self._max_batch, self._max_wait_s = process, max_batch, max_wait_s
        self._on_batch, self._fair_key = on_batch, fair_key or (lambda _: None)
        self._express_free = express_slots
        self._open: Counter[Hashable] = Counter()  # submitted, not yet answered, per key
        self._open_total = 0
        self._lock = threading.Lock()
        self._inbox: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        # the batching thread's own: items taken from the inbox, per fairness key, in order
        self._waiting: dict[Hashable, deque[tuple[T, Future[R]]]] = {}
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def submit(self, item: T, timeout: float | None = None) -> R:
        """Process `item` in the next batch (or on the express path) and return its result
        (or raise its error)."""
        key = self._fair_key(item)
        with self._lock:
            express = self._express_free > 0 and self._open[key] == 0 and self._open_total > 0
            self._express_free -= express
            self._open[key] += 1
            self._open_total += 1
        try:
            if express:
                return self._alone(item)
            future: Future[R] = Future()
            self._inbox.put((item, future))
            return future.result(timeout=timeout)
        finally:
            with self._lock:
                self._express_free += express
                self._open_total -= 1
                self._open[key] -= 1
                if not self._open[key]:
                    del self._open[key]

    def _alone(self, item: T) -> R:
        if self._on_batch:
            self._on_batch(1)
        (result,) = self._process([item])
        if isinstance(result, BaseException):
            raise result
        return result

    def submit_async(self, item: T) -> Awaitable[R]:
        """`submit` for a coroutine: await the result without holding a thread."""
        future: Future[R] = Future()
        self._inbox.put((item, future))
        return asyncio.wrap_future(future)

    def _loop(self) -> None:
        while True:
            if not self._waiting:
                self._hold(self._inbox.get())
            self._gather()
            self._run(self._next_batch())

    def _hold(self, entry: tuple[T, Future[R]]) -> None:
        self._waiting.setdefault(self._fair_key(entry[0]), deque()).append(entry)

    def _held(self) -> int:
        return sum(len(entries) for entries in self._waiting.values())

    def _gather(self) -> None:
        """Take what has arrived: until a batch is full or `max_wait_s` has passed, then
        whatever else is already there (it is sorted into the next batches fairly)."""
        deadline = time.monotonic() + self._max_wait_s
        while self._held() < self._max_batch:
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

    def _next_batch(self) -> list[tuple[T, Future[R]]]:
        """Up to `max_batch` items, one per key in turn; a key served moves to the back."""
        batch: list[tuple[T, Future[R]]] = []
        while len(batch) < self._max_batch and self._waiting:
            for key in list(self._waiting):
                entries = self._waiting.pop(key)
                batch.append(entries.popleft())
                if entries:
                    self._waiting[key] = entries  # re-inserted: now behind the others
                if len(batch) == self._max_batch:
                    break
        return batch

    def _run(self, batch: list[tuple[T, Future[R]]]) -> None:
        if self._on_batch:
            self._on_batch(len(batch))
        try:
            results = self._process([item for item, _ in batch])
        except Exception as exc:
            for _, future in batch:
                if future.set_running_or_notify_cancel():
                    future.set_exception(exc)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.set_running_or_notify_cancel():  # its awaiting request went away
                continue
            if isinstance(result, BaseException):  # this item failed alone
                future.set_exception(result)
            else:
                future.set_result(result)


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
