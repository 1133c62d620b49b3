"""The REST contract on a real database: auth, scopes, tenants, validation, paging, cancel."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

import api.app
from api.app import create_app
from config import load_settings
from core.errors import StoreUnavailable
from core.keys import IssuedKey, KeyRing
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration
SEARCH = "/api/v1/search/semantic"


def test_submit_stores_then_enqueues_and_answers_202(client: TestClient,
                                                     keys: dict[str, IssuedKey],
                                                     enqueuer: RecordingEnqueuer) -> None:
    response = client.post(SEARCH, headers=auth(keys["alice"]),
                           json={"query": "상큼하고 로맨틱한 봄 향수", "top_k": 5,
                                 "search_type": "similarity"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["status"], job["attempts"]) == ("search", "queued", 0)
    assert job["input"] == {"query": "상큼하고 로맨틱한 봄 향수", "top_k": 5,
                            "search_type": "similarity"}
    assert enqueuer.sent == [("search", job["id"])]
    for name in ("id", "kind", "status", "progress", "input", "result", "error", "attempts",
                 "created_at", "started_at", "finished_at", "batch_id"):
        assert name in job


def test_the_search_type_is_read_in_any_case(client: TestClient,
                                             keys: dict[str, IssuedKey]) -> None:
    """"HYBRID" was a 422, where filters already took "UNISEX" and "Summer"."""
    response = client.post(SEARCH, headers=auth(keys["alice"]),
                           json={"query": "rose", "search_type": " Keyword "})
    assert response.status_code == 202, response.text
    assert response.json()["input"]["search_type"] == "keyword"
    wrong = client.post(SEARCH, headers=auth(keys["alice"]),
                        json={"query": "rose", "search_type": "fuzzy"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "search_type"


def test_a_tenants_submit_goes_in_the_next_group_whatever_another_tenant_piles_up(
        database_url: str, redis_url: str, keys: dict[str, IssuedKey],
        enqueuer: RecordingEnqueuer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The group commit is filled round-robin by tenant: bob's burst waiting behind a slow
    write does not push alice's one submit beyond the next group."""
    monkeypatch.setattr(api.app, "SUBMIT_GROUP_MAX", 4)
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url)
    with TestClient(create_app(settings, enqueuer=enqueuer)) as client:
        store = client.app.state.store  # type: ignore[attr-defined]
        groups: list[list[str]] = []
        first_write_held = threading.Event()
        release = threading.Event()
        write = store.create_many

        def held_create_many(jobs):  # type: ignore[no-untyped-def]
            groups.append([job.tenant_id for job in jobs])
            if len(groups) == 1:
                first_write_held.set()
                release.wait(10)
            return write(jobs)

        store.create_many = held_create_many
        with ThreadPoolExecutor(16) as pool:
            def submit(key: str, i: int) -> int:
                return client.post(SEARCH, headers=auth(keys[key]),
                                   json={"query": f"rose {i}"}).status_code

            first = pool.submit(submit, "bob", 0)
            assert first_write_held.wait(10)
            burst = [pool.submit(submit, "bob", i) for i in range(1, 13)]
            inbox = client.app.state.submitter._inbox  # type: ignore[attr-defined]
            deadline = time.monotonic() + 10
            while inbox.qsize() < 12 and time.monotonic() < deadline:
                time.sleep(0.01)
            alice = pool.submit(submit, "alice", 99)
            while inbox.qsize() < 13 and time.monotonic() < deadline + 10:
                time.sleep(0.01)  # alice's submit is waiting too (a busy host is slow)
            release.set()
            assert [f.result() for f in [first, *burst, alice]] == [202] * 14
        alice_id = keys["alice"].tenant_id
        assert alice_id in groups[1], groups


