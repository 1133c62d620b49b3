"""Faults, really caused: a worker SIGKILLed mid-job, Redis restarted under a running worker,
a publish lost to a broker outage, the messages a restarted broker lost, a queued job canceled
before any worker runs it."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from core.database import make_engine, make_session_factory
from core.models import JobEvent
from tests.conftest import free_port
from tests.e2e.conftest import Stack
from tests.e2e.harness import redis_server, wait_until
from workers.broker_inventory import jobs_in_message

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def succeeded_events(pg_url: str, job_id: str) -> int:
    sessions = make_session_factory(make_engine(pg_url))
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(JobEvent).where(
            JobEvent.job_id == job_id, JobEvent.type == "succeeded")) or 0)


def test_a_job_survives_a_sigkilled_worker_and_completes_once(make_stack, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(FRAGRANCE_FAULT_INJECTION_DELAY_S="4")
    first = stack.start_worker(name="doomed")
    client = stack.client()
    job_id = client.submit_search("leather and iris")["id"]
    wait_until(lambda: client.job(job_id)["status"] == "running", 120, "the job to start")
    first.kill()
    assert client.job(job_id)["status"] == "running"
    stack.start_worker(name="rescuer")
    job = client.wait_finished(job_id, timeout=150)
    assert job["status"] == "succeeded", (job, stack.workers[-1].log())
    assert job["attempts"] >= 2
    assert job["result"]["hits"]
    assert succeeded_events(pg_url, job_id) == 1


def test_a_worker_restarted_under_its_name_runs_its_killed_run_again_at_once(
        make_stack, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    """A supervisor restarts a SIGKILLed worker under the same name: the job it was running
    goes back to the queue when the new process is ready, not when its lease lapses (10
    minutes here)."""
    stack: Stack = make_stack(FRAGRANCE_FAULT_INJECTION_DELAY_S="4", FRAGRANCE_LEASE_S="600")
    first = stack.start_worker(name="phoenix")
    client = stack.client()
    job_id = client.submit_search("leather and iris")["id"]
    wait_until(lambda: client.job(job_id)["status"] == "running", 120, "the job to start")
    first.kill()
    stack.start_worker(name="phoenix")
    job = client.wait_finished(job_id, timeout=180)
    assert job["status"] == "succeeded", (job, stack.workers[-1].log())
    assert job["attempts"] == 2
    assert succeeded_events(pg_url, job_id) == 1
    assert "1 job its previous process was running went back" in stack.workers[-1].log()


def test_worker_consumes_again_after_redis_restarts(make_stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    broker = redis_server(port, tmp_path).start()
    try:
        wait_until(lambda: __import__("redis").Redis(port=port).ping(), 10, "redis")
        stack: Stack = make_stack(broker_url=f"redis://127.0.0.1:{port}/0")
        stack.start_worker(name="steady")
        client = stack.client()
        before = client.wait_finished(client.submit_search("citrus cologne")["id"], 120)
        assert before["status"] == "succeeded"

        broker.kill()
        during = client.http.post("/api/v1/search/semantic", json={"query": "smoky incense"})
        assert during.status_code == 503, during.text  # refused cleanly, nothing half-done
        assert during.headers["retry-after"] and \
            during.headers["content-type"] == "application/problem+json"
        broker.start()
        wait_until(lambda: __import__("redis").Redis(port=port).ping(), 10, "redis")

        after = client.wait_finished(client.submit_search("green tea")["id"], 120)
        assert after["status"] == "succeeded", stack.workers[0].log()
        assert after["attempts"] == 1
    finally:
        broker.stop()


def test_a_canceled_queued_job_never_runs(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack()
    client = stack.client()
    job_id = client.submit_search("white flowers")["id"]
    response = client.http.post(f"/api/v1/jobs/{job_id}/cancel")
    assert response.json()["status"] == "canceled"
    stack.start_worker(name="late")
    probe = client.submit_search("fresh aquatic")["id"]
    assert client.wait_finished(probe, 120)["status"] == "succeeded"
    job = client.job(job_id)
    assert (job["status"], job["attempts"]) == ("canceled", 0)
    assert client.http.post(f"/api/v1/jobs/{probe}/cancel").status_code == 409


def test_messages_a_restarted_broker_lost_go_out_again_at_once(make_stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Redis without persistence restarts: every message it held is gone. Maintenance sees
    the broker's mark gone and publishes them again at once, not after `requeue_after_s`."""
    import time

    import redis

    port = free_port()
    broker_url = f"redis://127.0.0.1:{port}/0"
    broker = redis_server(port, tmp_path).start()

    def queued() -> set[str]:
        raws = redis.Redis(port=port).lrange("search", 0, -1)
        return {job_id for raw in raws  # type: ignore[union-attr]
                for job_id in jobs_in_message(raw)}  # a group message: several jobs

    try:
        wait_until(lambda: redis.Redis(port=port).ping(), 10, "redis")
        stack: Stack = make_stack(broker_url=broker_url, FRAGRANCE_REQUEUE_AFTER_S="300")
        stack.start_worker(name="ops", queues="maintenance", concurrency=2)
        client = stack.client(("search",))
        ids = [client.submit_search(query)["id"] for query in ("amber", "iris", "vetiver")]
        wait_until(lambda: set(ids) <= queued(), 30, "the messages in the broker")
        wait_until(lambda: redis.Redis(port=port).exists("fragrance:broker-mark"), 30,
                   "a maintenance round")

        broker.kill()
        broker.start()
        wait_until(lambda: redis.Redis(port=port).ping(), 10, "redis")
        restarted = time.monotonic()
        wait_until(lambda: set(ids) <= queued(), 90, "the lost messages published again")
        assert time.monotonic() - restarted < 90  # requeue_after_s is 300

        stack.start_worker(name="searcher", queues="search", concurrency=4, beat=False)
        for job_id in ids:
            job = client.wait_finished(job_id, 180)
            assert job["status"] == "succeeded" and job["attempts"] == 1
    finally:
        broker.stop()


