"""Every delivery mode for one job (poll, stream, webhook, short wait), webhooks surviving
a receiver outage and a killed worker, and durable cancel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.model]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    receiver = Receiver(secret="").start()
    yield receiver
    if receiver.server:
        receiver.stop()


def test_poll_stream_webhook_and_wait_agree(stack: Stack, receiver: Receiver) -> None:
    client = stack.client()
    receiver.secret = client.webhook_secret
    response = client.http.post("/api/v1/search/semantic", headers={"Prefer": "wait=30"},
                                json={"query": "fresh citrus cologne", "top_k": 3,
                                      "webhook": receiver.url,
                                      "webhook_events": ["started", "completed"]})
    assert response.status_code == 200, response.text
    waited = response.json()
    polled = client.job(waited["id"])
    with client.http.stream("GET", f"/api/v1/jobs/{waited['id']}/events") as stream:
        lines = [line for line in stream.iter_lines() if line.startswith("event:")]
    assert lines[-1] == "event: succeeded"
    wait_until(lambda: len(receiver.received) == 2, 60, "two webhooks")
    assert receiver.types() == ["job.started", "job.completed"] and receiver.invalid == 0
    hooked = receiver.received[1]["data"]
    assert waited["result"] == polled["result"] == hooked["result"]

    def statuses() -> list[str]:  # the sender records the outcome after the receiver answers
        items = client.http.get(f"/api/v1/jobs/{waited['id']}/deliveries").json()["items"]
        return [d["status"] for d in items]

    wait_until(lambda: statuses() == ["delivered", "delivered"], 30, "both recorded delivered")


def test_webhooks_survive_a_receiver_outage_and_a_killed_worker(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(FRAGRANCE_WEBHOOK_MAX_ATTEMPTS="30",
                              FRAGRANCE_WEBHOOK_BACKOFF_BASE_S="0.2")
    first = stack.start_worker(name="first")
    client = stack.client()
    receiver = Receiver(client.webhook_secret).start()
    port = receiver.stop()  # down: connections are refused
    ids = [client.http.post("/api/v1/search/semantic", json={
        "query": q, "webhook": f"http://127.0.0.1:{port}/hook",
        "webhook_events": ["started", "completed"]}).json()["id"]
        for q in ("rose", "vetiver", "amber")]
    for job_id in ids:
        assert client.wait_finished(job_id, 120)["status"] == "succeeded"

    def first_attempts_failed() -> bool:  # a job's later messages wait behind its first
        return all(any(d["history"] for d in client.http.get(
            f"/api/v1/jobs/{job_id}/deliveries").json()["items"]) for job_id in ids)

    wait_until(first_attempts_failed, 60, "failed first attempts")
    first.kill()  # the jobs succeeded; their webhooks are still owed
    receiver.start(port)
    try:
        stack.start_worker(name="second")
        wait_until(lambda: len(receiver.received) == 6, 120, "all six webhooks")
        assert len(set(receiver.ids())) == 6 and receiver.invalid == 0
        for job_id in ids:
            types = [r["type"] for r in receiver.received if r["data"]["id"] == job_id]
            assert types == ["job.started", "job.completed"]
    finally:
        receiver.stop()


def test_cancel_queued_prefetched_and_running_jobs(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(FRAGRANCE_FAULT_INJECTION_DELAY_S="3")
    stack.start_worker(name="single", concurrency=1)
    client = stack.client()
    running = client.submit_search("first in line")["id"]
    waiting = client.submit_search("second in line")["id"]
    wait_until(lambda: client.job(running)["status"] == "running", 60, "the first job")
    assert client.http.post(f"/api/v1/jobs/{waiting}/cancel").json()["status"] == "canceled"
    assert client.http.post(f"/api/v1/jobs/{running}/cancel").json()["cancel_requested"]
    assert client.wait_finished(running, 60)["status"] == "canceled"
    probe = client.submit_search("after the cancels")["id"]
    assert client.wait_finished(probe, 60)["status"] == "succeeded"
    assert (client.job(waiting)["status"], client.job(waiting)["attempts"]) == ("canceled", 0)
