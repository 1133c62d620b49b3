"""The worker's heartbeat thread (see `core.heartbeats`): alive while the process lives,
whatever its pool is doing; it carries the state of the process's circuit breakers."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence

import redis

from core.heartbeats import BEAT_INTERVAL_S, HEARTBEATS, WorkerBeat
from workers.breakers import BreakerWatch

log = logging.getLogger(__name__)


class Heartbeat:
    """Beats every `interval_s`, and at once after `beat_soon` (a breaker changed state)."""

    def __init__(self, broker_url: str, name: str, queues: Sequence[str],
                 running: Callable[[], int] = lambda: 0,
                 interval_s: float = BEAT_INTERVAL_S) -> None:
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=2,
                                           socket_connect_timeout=2)
        self._name, self._queues, self._running = name, tuple(queues), running
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._soon = threading.Event()
        self._breakers = BreakerWatch(self.beat_soon)
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        self._beat()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop beating and say so at once (readiness need not wait for the beat to age)."""
        self._stop.set()
        self._soon.set()
        try:
            self._redis.hdel(HEARTBEATS, self._name)
        except redis.RedisError:
            log.debug("could not remove the heartbeat of %s", self._name)

    def beat_soon(self) -> None:
        self._soon.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._soon.wait(self._interval_s)
            self._soon.clear()
            if not self._stop.is_set():
                self._beat()

    def _beat(self) -> None:
        beat = WorkerBeat(self._name, self._queues, time.time(), os.getpid(), self._running(),
                          self._breakers.reports())
        try:
            self._redis.hset(HEARTBEATS, self._name, beat.encode())
        except redis.RedisError:  # the broker is down: the next beat tries again
            log.debug("heartbeat of %s not written", self._name)
