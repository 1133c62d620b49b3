"""What `/readyz` and `/metrics` look at: the store, the broker, the workers, queue depth."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.heartbeats import HEARTBEATS, alive_by_queue, decode_all, forgotten
from core.states import QUEUES
from core.store import JobStore


def readiness_queues(setting: str | list[str]) -> tuple[str, ...]:
    """The queues `/readyz` needs a live worker for, from the `readiness_queues` setting
    ("all" or a list of queue names). Raises ValueError naming the setting for an unknown queue.
    """
    if setting == "all":
        return QUEUES
    names = (setting,) if isinstance(setting, str) else tuple(setting)
    unknown = sorted(set(names) - set(QUEUES))
    if unknown:
        raise ValueError(f"FRAGRANCE_READINESS_QUEUES names unknown queues {unknown}; "
                         f"the queues are {list(QUEUES)}")
    return names


class ClusterProbe:
    """Checks dependencies. Workers are known by their heartbeats (`core.heartbeats`), not
    by a ping: a worker busy with a long job is still there.

    Ready means: the database and the broker answer, and each of `required_queues` (default:
    every queue) has a live worker. Queues whose workers scale to zero are left out of it,
    since a job waiting there is what brings their worker up.
    """

    def __init__(self, store: JobStore, broker_url: str,
                 required_queues: tuple[str, ...] = QUEUES) -> None:
        self._store, self._required = store, required_queues
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=2,
                                           socket_connect_timeout=2)

    def check(self) -> dict[str, Any]:
        checks: dict[str, Any] = {"database": self._try(self._store.ping),
                                  "broker": self._try(self._redis.ping)}
        queues = self.workers_by_queue() if checks["broker"] == "ok" else {}
        checks["queues"] = {q: len(queues.get(q, [])) for q in QUEUES}
        checks["ready"] = (checks["database"] == "ok" and checks["broker"] == "ok"
                           and all(checks["queues"][q] for q in self._required))
        return checks

    @staticmethod
    def _try(probe: Any) -> str:
        try:
            probe()
        except Exception as exc:
            return f"error: {type(exc).__name__}"
        return "ok"

    def workers_by_queue(self) -> dict[str, list[str]]:
        """Queue -> the workers alive on it (busy or not)."""
        beats = decode_all(self._redis.hgetall(HEARTBEATS))  # type: ignore[arg-type]
        now = time.time()
        gone = forgotten(beats, now)
        if gone:
            self._redis.hdel(HEARTBEATS, *gone)
        return alive_by_queue(beats, now)

    def queue_depths(self) -> dict[str, int]:
        return {queue: int(self._redis.llen(queue)) for queue in QUEUES}  # type: ignore[arg-type]


class JobsCollector(Collector):
    """Job counts by kind and status, and broker queue depths, read at scrape time."""

    def __init__(self, store: JobStore, probe: ClusterProbe) -> None:
        self._store, self._probe = store, probe

    def collect(self) -> Iterator[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("fragrance_jobs", "Jobs in the store by kind and status",
                                 labels=["kind", "status"])
        try:
            for (kind, status), count in self._store.counts_by_status().items():
                jobs.add_metric([kind, status], count)
        except Exception:  # a scrape must not fail because the store is down
            pass
        yield jobs
        depth = GaugeMetricFamily("fragrance_queue_depth", "Messages waiting in each queue",
                                  labels=["queue"])
        try:
            for queue, count in self._probe.queue_depths().items():
                depth.add_metric([queue], count)
        except Exception:
            pass
        yield depth