def test_concurrent_submits_are_written_in_groups_and_each_published_once(
        client: TestClient, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer) -> None:
    """The group commit: submits arriving while a write is in flight share the next one."""
    store = client.app.state.store  # type: ignore[attr-defined]
    groups: list[int] = []
    write = store.create_many

    def slow_create_many(jobs):  # type: ignore[no-untyped-def]
        groups.append(len(jobs))
        time.sleep(0.05)  # a slow database: the next submits pile up meanwhile
        return write(jobs)

    store.create_many = slow_create_many
    with ThreadPoolExecutor(16) as pool:
        responses = list(pool.map(lambda i: client.post(
            SEARCH, headers=auth(keys["alice" if i % 2 else "bob"]),
            json={"query": f"rose {i}"}), range(40)))
    assert [r.status_code for r in responses] == [202] * 40
    jobs = [r.json() for r in responses]
    assert [j["input"]["query"] for j in jobs] == [f"rose {i}" for i in range(40)]
    # published once each: those their tenant's window admitted at once (the rest wait in
    # the store for the dispatcher)
    dispatched = [j["id"] for j in jobs if store.get_any(j["id"]).dispatched]
    published = [job_id for _, job_id in enqueuer.sent]
    assert sorted(published) == sorted(dispatched) and len(set(published)) == len(published)
    window = store.policy.window("search")
    assert len(dispatched) >= min(40, 2 * window)
    assert sum(groups) == 40 and max(groups) > 1
    for i, job in enumerate(jobs):  # each in its own tenant
        owner, other = (keys["alice"], keys["bob"]) if i % 2 else (keys["bob"], keys["alice"])
        assert client.get(f"/api/v1/jobs/{job['id']}", headers=auth(owner)).status_code == 200
        assert client.get(f"/api/v1/jobs/{job['id']}", headers=auth(other)).status_code == 404


def test_a_database_outage_fails_each_submit_of_the_group_with_503(
        client: TestClient, keys: dict[str, IssuedKey], enqueuer: RecordingEnqueuer) -> None:
    store = client.app.state.store  # type: ignore[attr-defined]

    def down(jobs):  # type: ignore[no-untyped-def]
        raise StoreUnavailable("the database is not reachable")

    store.create_many = down
    response = client.post(SEARCH, headers=auth(keys["alice"]), json={"query": "rose"})
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert enqueuer.sent == []


def test_a_broker_outage_keeps_the_job_queued(client: TestClient, keys: dict[str, IssuedKey],
                                              enqueuer: RecordingEnqueuer) -> None:
    enqueuer.fail = True
    response = client.post(SEARCH, headers=auth(keys["alice"]), json={"query": "rose"})
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}",
                      headers=auth(keys["alice"])).json()["status"] == "queued"


def test_every_job_endpoint_needs_a_valid_key(client: TestClient) -> None:
    for method, path in [("POST", SEARCH), ("GET", "/api/v1/jobs"),
                         ("GET", "/api/v1/jobs/x"), ("POST", "/api/v1/jobs/x/cancel")]:
        response = client.request(method, path, json={"query": "rose"})
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        bad = client.request(method, path, json={"query": "rose"},
                             headers={"Authorization": "Bearer fk_nope"})
        assert bad.status_code == 401


def test_scopes_are_enforced(client: TestClient, keys: dict[str, IssuedKey]) -> None:
    response = client.post(SEARCH, headers=auth(keys["reader"]), json={"query": "rose"})
    assert response.status_code == 403
    assert "search" in response.json()["detail"]