def test_messages_a_killed_worker_took_but_never_claimed_go_out_again(make_stack) -> None:  # type: ignore[no-untyped-def]
    """A worker SIGKILLed just after taking messages, before claiming their jobs: the
    messages stay in Redis's unacked hash, which kombu hands back only after its visibility
    timeout (two hours). Maintenance finds them held past `requeue_after_s` with their jobs
    still queued, publishes the jobs again and drops the held copies: each job succeeds
    once, and nothing is delivered again hours later."""

    import redis

    stack: Stack = make_stack(FRAGRANCE_VISIBILITY_TIMEOUT_S="7200")  # as in production
    broker_url = stack.env["FRAGRANCE_BROKER_URL"]
    client = stack.client(("search",))
    ids = [client.submit_search(query)["id"] for query in ("amber", "iris", "vetiver")]
    broker = redis.Redis.from_url(broker_url)
    wait_until(lambda: broker.llen("search") >= 3, 30, "the messages in the broker")
    taker = ("import os, sys\nfrom kombu import Connection\n"
             "channel = Connection(sys.argv[1]).channel()\n"
             "for _ in range(3):\n    assert channel.basic_get('search', no_ack=False)\n"
             "os.kill(os.getpid(), 9)\n")
    died = subprocess.run([sys.executable, "-c", taker, broker_url], capture_output=True,
                          timeout=60)
    assert died.returncode == -9, died.stderr
    assert broker.llen("search") == 0 and broker.hlen("unacked") == 3

    stack.start_worker(name="ops", queues="maintenance", concurrency=2)
    stack.start_worker(name="searcher", queues="search", concurrency=4, beat=False)
    for job_id in ids:  # requeue_after_s is 5, a maintenance round every 2 s
        job = client.wait_finished(job_id, 60)
        assert job["status"] == "succeeded" and job["attempts"] == 1, job
    held = [job_id for raw in broker.hvals("unacked")  # type: ignore[union-attr]
            for job_id in jobs_in_message(raw)]
    assert not set(held) & set(ids), held  # the held copies were dropped


