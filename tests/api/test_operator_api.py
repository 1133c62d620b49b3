"""The API's side of the operator's view: request ids on every answer and on every job's
messages, HTTP metrics by route template, the deployment-wide gauges read at scrape time,
and the workers' circuit breakers for operator keys only."""

from __future__ import annotations

import re
import time

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from api.enqueue import CeleryEnqueuer
from core.dispatch import DispatchQueue
from core.heartbeats import HEARTBEATS, BreakerReport, WorkerBeat
from core.job_labels import JobLabels
from core.keys import IssuedKey, KeyRing
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration
SEARCH = "/api/v1/search/semantic"


def samples(client: TestClient) -> list[tuple[str, dict[str, str], float]]:
    text = client.get("/metrics").text
    return [(s.name, s.labels, s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def value(found: list[tuple[str, dict[str, str], float]], name: str,
          **labels: str) -> float | None:
    matches = [v for n, have, v in found if n == name and labels.items() <= have.items()]
    return matches[0] if matches else None


def test_every_answer_carries_a_request_id_and_jobs_keep_theirs(
        client: TestClient, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer) -> None:
    given = client.post(SEARCH, headers={**auth(keys["alice"]), "X-Request-ID": "req-42"},
                        json={"query": "  bergamot\tand   neroli  "})
    assert given.status_code == 202 and given.headers["x-request-id"] == "req-42"
    made = client.post(SEARCH, headers=auth(keys["alice"]), json={"query": "oud"})
    made_id = made.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made_id)
    replaced = client.get("/healthz", headers={"X-Request-ID": "x" * 200})
    assert replaced.headers["x-request-id"] != "x" * 200
    assert client.get("/nowhere").headers["x-request-id"]  # a 404 has one too
    labels = enqueuer.labels
    assert labels[given.json()["id"]] == JobLabels(keys["alice"].tenant_id, "req-42",
                                                   'hybrid "bergamot and neroli"')
    assert labels[made.json()["id"]].request_id == made_id


@pytest.mark.parametrize("leaked", ["fk_UE5oDyGegAbc123", "xfk_UE5oDyGegAbc123",
                                    "whsec_c2VjcmV0", "Bearer.fk_abcdefgh", "sk-abcdefgh12345",
                                    "my-token-123"])
def test_a_request_id_that_looks_like_a_credential_is_replaced_never_logged(
        client: TestClient, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer,
        leaked: str) -> None:
    answer = client.post(SEARCH, headers={**auth(keys["alice"]), "X-Request-ID": leaked},
                         json={"query": "oud"})
    assert answer.status_code == 202
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["x-request-id"])
    assert enqueuer.labels[answer.json()["id"]].request_id == answer.headers["x-request-id"]


def test_http_metrics_count_route_templates_never_ids(
        client: TestClient, keys: dict[str, IssuedKey]) -> None:
    job_id = client.post(SEARCH, headers=auth(keys["alice"]), json={"query": "iris"}).json()["id"]
    route = "/api/v1/jobs/{job_id}"

    def count(**labels: str) -> float:  # the process's counters outlive one test
        return value(samples(client), "fragrance_http_requests_total", **labels) or 0.0

    ok, missing = count(route=route, status="200"), count(route=route, status="404")
    unmatched, other = count(route="unmatched", status="404"), count(method="other")
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth(keys["alice"])).status_code == 200
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth(keys["bob"])).status_code == 404
    client.get("/no/such/path/" + job_id)
    client.request("BREW", "/healthz")
    assert count(method="GET", route=route, status="200") == ok + 1
    assert count(method="GET", route=route, status="404") == missing + 1
    assert count(route="unmatched", status="404") == unmatched + 1
    assert count(method="other") == other + 1
    found = samples(client)
    assert value(found, "fragrance_http_request_duration_seconds_count", route=route)
    assert not any(job_id in str(labels) for _, labels, _ in found)