def test_tenants_never_see_each_others_jobs(client: TestClient,
                                            keys: dict[str, IssuedKey]) -> None:
    job_id = client.post(SEARCH, headers=auth(keys["alice"]), json={"query": "oud"}).json()["id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth(keys["bob"])).status_code == 404
    assert client.post(f"/api/v1/jobs/{job_id}/cancel",
                       headers=auth(keys["bob"])).status_code == 404
    listed = client.get("/api/v1/jobs", headers=auth(keys["bob"])).json()["items"]
    assert job_id not in [job["id"] for job in listed]
    # an id is an id in either case: its owner finds it, nobody else does
    upper = job_id.upper()
    assert client.get(f"/api/v1/jobs/{upper}", headers=auth(keys["alice"])).json()["id"] \
        == job_id
    assert client.get(f"/api/v1/jobs/{upper}", headers=auth(keys["bob"])).status_code == 404
    redeliver = f"/api/v1/jobs/{job_id}/deliveries/msg_x/redeliver"
    for key in (keys["alice"], keys["bob"]):  # no such message; not bob's job
        missing = client.post(redeliver, headers=auth(key))
        assert missing.status_code == 404
        assert missing.json()["detail"] == "no webhook message msg_x of this job"


def test_validation_errors_are_problems_with_fields(client: TestClient,
                                                    keys: dict[str, IssuedKey]) -> None:
    response = client.post(SEARCH, headers=auth(keys["alice"]),
                           json={"query": "", "top_k": 0, "filters": {"season": ["monsoon"]},
                                 "extra": 1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"query", "top_k", "filters.season.0", "extra"} <= fields
    for invisible in (" \t ", "\u200b\u200b", "\u2060\ufeff\u200d"):  # nothing to read
        blank = client.post(SEARCH, headers=auth(keys["alice"]), json={"query": invisible})
        assert blank.status_code == 422 and "blank" in blank.text, (invisible, blank.text)
    # a filter takes one value or a list, and the words briefs take
    loose = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "oud", "filters": {"family": "woody", "season": "fall", "gender": "women",
                                    "notes_exclude": "vanilla"}})
    assert loose.status_code == 202, loose.text
    assert loose.json()["input"]["filters"] == {  # "woody": the wheel's woody group (it
        # was the Woods family alone, and "fresh" Citrus alone)
        "family": ["woods", "mossy_woods", "dry_woods"], "season": ["autumn"],
        "gender": ["feminine"], "notes_exclude": ["vanilla"]}
    fresh = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "summer", "filters": {"family": "fresh"}})
    assert fresh.json()["input"]["filters"]["family"] == ["aromatic", "citrus", "water",
                                                          "green", "fruity"]
    twice = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "summer", "filters": {"family": ["fresh", "woody", "fresh", "woody"]}})
    assert twice.status_code == 202, twice.text  # a group repeated is no flood
    assert len(twice.json()["input"]["filters"]["family"]) == 8
    wheel = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "oud", "filters": {"family": ["chypre", "water", "플로럴"]}})
    assert wheel.json()["input"]["filters"]["family"] == ["mossy_woods", "water", "floral"]
    unknown = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "oud", "filters": {"family": "plastic", "season": ["all"]}})
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["filters.family.0",
                                                             "filters.season.0"]
    # no filter list longer than what it can name
    floods = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "oud", "filters": {"family": ["floral"] * 100, "season": ["summer"] * 5,
                                    "gender": ["unisex"] * 4}})
    assert floods.status_code == 422
    assert [e["field"] for e in floods.json()["errors"]] == ["filters.family",
                                                            "filters.season", "filters.gender"]
    no_events = client.post(SEARCH, headers=auth(keys["alice"]), json={
        "query": "oud", "webhook": "https://example.com/hook", "webhook_events": []})
    assert no_events.status_code == 422
    assert [e["field"] for e in no_events.json()["errors"]] == ["webhook_events"]


