"""Limits that keep one tenant from crowding out the others: per-tenant token buckets shared
by every API process (429 with Retry-After and RateLimit headers), per-tenant caps on open
jobs (429 quota-exceeded), and 503, never 500, when Redis is down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from config import load_settings
from core.keys import KeyRing
from tests.api.conftest import RecordingEnqueuer, auth
from tests.conftest import free_port

pytestmark = pytest.mark.integration
SEARCH = "/api/v1/search/semantic"


def _api(database_url: str, broker_url: str, **overrides: object) -> TestClient:
    settings = load_settings("testing", database_url=database_url, broker_url=broker_url,
                             **overrides)
    return TestClient(create_app(settings, enqueuer=RecordingEnqueuer()))


@pytest.fixture
def two_processes(database_url: str, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    redis.Redis.from_url(redis_url).flushdb()
    limits = {"rate_limit_per_s": 0.5, "rate_limit_burst": 3}
    with _api(database_url, redis_url, **limits) as one, \
            _api(database_url, redis_url, **limits) as two:
        yield one, two


def test_a_tenants_bucket_is_shared_by_every_api_process_and_every_key(
        two_processes: tuple[TestClient, TestClient], key_ring: KeyRing) -> None:
    """A tenant's second key had a bucket of its own: two keys, twice the rate."""
    one, two = two_processes
    key, other = key_ring.issue("busy", ["search"]), key_ring.issue("calm", ["search"])
    second = key_ring.issue("busy-2", ["search"], tenant_id=key.tenant_id)
    answers = [api.post(SEARCH, headers=auth(k), json={"query": "amber"})
               for api, k in ((one, key), (two, second), (one, key), (two, second))]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[0].headers["RateLimit-Policy"] == '"submits";q=3;w=6'
    assert answers[0].headers["RateLimit"].startswith('"submits";r=2;')
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/rate-limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["RateLimit"].startswith('"submits";r=0;')
    # another tenant's bucket is its own
    assert one.post(SEARCH, headers=auth(other), json={"query": "iris"}).status_code == 202


def test_a_tenant_over_its_cap_of_open_jobs_gets_429_and_others_do_not(
        database_url: str, redis_url: str, key_ring: KeyRing) -> None:
    crowd, quiet = key_ring.issue("crowd", ["search", "generate"]), key_ring.issue(
        "quiet", ["search"])
    with _api(database_url, redis_url, max_open_jobs={"search": 2, "recipe": 3,
                                                      "training": 1}) as api:
        answers = [api.post(SEARCH, headers=auth(crowd), json={"query": str(i)})
                   for i in range(3)]
        assert [a.status_code for a in answers] == [202, 202, 429]
        body = answers[2].json()
        assert (body["type"], body["kind"], body["limit"]) == ("/problems/quota-exceeded",
                                                               "search", 2)
        assert answers[2].headers["Retry-After"]
        batch = api.post("/api/v1/generate/batch", headers=auth(crowd),
                         json={"requests": [{"fragrance_family": "floral"}] * 4})
        assert batch.status_code == 429  # all or nothing: no part of the batch is stored
        jobs = api.get("/api/v1/jobs", headers=auth(crowd)).json()["items"]
        assert {job["kind"] for job in jobs} == {"search"}
        assert api.post(SEARCH, headers=auth(quiet), json={"query": "x"}).status_code == 202


def test_submits_answer_503_with_retry_after_when_redis_is_down(
        database_url: str, key_ring: KeyRing) -> None:
    key = key_ring.issue("k", ["search"])
    nowhere = f"redis://127.0.0.1:{free_port()}/0"
    with _api(database_url, nowhere, rate_limit_per_s=10.0, rate_limit_burst=10) as api:
        answer = api.post(SEARCH, headers=auth(key), json={"query": "amber"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["Retry-After"] and \
        answer.headers["content-type"] == "application/problem+json"


def test_bodies_received_at_once_hold_a_bounded_share_of_memory(
        database_url: str, redis_url: str, key_ring: KeyRing) -> None:
    """120 clients each sending most of a 16 MB batch and stalling held 2 GB of the API,
    no key needed: beyond `max_buffered_body_bytes` an upload is a 503 with Retry-After,
    one received gives its share back, and other bodies are never held up by uploads."""
    key = key_ring.issue("uploader", ["search", "generate"])
    batch = "/api/v1/generate/batch"
    brief = {"fragrance_family": "floral", "mood": "calm " * 150}
    with _api(database_url, redis_url, max_buffered_body_bytes=1024) as api:
        big = api.post(batch, headers=auth(key), json={"requests": [brief] * 10})
        assert big.status_code == 503, big.text
        assert big.headers["Retry-After"] == "2"
        assert big.headers["content-type"] == "application/problem+json"
        for _ in range(3):  # each small one returns what it held
            assert api.post(batch, headers=auth(key),
                            json={"requests": [{"fragrance_family": "floral"}]}
                            ).status_code == 202
        # a submit's body is no upload: the budget never refuses it
        assert api.post(SEARCH, headers=auth(key),
                        json={"query": "amber " * 300}).status_code == 202


def test_redelivering_takes_the_tenant_s_tokens_as_a_submit_does(
        database_url: str, redis_url: str, key_ring: KeyRing) -> None:
    """300 redeliveries at once ran one message to its 57th attempt: no bucket held them."""
    redis.Redis.from_url(redis_url).flushdb()
    key = key_ring.issue("hooks", ["search"])
    with _api(database_url, redis_url, rate_limit_per_s=0.1, rate_limit_burst=2) as api:
        job_id = api.post(SEARCH, headers=auth(key), json={"query": "amber"}).json()["id"]
        redeliver = f"/api/v1/jobs/{job_id}/deliveries/msg_{'0' * 32}/redeliver"
        assert api.post(redeliver, headers=auth(key)).status_code == 404  # a token taken
        refused = api.post(redeliver, headers=auth(key))
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