def test_the_cluster_gauges_come_from_the_store_the_broker_and_the_heartbeats(
        client: TestClient, keys: dict[str, IssuedKey], redis_url: str) -> None:
    broker = redis.Redis.from_url(redis_url)
    broker.delete(HEARTBEATS, "search")
    client.post(SEARCH, headers=auth(keys["alice"]), json={"query": "vetiver"})
    producer = CeleryEnqueuer(redis_url, 60)  # a real message waiting in the search list
    producer.enqueue_many("search", ["job-waiting"], {"job-waiting": JobLabels("t")})
    producer.close()
    beat = WorkerBeat("models@host", ("search", "recipe"), time.time(), breakers=(
        BreakerReport("openai:llm:8000", "open", 5, 5, 30.0, 12.0),))
    broker.hset(HEARTBEATS, beat.name, beat.encode())
    found = samples(client)
    assert value(found, "fragrance_jobs", kind="search", status="queued")
    assert value(found, "fragrance_jobs", kind="training", status="canceled") is not None
    assert value(found, "fragrance_queue_depth", queue="search") == 1
    assert value(found, "fragrance_queue_oldest_message_age_seconds", queue="search") >= 0
    assert value(found, "fragrance_oldest_queued_job_age_seconds", kind="search") >= 0
    store = client.app.state.store  # type: ignore[attr-defined]
    backlog = DispatchQueue(store._sessions, store.policy).backlog()  # earlier tests' jobs
    assert value(found, "fragrance_dispatch_backlog", kind="search") == backlog.get("search", 0)
    assert value(found, "fragrance_queue_workers", queue="search") == 1
    assert value(found, "fragrance_queue_workers", queue="webhooks") == 0
    assert value(found, "fragrance_ready") == 0  # webhooks and maintenance have no worker
    assert value(found, "fragrance_webhook_pending_messages") is not None
    breaker = {"breaker": "openai:llm:8000", "worker": "models@host"}
    assert value(found, "fragrance_circuit_breaker_state", state="open", **breaker) == 1
    assert value(found, "fragrance_circuit_breaker_state", state="closed", **breaker) == 0
    assert value(found, "fragrance_circuit_breaker_failures", **breaker) == 5
    assert 0 < value(found, "fragrance_circuit_breaker_retry_after_seconds", **breaker) <= 12
    broker.delete(HEARTBEATS, "search")


def test_only_operator_keys_list_the_circuit_breakers(
        client: TestClient, keys: dict[str, IssuedKey], key_ring: KeyRing,
        redis_url: str) -> None:
    broker = redis.Redis.from_url(redis_url)
    broker.delete(HEARTBEATS)
    beat = WorkerBeat("models@host", ("recipe",), time.time(), breakers=(
        BreakerReport("openai:llm:8000", "closed", 2, 5, 30.0),))
    gone = WorkerBeat("old@host", ("recipe",), time.time() - 3600, breakers=(
        BreakerReport("openai:llm:8000", "open", 5, 5, 30.0, 30.0),))
    broker.hset(HEARTBEATS, mapping={beat.name: beat.encode(), gone.name: gone.encode()})
    operator = key_ring.issue("ops", ["operator"])
    listed = client.get("/api/v1/ops/breakers", headers=auth(operator))
    assert listed.status_code == 200, listed.text
    (breaker,) = listed.json()["breakers"]  # a dead worker's breaker is not listed
    assert breaker | {"reported_at": None} == {
        "name": "openai:llm:8000", "worker": "models@host", "state": "closed", "failures": 2,
        "fail_max": 5, "reset_timeout_s": 30.0, "retry_in_s": 0.0, "reported_at": None}
    assert client.get("/api/v1/ops/breakers", headers=auth(keys["alice"])).status_code == 403
    assert client.get("/api/v1/ops/breakers").status_code == 401
    broker.delete(HEARTBEATS)