def test_oversized_bodies_get_413(client: TestClient, keys: dict[str, IssuedKey]) -> None:
    response = client.post(SEARCH, headers=auth(keys["alice"]),
                           json={"query": "x" * 400, "notes": ["y" * 5000]})
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_paging_filters_and_cancel(client: TestClient, keys: dict[str, IssuedKey]) -> None:
    headers = auth(keys["alice"])
    ids = [client.post(SEARCH, headers=headers, json={"query": f"q{i}"}).json()["id"]
           for i in range(5)]
    first = client.get("/api/v1/jobs?limit=2&kind=search", headers=headers).json()
    second = client.get(f"/api/v1/jobs?limit=2&cursor={first['next_cursor']}",
                        headers=headers).json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2
    assert [j["id"] for j in first["items"]] == ids[::-1][:2]
    canceled = client.post(f"/api/v1/jobs/{ids[0]}/cancel", headers=headers).json()
    assert canceled["status"] == "canceled"
    # the same error as a job canceled while it runs
    assert canceled["error"] == {"type": "canceled", "message": "canceled by request"}
    again = client.post(f"/api/v1/jobs/{ids[0]}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["job_status"] == "canceled"
    only = client.get("/api/v1/jobs?status=canceled", headers=headers).json()["items"]
    assert [j["id"] for j in only] == [ids[0]]
    assert client.get("/api/v1/jobs?status=bogus", headers=headers).status_code == 422
    assert client.get("/api/v1/jobs?cursor=zzz", headers=headers).status_code == 422
    # the query as the README writes it, every value left empty: the defaults
    assert client.get("/api/v1/jobs?status=&kind=&limit=&cursor=",
                      headers=headers).json()["items"][0]["id"] == ids[-1]
    # a value that ends in "=" is a value, not an empty one (it was dropped: page one)
    for tampered in ("status=failed=", "cursor=e30=", "limit=1="):
        answer = client.get(f"/api/v1/jobs?{tampered}", headers=headers)
        assert answer.status_code == 422, (tampered, answer.text)
    # one value a parameter: the second one silently won
    twice = client.get("/api/v1/jobs?status=canceled&kind=search&status=queued&limit=1",
                       headers=headers)
    assert twice.status_code == 422
    assert twice.headers["content-type"] == "application/problem+json"
    assert twice.json()["errors"] == [{"field": "query.status", "type": "repeated",
                                       "message": "given more than once: give it once"}]


def test_idempotent_submits(client: TestClient, keys: dict[str, IssuedKey],
                            enqueuer: RecordingEnqueuer) -> None:
    headers = {**auth(keys["alice"]), "Idempotency-Key": "order-42"}
    first = client.post(SEARCH, headers=headers, json={"query": "vetiver"})
    again = client.post(SEARCH, headers=headers, json={"query": "vetiver"})
    # a replay answers as the first submit did: 202 while the job is not final (it was a
    # 200, which a client reads as the finished job), with or without a wait that runs out
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    waited = client.post(SEARCH, headers={**headers, "Prefer": "wait=0.2"},
                         json={"query": "vetiver"})
    assert waited.status_code == 202 and "preference-applied" not in waited.headers
    assert len(enqueuer.sent) == 1
    client.post(f"/api/v1/jobs/{first.json()['id']}/cancel", headers=auth(keys["alice"]))
    final = client.post(SEARCH, headers=headers, json={"query": "vetiver"})
    assert final.status_code == 200 and final.json()["status"] == "canceled"
    assert final.headers["idempotent-replayed"] == "true"
    conflict = client.post(SEARCH, headers=headers, json={"query": "iris"})
    assert conflict.status_code == 409


def test_an_idempotency_key_is_one_requests_whatever_its_endpoint(
        client: TestClient, keys: dict[str, IssuedKey]) -> None:
    """A key used for a batch is a conflict for a job and the other way round (each made
    a second, new submit); another tenant's same key is its own."""
    batch_key = {**auth(keys["alice"]), "Idempotency-Key": "shared-1"}
    brief = {"fragrance_family": "floral"}
    assert client.post("/api/v1/generate/batch", headers=batch_key,
                       json={"requests": [brief]}).status_code == 202
    reused = client.post("/api/v1/generate/recipe", headers=batch_key, json=brief)
    assert reused.status_code == 409 and "a batch" in reused.json()["detail"], reused.text
    job_key = {**auth(keys["alice"]), "Idempotency-Key": "shared-2"}
    assert client.post(SEARCH, headers=job_key, json={"query": "iris"}).status_code == 202
    reused = client.post("/api/v1/generate/batch", headers=job_key, json={"requests": [brief]})
    assert reused.status_code == 409 and "a job" in reused.json()["detail"], reused.text
    theirs = {**auth(keys["bob"]), "Idempotency-Key": "shared-2"}
    assert client.post(SEARCH, headers=theirs, json={"query": "iris"}).status_code == 202


def test_an_idempotency_key_replay_must_ask_for_the_same_webhook(
        database_url: str, redis_url: str, keys: dict[str, IssuedKey],
        enqueuer: RecordingEnqueuer) -> None:
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             webhook_allowed_hosts=["127.0.0.1"])
    hook = {"webhook": "http://127.0.0.1:9/hook", "webhook_events": ["started", "completed"]}
    with TestClient(create_app(settings, enqueuer=enqueuer)) as client:
        headers = {**auth(keys["alice"]), "Idempotency-Key": "hooked-1"}
        first = client.post(SEARCH, headers=headers, json={"query": "vetiver", **hook})
        assert first.status_code == 202, first.text
        reordered = {**hook, "webhook_events": ["completed", "started"]}
        assert client.post(SEARCH, headers=headers, json={"query": "vetiver", **reordered}
                           ).status_code == 202  # the same job, queued
        for other in ({"query": "vetiver"}, {"query": "vetiver", **hook,
                                             "webhook": "http://127.0.0.1:9/other"},
                      {"query": "vetiver", **hook, "webhook_events": ["completed"]}):
            assert client.post(SEARCH, headers=headers, json=other).status_code == 409, other