def test_a_group_message_a_killed_worker_took_goes_out_again(make_stack) -> None:  # type: ignore[no-untyped-def]
    """A batch's first window goes out as one message carrying a group of its jobs. A
    worker SIGKILLed after taking it: maintenance finds the group held with all its jobs
    still queued, publishes them again and drops the held copy; each succeeds once."""
    import json

    import redis

    stack: Stack = make_stack(FRAGRANCE_VISIBILITY_TIMEOUT_S="7200")
    broker = redis.Redis.from_url(stack.env["FRAGRANCE_BROKER_URL"])
    client = stack.client(("generate",))
    answer = client.http.post("/api/v1/generate/batch", json={"requests": [
        {"fragrance_family": family} for family in ("floral", "woody", "citrus")]})
    assert answer.status_code == 202, answer.text
    wait_until(lambda: broker.llen("recipe") >= 1, 30, "the group's message")
    raw = broker.lrange("recipe", 0, -1)
    assert len(raw) == 1  # type: ignore[arg-type]
    ids = json.loads(raw[0])["headers"]["fragrance_job_ids"].split(",")  # type: ignore[index]
    assert len(ids) == 3
    taker = ("import os, sys\nfrom kombu import Connection\n"
             "channel = Connection(sys.argv[1]).channel()\n"
             "assert channel.basic_get('recipe', no_ack=False)\n"
             "os.kill(os.getpid(), 9)\n")
    died = subprocess.run([sys.executable, "-c", taker, stack.env["FRAGRANCE_BROKER_URL"]],
                          capture_output=True, timeout=60)
    assert died.returncode == -9, died.stderr
    assert broker.llen("recipe") == 0 and broker.hlen("unacked") == 1

    stack.start_worker(name="ops", queues="maintenance", concurrency=2)
    stack.start_worker(name="perfumer", queues="recipe", concurrency=4, beat=False)
    for job_id in ids:
        job = client.wait_finished(job_id, 120)
        assert job["status"] == "succeeded" and job["attempts"] == 1, job
    # the held copy was dropped, the new message acknowledged
    wait_until(lambda: broker.hlen("unacked") == 0, 30, "no message held")


class EventLog:
    """Celery's event stream as Flower reads it (`celery.events.state.State`), captured in
    a thread: what an operator's Flower would show."""

    def __init__(self, broker_url: str) -> None:
        from celery import Celery

        self.app = Celery(broker=broker_url)
        self.state = self.app.events.State()
        self.seen: list[dict[str, Any]] = []
        self._receiver: Any = None
        self._thread = threading.Thread(target=self._capture, daemon=True)

    def _event(self, event: dict[str, Any]) -> None:
        self.seen.append(event)
        self.state.event(event)

    def _capture(self) -> None:
        with self.app.connection_for_read() as connection:
            self._receiver = self.app.events.Receiver(connection, handlers={"*": self._event})
            self._receiver.capture(limit=None, timeout=None, wakeup=False)

    def __enter__(self) -> EventLog:
        self._thread.start()
        wait_until(lambda: self._receiver is not None, 10, "the event receiver")
        time.sleep(0.5)  # its queue bound before anything is sent
        return self

    def __exit__(self, *_: object) -> None:
        self._receiver.should_stop = True
        self._thread.join(5)


def test_flower_sees_a_killed_workers_run_fail_and_the_worker_go_offline(make_stack) -> None:  # type: ignore[no-untyped-def]
    """A worker SIGKILLed mid-job sends no more events: its run of the job stayed "started"
    in Flower for good, while the job went back to its queue and ran again under a new task
    id. Maintenance now sends the events the lost worker never sent."""
    stack: Stack = make_stack(FRAGRANCE_FAULT_INJECTION_DELAY_S="4")
    with EventLog(stack.env["FRAGRANCE_BROKER_URL"]) as events:
        doomed = stack.start_worker(name="doomed", beat=False)
        client = stack.client()
        job_id = client.submit_search("leather and iris")["id"]
        wait_until(lambda: client.job(job_id)["status"] == "running", 120, "the job to start")
        started = wait_until(lambda: [e for e in events.seen if e["type"] == "task-started"
                                      and e["hostname"].startswith("doomed@")], 30,
                             "the doomed worker's task-started")
        lost_uuid, lost_host = started[0]["uuid"], started[0]["hostname"]
        doomed.kill()
        stack.start_worker(name="rescuer")
        assert client.wait_finished(job_id, timeout=150)["status"] == "succeeded"
        failed = wait_until(lambda: [e for e in events.seen if e["type"] == "task-failed"
                                     and e["uuid"] == lost_uuid], 60, "the lost run's failure")
        wait_until(lambda: lost_host in events.state.workers
                   and not events.state.workers[lost_host].alive, 30,
                   "the lost worker shown offline")
    assert failed[0]["hostname"] == lost_host and "was lost" in failed[0]["exception"]
    task = events.state.tasks[lost_uuid]
    assert task.state == "FAILURE" and task.worker.hostname == lost_host
    # the job's successful run is another task, on the rescuer
    succeeded = [e for e in events.seen
                 if e["type"] == "task-succeeded" and e["uuid"].startswith(job_id)]
    assert [e["hostname"].split("@")[0] for e in succeeded] == ["rescuer"]
    assert succeeded[0]["uuid"] != lost_uuid
