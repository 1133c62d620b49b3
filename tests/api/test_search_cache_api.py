"""A repeated search is answered at submit time from the result cache: a new job, already
succeeded, `cached: true`, with the events and webhooks of any job; never across model
versions or indexes, and a cache outage is a miss."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from config import load_settings
from core.keys import IssuedKey
from core.registry import ModelRegistry
from core.search_cache import SearchCache
from core.store import JobStore
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration
SEARCH = "/api/v1/search/semantic"
RESULT = {"query": "vanilla perfume", "search_type": "hybrid", "model_version": "m",
          "model_version_id": None, "hints": {}, "hits": [], "cached": False}


@pytest.fixture
def cache(redis_url: str) -> Iterator[SearchCache]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield SearchCache(client, ttl_s=60)
    client.flushdb()


@pytest.fixture
def cached_client(database_url: str, redis_url: str, enqueuer: RecordingEnqueuer,
                  cache: SearchCache) -> Iterator[TestClient]:
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             search_cache_ttl_s=60, webhook_allowed_hosts=["127.0.0.1"])
    with TestClient(create_app(settings, enqueuer=enqueuer)) as test_client:
        yield test_client


def test_a_repeated_search_is_answered_at_submit_time(
        cached_client: TestClient, cache: SearchCache, keys: dict[str, IssuedKey],
        enqueuer: RecordingEnqueuer, sessions) -> None:  # type: ignore[no-untyped-def]
    first = cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                               headers=auth(keys["alice"]))
    assert first.status_code == 202 and first.json()["status"] == "queued"  # a miss
    cache.publish_stamp(None, "stamp-1")  # what the worker does after running it:
    cache.remember(keys["bob"].tenant_id, None, "stamp-1", first.json()["input"], RESULT)

    # another tenant's same search misses: a cached answer would tell alice it was searched
    assert cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                              headers=auth(keys["alice"])).json()["status"] == "queued"
    cache.remember(keys["alice"].tenant_id, None, "stamp-1", first.json()["input"], RESULT)
    # the same search, typed differently, by the tenant that made it
    again = cached_client.post(SEARCH, json={"query": "  Vanilla   PERFUME "},
                               headers=auth(keys["bob"]))
    assert again.status_code == 202, again.text
    job = again.json()
    assert job["status"] == "succeeded" and job["result"]["cached"] is True
    assert job["result"]["hits"] == [] and job["result"]["query"] == "Vanilla   PERFUME"
    assert len(enqueuer.sent) == 2  # only the misses were published
    events = JobStore(sessions).events(keys["bob"].tenant_id, job["id"])
    assert [event.type for event in events] == ["queued", "started", "succeeded"]
    polled = cached_client.get(f"/api/v1/jobs/{job['id']}", headers=auth(keys["bob"]))
    assert polled.json()["result"]["cached"] is True
    # its webhooks are those of any job that ran
    hooked = cached_client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "vanilla perfume", "webhook": "http://127.0.0.1:9/hook",
        "webhook_events": ["started", "completed"]}).json()
    assert hooked["status"] == "succeeded"
    deliveries = cached_client.get(f"/api/v1/jobs/{hooked['id']}/deliveries",
                                   headers=auth(keys["alice"])).json()["items"]
    assert sorted(item["type"] for item in deliveries) == ["job.completed",
                                                                 "job.started"]
    # alice cannot read bob's cached job
    assert cached_client.get(f"/api/v1/jobs/{job['id']}",
                             headers=auth(keys["alice"])).status_code == 404


def test_other_inputs_indexes_and_versions_miss(
        cached_client: TestClient, cache: SearchCache, keys: dict[str, IssuedKey],
        sessions) -> None:  # type: ignore[no-untyped-def]
    seen = cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                              headers=auth(keys["bob"])).json()["input"]
    cache.publish_stamp(None, "stamp-1")
    for tenant in ("alice", "bob"):
        cache.remember(keys[tenant].tenant_id, None, "stamp-1", seen, RESULT)
    other_k = cached_client.post(SEARCH, json={"query": "vanilla perfume", "top_k": 3},
                                 headers=auth(keys["alice"]))
    assert other_k.json()["status"] == "queued"
    # a worker built a new index (a new catalogue): every older entry is stale
    cache.publish_stamp(None, "stamp-2")
    stale = cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                               headers=auth(keys["alice"]))
    assert stale.json()["status"] == "queued"
    # a tenant served by its own model version has its own keys
    cache.publish_stamp(None, "stamp-1")
    registry = ModelRegistry(sessions)
    version = registry.register(target="embedding", path=f"var/test-models/{uuid.uuid4()}",
                                dataset={}, metrics={}, tenant_id=keys["alice"].tenant_id,
                                activate=True)
    assert registry.serving_id("embedding", keys["alice"].tenant_id) == version.id
    time.sleep(1.2)  # the API reads who serves a tenant as often as workers do (testing: 1 s)
    own = cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                             headers=auth(keys["alice"]))
    assert own.json()["status"] == "queued"
    shared = cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                                headers=auth(keys["bob"]))
    assert shared.json()["status"] == "succeeded"


def test_an_idempotent_submit_is_answered_from_the_cache_and_replays_its_first_job(
        cache: SearchCache, keys: dict[str, IssuedKey], cached_client: TestClient) -> None:
    """The CLI and the Python clients send an Idempotency-Key with every submit: the cache
    answers them too, and a replay of the key is the first job, cached or not."""
    seen = cached_client.post(SEARCH, json={"query": "vanilla perfume"},
                              headers=auth(keys["bob"])).json()["input"]
    cache.publish_stamp(None, "stamp-1")
    cache.remember(keys["alice"].tenant_id, None, "stamp-1", seen, RESULT)
    keyed = {**auth(keys["alice"]), "Idempotency-Key": "k-1"}
    first = cached_client.post(SEARCH, json={"query": "vanilla perfume"}, headers=keyed)
    assert first.status_code == 202, first.text
    assert first.json()["status"] == "succeeded" and first.json()["result"]["cached"]
    replay = cached_client.post(SEARCH, json={"query": "vanilla perfume"}, headers=keyed)
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == first.json()["id"]
    other = cached_client.post(SEARCH, json={"query": "vanilla perfume", "top_k": 3},
                               headers=keyed)
    assert other.status_code == 409
    # a key first used on a search the cache did not have is replayed too
    queued = {**auth(keys["alice"]), "Idempotency-Key": "k-2"}
    missed = cached_client.post(SEARCH, json={"query": "amber"}, headers=queued).json()
    assert missed["status"] == "queued"
    cache.remember(keys["alice"].tenant_id, None, "stamp-1", missed["input"],
                   {**RESULT, "query": "amber"})
    again = cached_client.post(SEARCH, json={"query": "amber"}, headers=queued)
    assert again.status_code == 202 and again.json()["id"] == missed["id"]  # still queued
    assert again.json()["status"] == "queued"


def test_a_cache_outage_goes_the_usual_way(
        database_url: str, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer) -> None:
    settings = load_settings("testing", database_url=database_url,
                             broker_url="redis://127.0.0.1:1/0", search_cache_ttl_s=60,
                             rate_limit_per_s=0)
    with TestClient(create_app(settings, enqueuer=enqueuer)) as down:
        answer = down.post(SEARCH, json={"query": "vanilla perfume"},
                           headers=auth(keys["alice"]))
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
