"""The dispatcher thread (in maintenance workers): refills every tenant's broker window from
the job store's backlog (`core.dispatch`) and publishes the messages, tenants interleaved.

It runs every `interval_s`, and at once when a worker announces a finished job. One process
dispatches at a time (a Redis lease), so windows are not overfilled by several dispatchers.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence

import redis

from core.dispatch import Dispatched, DispatchQueue
from core.errors import StoreUnavailable
from core.states import NOTIFY_CHANNEL
from workers.wake_on_publish import wake_on_publish

log = logging.getLogger(__name__)

LEASE_KEY = "fragrance:dispatcher"
Publish = Callable[[Sequence[Dispatched]], None]


class Dispatcher:
    def __init__(self, queue: DispatchQueue, publish: Publish, broker_url: str,
                 interval_s: float) -> None:
        self._queue, self._publish, self._interval_s = queue, publish, interval_s
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=5,
                                           socket_connect_timeout=2)
        self._me = uuid.uuid4().hex
        self._wake = threading.Event()
        self._stop = threading.Event()

    def start(self) -> Dispatcher:
        threading.Thread(target=self._loop, name="dispatcher", daemon=True).start()
        threading.Thread(target=self._listen, name="dispatcher-wake", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def tick(self) -> int:
        """Dispatch what the windows allow if this process holds the lease; how many."""
        if not self._lead():
            return 0
        pairs = self._queue.refill()
        if pairs:
            self._publish(pairs)
        return len(pairs)

    def _lead(self) -> bool:
        lease_ms = max(1000, int(self._interval_s * 20_000))
        if self._redis.set(LEASE_KEY, self._me, nx=True, px=lease_ms):
            return True
        if self._redis.get(LEASE_KEY) == self._me.encode():
            self._redis.pexpire(LEASE_KEY, lease_ms)
            return True
        return False

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._interval_s)
            self._wake.clear()
            try:
                self.tick()
                self._stop.wait(0.02)  # wake-ups come per finished job: bound the rate
            except (StoreUnavailable, redis.RedisError, OSError) as exc:
                log.warning("dispatching failed (%s); retrying", type(exc).__name__)
                self._stop.wait(1.0)
            except Exception:
                log.exception("dispatching failed; retrying")
                self._stop.wait(1.0)

    def _listen(self) -> None:
        """Wake the loop when a worker announces a job change (a window may have room)."""
        wake_on_publish(self._redis, NOTIFY_CHANNEL, self._wake, self._stop)
