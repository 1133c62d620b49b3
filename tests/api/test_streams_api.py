"""Event streams, short synchronous waits, webhook URL checks, delivery logs."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from core.keys import IssuedKey
from core.states import JobStatus
from core.store import JobStore
from tests.api.conftest import auth

pytestmark = pytest.mark.integration
SEARCH = "/api/v1/search/semantic"


def run_job_later(store: JobStore, job_id: str, delay: float = 0.3) -> threading.Thread:
    """Play a worker: claim, report progress, succeed."""
    def work() -> None:
        time.sleep(delay)
        claim = store.claim(job_id, "worker-1", lease_s=60)
        assert claim
        store.checkpoint(claim, 0.5, {"stage": "encoded"})
        store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})

    thread = threading.Thread(target=work)
    thread.start()
    return thread


def read_events(client: TestClient, job_id: str, headers: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    events, current = [], {}
    with client.stream("GET", f"/api/v1/jobs/{job_id}/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if not line:
                if "data" in current:
                    events.append(current)
                current = {}
                continue
            name, _, value = line.partition(":")
            current[name] = value.strip()
    return events


def test_a_stream_replays_then_follows_until_final(client: TestClient, store: JobStore,
                                                   keys: dict[str, IssuedKey]) -> None:
    headers = auth(keys["alice"])
    job_id = client.post(SEARCH, headers=headers, json={"query": "amber"}).json()["id"]
    worker = run_job_later(store, job_id)
    events = read_events(client, job_id, headers)
    worker.join()
    assert [e["event"] for e in events] == ["queued", "started", "progress", "succeeded"]
    assert [int(e["id"]) for e in events] == [1, 2, 3, 4]
    assert json.loads(events[2]["data"])["data"]["stage"] == "encoded"

    resumed = read_events(client, job_id, {**headers, "Last-Event-ID": "2"})
    assert [int(e["id"]) for e in resumed] == [3, 4]
    # a browser's EventSource reconnects with the last id after the stream ends: 204 tells
    # it to stop (the stream would otherwise stay open, pinging, forever)
    done = client.get(f"/api/v1/jobs/{job_id}/events", headers={**headers,
                                                                "Last-Event-ID": "4"})
    assert done.status_code == 204 and not done.content
    for beyond in ("5", "9999999999"):
        bogus = client.get(f"/api/v1/jobs/{job_id}/events",
                           headers={**headers, "Last-Event-ID": beyond})
        assert bogus.status_code == 400, bogus.text
        assert bogus.headers["content-type"] == "application/problem+json"
        assert "beyond this job's last event (4)" in bogus.json()["detail"]
    queued = client.post(SEARCH, headers=headers, json={"query": "oud"}).json()["id"]
    assert client.get(f"/api/v1/jobs/{queued}/events", headers={
        **headers, "Last-Event-ID": "2"}).status_code == 400
    assert client.get(f"/api/v1/jobs/{job_id}/events", headers=auth(keys["bob"])).status_code \
        == 404


def test_prefer_wait_answers_with_the_finished_job(client: TestClient, store: JobStore,
                                                   keys: dict[str, IssuedKey],
                                                   enqueuer) -> None:  # type: ignore[no-untyped-def]
    headers = {**auth(keys["alice"]), "Prefer": "wait=10"}
    real_enqueue = enqueuer.enqueue_many
    enqueuer.enqueue_many = lambda kind, job_ids, labels=None: (
        real_enqueue(kind, job_ids, labels), [run_job_later(store, j) for j in job_ids])
    response = client.post(SEARCH, headers=headers, json={"query": "iris"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "succeeded"
    assert response.headers["preference-applied"] == "wait=10"

    enqueuer.enqueue_many = real_enqueue  # nobody runs this one: the wait ends, 202 as usual
    started = time.monotonic()
    slow = client.post(SEARCH, headers={**auth(keys["alice"]), "Prefer": "wait=1"},
                       json={"query": "musk"})
    assert slow.status_code == 202 and slow.json()["status"] == "queued"
    assert time.monotonic() - started >= 1.0

    # a job that started during the wait is answered as it is then, not as submitted (a
    # training job running at 95 % was "queued" with no start after a wait of 60 s)
    def start_later(kind: str, job_ids: list[str], labels: object = None) -> None:
        real_enqueue(kind, job_ids, labels)
        for job_id in job_ids:
            threading.Timer(0.2, store.claim, (job_id, "worker-1"), {"lease_s": 60}).start()

    enqueuer.enqueue_many = start_later
    running = client.post(SEARCH, headers={**auth(keys["alice"]), "Prefer": "wait=1"},
                          json={"query": "amber"})
    enqueuer.enqueue_many = real_enqueue
    assert running.status_code == 202 and running.json()["status"] == "running", running.text
    assert running.json()["started_at"] is not None

    # a wait that is not delta-seconds is a preference not understood: ignored
    for prefer in ("wait=1e2", "wait=soon", "wait=-1"):
        ignored = client.post(SEARCH, headers={**auth(keys["alice"]), "Prefer": prefer},
                              json={"query": "musk"})
        assert ignored.status_code == 202 and "preference-applied" not in ignored.headers


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/hook", "http://10.0.0.1/hook",
                                 "http://169.254.169.254/latest", "http://localhost/x",
                                 "ftp://example.com/x",
                                 # names no resolver takes: a 500 and a traceback until
                                 # 2026-12-04 (the resolver's UnicodeError)
                                 "http://a..b.com/", "http://.example.com/",
                                 "http://example.com../", f"http://{'a' * 64}.com/"])
def test_webhook_urls_to_private_addresses_are_refused(client: TestClient,
                                                       keys: dict[str, IssuedKey],
                                                       url: str) -> None:
    response = client.post(SEARCH, headers=auth(keys["alice"]),
                           json={"query": "rose", "webhook": url})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "webhook"


def test_delivery_log_and_secret_rotation(client: TestClient,
                                          keys: dict[str, IssuedKey]) -> None:
    headers = auth(keys["alice"])
    job_id = client.post(SEARCH, headers=headers, json={"query": "oud"}).json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}/deliveries", headers=headers).json() == {
        "items": []}
    assert client.get(f"/api/v1/jobs/{job_id}/deliveries",
                      headers=auth(keys["bob"])).status_code == 404
    answer = client.post("/api/v1/keys/current/webhook-secret/rotate", headers=headers)
    assert answer.headers["cache-control"] == "no-store"  # the secret's only copy
    rotated = answer.json()
    assert rotated["webhook_secret"].startswith("whsec_")
    assert rotated["webhook_secret"] != keys["alice"].webhook_secret
    assert rotated["ended_early"] == 0
    ended = [client.post("/api/v1/keys/current/webhook-secret/rotate",
                         headers=headers).json()["ended_early"] for _ in range(5)]
    assert ended == [0, 0, 0, 0, 1]  # the sixth replaced secret ends the first's overlap
