"""A worker restarted under its old name releases what its killed predecessor was running
(real store, real Redis); a live process of the same name keeps its jobs."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import redis
from celery import Celery

from core.heartbeats import HEARTBEATS, WorkerBeat
from core.states import JobStatus
from core.store import JobStore
from workers.lost_runs import predecessor_is_gone, release_predecessors_runs

pytestmark = pytest.mark.integration
HERE = f"models@{socket.gethostname()}"


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.delete(HEARTBEATS)
    yield client
    client.delete(HEARTBEATS)
    client.close()


def _beat(client: redis.Redis, name: str, pid: int, age_s: float = 0.0) -> None:
    client.hset(HEARTBEATS, name, WorkerBeat(name, ("search",), time.time() - age_s,
                                             pid).encode())


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _running(store: JobStore, worker: str) -> str:
    job, _ = store.create(tenant_id="t1", kind="search", input={"query": "rose"})
    assert store.claim(job.id, f"delivery-of-{worker}-{job.id}", lease_s=600, worker=worker)
    return job.id


def test_only_the_jobs_of_the_named_worker_go_back_to_the_queue(store: JobStore) -> None:
    mine, other = _running(store, HERE), _running(store, "ops@elsewhere")
    (released,) = store.requeue_runs_of(HERE)
    assert (released.job_id, released.worker) == (mine, HERE)
    assert store.get("t1", mine).status == JobStatus.QUEUED
    assert store.get("t1", other).status == JobStatus.RUNNING
    assert store.events("t1", mine)[-1].data == {"status": "queued",
                                                 "reason": "its worker restarted"}
    assert store.requeue_runs_of("") == []


def test_the_predecessor_is_gone_when_its_process_is(client: redis.Redis) -> None:
    assert predecessor_is_gone(client, HERE)  # never beat
    _beat(client, HERE, _dead_pid())
    assert predecessor_is_gone(client, HERE)  # beat a moment ago, killed since
    _beat(client, HERE, os.getppid())
    assert not predecessor_is_gone(client, HERE)  # a live process of the same name
    _beat(client, HERE, os.getppid(), age_s=3600)
    assert predecessor_is_gone(client, HERE)  # silent for an hour
    _beat(client, "models@another-host", _dead_pid())
    assert not predecessor_is_gone(client, "models@another-host")  # its pid says nothing here


def test_a_restarted_worker_releases_its_predecessors_runs_only(
        store: JobStore, client: redis.Redis, redis_url: str) -> None:
    app = Celery(broker=redis_url)  # Flower's events of the released runs go out on it
    job_id = _running(store, HERE)
    _beat(client, HERE, os.getppid())
    assert release_predecessors_runs(app, client, store, HERE) == []
    assert store.get("t1", job_id).status == JobStatus.RUNNING
    _beat(client, HERE, _dead_pid())
    (released,) = release_predecessors_runs(app, client, store, HERE)
    assert released.job_id == job_id
    assert store.get("t1", job_id).status == JobStatus.QUEUED