def test_ops_endpoints(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503  # no workers in this test
    assert ready.json()["database"] == "ok" and ready.json()["broker"] == "ok"
    metrics = client.get("/metrics").text
    assert "fragrance_jobs_submitted_total" in metrics and "fragrance_queue_depth" in metrics
    assert client.get("/docs").status_code == 200


def test_a_route_that_takes_no_body_refuses_one_that_says_something(
        client: TestClient, keys: dict[str, IssuedKey], key_ring: KeyRing) -> None:
    """`{"scope": "deployment"}` posted to a promote was read as no body: a tenant-scope
    promotion, 200. A body with fields on a route that takes none is a 422 naming them
    (and saying when one is a query parameter); `{}` and no body pass as before."""
    headers = auth(keys["alice"])
    job_id = client.post("/api/v1/search/semantic", headers=headers,
                         json={"query": "oud"}).json()["id"]
    refused = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers,
                          json={"reason": "changed my mind"})
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in refused.json()["errors"]] == ["reason"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"] == "queued"
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers,
                       json={}).status_code == 200
    admin = auth(key_ring.issue("alice", ["admin"]))
    promote = client.post(f"/api/v1/models/{uuid.uuid4()}/promote", headers=admin,
                          json={"scope": "deployment"})
    assert promote.status_code == 422
    [error] = promote.json()["errors"]
    assert error["field"] == "scope" and "query parameter" in error["message"]


@pytest.mark.parametrize(("body", "content_type", "status"), [
    (b"{junk", "application/json", 422), (b"rotate please", "text/plain", 415)])
def test_a_route_that_takes_no_body_refuses_one_that_is_no_json(
        client: TestClient, keys: dict[str, str], body: bytes, content_type: str,
        status: int) -> None:
    """`{junk` (and a text/plain body) posted to a cancel or a secret's rotation was read as
    no body: the job was canceled, the secret rotated."""
    headers = auth(keys["alice"])
    job_id = client.post("/api/v1/search/semantic", headers=headers,
                         json={"query": "oud"}).json()["id"]
    refused = client.post(f"/api/v1/jobs/{job_id}/cancel", content=body,
                          headers={**headers, "Content-Type": content_type})
    assert refused.status_code == status, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()["status"] == "queued"
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", content=b" \n",
                       headers={**headers, "Content-Type": "application/json"}
                       ).status_code == 200


@pytest.mark.parametrize(("method", "path"), [("DELETE", "/api/v1/keys/%2F"),
                                              ("POST", "/api/v1/search/semantic/"),
                                              ("GET", "/api/v1/jobs/")])
def test_a_trailing_slash_is_no_redirect_to_the_host_a_client_names(
        client: TestClient, method: str, path: str) -> None:
    """`DELETE /api/v1/keys/%2F` with `Host: evil.example` was a 307 to
    http://evil.example/api/v1/keys, before any key was checked."""
    answer = client.request(method, path, headers={"Host": "evil.example"})
    assert answer.status_code == 404, answer.text
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("application/problem+json")


