"""What `/readyz` and `/metrics` look at: the store, the broker, the workers (by heartbeat,
with their circuit breakers), queue depths and the age of each queue's oldest message."""

from __future__ import annotations

import json
import time
from typing import Any

import redis

from core.heartbeats import HEARTBEATS, WorkerBeat, alive, alive_by_queue, forgotten, read_beats
from core.job_labels import HEADER_PUBLISHED_AT
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
        return alive_by_queue(self.beats(), time.time())

    def alive_beats(self) -> list[WorkerBeat]:
        """The last beat of each worker alive now."""
        return alive(self.beats(), time.time())

    def beats(self) -> list[WorkerBeat]:
        beats = read_beats(self._redis)
        gone = forgotten(beats, time.time())
        if gone:
            self._redis.hdel(HEARTBEATS, *gone)
        return beats

    def queue_depths(self) -> dict[str, int]:
        return {queue: int(self._redis.llen(queue)) for queue in QUEUES}  # type: ignore[arg-type]

    def oldest_message_ages(self) -> dict[str, float]:
        """Queue -> seconds its oldest waiting message has waited (queues whose oldest
        message carries no publish time, or that are empty, are absent)."""
        now, ages = time.time(), {}
        for queue in QUEUES:
            published = _published_at(self._redis.lindex(queue, -1))  # the next one out
            if published is not None:
                ages[queue] = max(now - published, 0.0)
        return ages


def _published_at(raw: Any) -> float | None:
    """The publish time in a Celery message on Redis (kombu's JSON envelope)."""
    if raw is None:
        return None
    try:
        return float(json.loads(raw)["headers"][HEADER_PUBLISHED_AT])
    except (ValueError, KeyError, TypeError):
        return None
