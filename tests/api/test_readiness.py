"""Readiness from worker heartbeats on a real Redis: a busy worker is there, a stopped one
is gone at once, a silent one ages out."""

from __future__ import annotations

import time

import pytest
import redis

from api.readiness import ClusterProbe, readiness_queues
from core.heartbeats import ALIVE_FOR_S, HEARTBEATS, WorkerBeat
from core.states import QUEUES
from core.store import JobStore
from workers.heartbeat import Heartbeat

pytestmark = pytest.mark.integration


def test_workers_are_known_by_their_heartbeats(redis_url: str, store: JobStore) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(HEARTBEATS)
    probe = ClusterProbe(store, redis_url)
    busy = Heartbeat(redis_url, "models@host", ["search", "recipe"], running=lambda: 16).start()
    trainer = Heartbeat(redis_url, "training@host", ["training"], running=lambda: 1).start()
    silent = WorkerBeat("ghost@host", ("webhooks",), time.time() - ALIVE_FOR_S - 1)
    client.hset(HEARTBEATS, silent.name, silent.encode())
    client.hset(HEARTBEATS, "garbage@host", b"\xff not json")
    try:
        assert probe.workers_by_queue() == {"search": ["models@host"],
                                            "recipe": ["models@host"],
                                            "training": ["training@host"]}
        checks = probe.check()
        assert checks["queues"]["training"] == 1 and checks["queues"]["webhooks"] == 0
        assert checks["ready"] is False  # no live worker on webhooks or maintenance
        trainer.stop()
        assert "training" not in probe.workers_by_queue()
    finally:
        busy.stop()
        trainer.stop()


def test_queues_left_out_of_readiness_may_have_no_worker(redis_url: str,
                                                          store: JobStore) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(HEARTBEATS)
    everything_but_training = tuple(q for q in QUEUES if q != "training")
    beats = [Heartbeat(redis_url, f"{q}@host", [q]).start() for q in everything_but_training]
    try:
        assert ClusterProbe(store, redis_url, readiness_queues("all")).check()["ready"] is False
        checks = ClusterProbe(store, redis_url,
                              readiness_queues(list(everything_but_training))).check()
        assert checks["ready"] is True and checks["queues"]["training"] == 0  # still reported
    finally:
        for beat in beats:
            beat.stop()


def test_an_unknown_queue_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match=r"FRAGRANCE_READINESS_QUEUES.*'trainig'"):
        readiness_queues(["search", "trainig"])