def _sample(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def _finished(kind: str, status: str) -> float:
    return _sample("fragrance_jobs_finished_total", kind=kind, status=status)


def test_the_series_alerts_read_increases_of_are_exported_from_the_start(
        client: TestClient) -> None:
    """A series first exported at 2 has no increase for Prometheus: the first dead letters
    and a process's first failures of a kind never alerted."""
    metrics = client.get("/metrics").text
    for series in ('fragrance_webhook_attempts_total{outcome="dead"}',
                   'fragrance_jobs_finished_total{kind="training",status="failed"}',
                   'fragrance_batch_items_refused_total{kind="recipe"}',
                   'fragrance_search_cache_lookups_total{outcome="hit"}'):
        assert series in metrics, series


def test_jobs_that_end_in_the_api_are_counted_finished(client: TestClient,
                                                      keys: dict[str, str]) -> None:
    """A queued job canceled, a batch canceled and a batch item refused at submit ended in
    the API, which counted none of them: `fragrance_jobs_finished_total` said 1 recipe
    failed where the store held 1,016 (and the failure-rate alert read that)."""
    headers = auth(keys["alice"])
    canceled, failed = _finished("search", "canceled"), _finished("recipe", "failed")
    refused = _sample("fragrance_batch_items_refused_total", kind="recipe")
    job_id = client.post("/api/v1/search/semantic", headers=headers,
                         json={"query": "oud"}).json()["id"]
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=headers).status_code == 200
    assert _finished("search", "canceled") == canceled + 1
    batch = client.post("/api/v1/generate/batch", headers=headers, json={"requests": [
        {"fragrance_family": "floral"}, {"fragrance_family": "bogus"}, 1]}).json()
    assert _finished("recipe", "failed") == failed + 2
    assert _sample("fragrance_batch_items_refused_total", kind="recipe") == refused + 2
    recipe_canceled = _finished("recipe", "canceled")
    assert client.post(f"/api/v1/batches/{batch['id']}/cancel",
                       headers=headers).status_code == 200
    assert _finished("recipe", "canceled") == recipe_canceled + 1
    metrics = client.get("/metrics").text
    assert 'fragrance_jobs_finished_total{kind="search",status="canceled"}' in metrics


def test_a_note_both_wanted_and_excluded_in_search_filters_is_refused(
        client: TestClient, keys: dict[str, str]) -> None:
    """It matched nothing, silently; a recipe's brief refuses the same clash."""
    answer = client.post("/api/v1/search/semantic", headers=auth(keys["alice"]), json={
        "query": "rose", "filters": {"notes_include": ["Rose"], "notes_exclude": ["rose"]}})
    assert answer.status_code == 422, answer.text
    assert "rose also in notes_include" in answer.text


def test_a_parameter_the_route_does_not_read_is_refused(client: TestClient,
                                                        keys: dict[str, str]) -> None:
    """`GET /jobs?batch_id=x` listed every job: a filter the route does not have was
    ignored, so the caller believed the list filtered."""
    headers = auth(keys["alice"])
    answer = client.get("/api/v1/jobs", params={"batch_id": "x"}, headers=headers)
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "query.batch_id" and "limit" in error["message"]
    assert client.get("/api/v1/jobs", params={"limit": 5}, headers=headers).status_code == 200


def test_a_submit_refuses_query_parameters(client: TestClient, keys: dict[str, str]) -> None:
    """`POST /search/semantic?top_k=1000` was a 202 searching the default 10: the caller
    believed it had asked for 1,000."""
    answer = client.post("/api/v1/search/semantic", params={"top_k": 1000},
                         headers=auth(keys["alice"]), json={"query": "rose"})
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["field"] == "query.top_k"
    assert "it reads none: its input is the JSON body" in error["message"]
    job = client.post("/api/v1/search/semantic", headers=auth(keys["alice"]),
                      json={"query": "rose"}).json()
    for path in (f"/api/v1/jobs/{job['id']}", "/api/v1/jobs"):  # a GET's cache buster
        assert client.get(path, params={"_": "123"},
                          headers=auth(keys["alice"])).status_code == 200, path
