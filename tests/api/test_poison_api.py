"""Hostile input in every field of every endpoint: a clear 4xx problem naming the field,
never a 5xx, nothing poisonous stored, and afterwards the tenant's reads, another tenant's
reads and the stored jobs all still answer."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from config import load_settings
from core.keys import IssuedKey, KeyRing
from tests.api.conftest import RecordingEnqueuer, auth
from tests.api.poison import POISON, field_name, leaf_paths, with_poison

pytestmark = pytest.mark.integration

PUBLIC_HOOK = "https://93.184.216.34/hooks/fragrance"  # an address literal: no DNS needed
RECIPE = {"fragrance_family": "floral", "mood": "romantic", "intensity": "moderate",
          "gender": "feminine", "season": "spring", "notes_include": ["rose"],
          "notes_exclude": ["oud"], "concentration": "edp", "language": "en", "seed": 1}
PAIRS = [json.dumps({"query": f"perfume {i}", "positive": f"a text about perfume {i}"})
         for i in range(4)]
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/search/semantic": {
        "query": "amber and vanilla", "top_k": 5, "search_type": "hybrid",
        "filters": {"family": ["amber"], "notes_include": ["vanilla"],
                    "notes_exclude": ["oud"]},
        "webhook": PUBLIC_HOOK, "webhook_events": ["completed"]},
    "/api/v1/generate/recipe": {**RECIPE, "webhook": PUBLIC_HOOK},
    "/api/v1/generate/batch": {"requests": [RECIPE, {"fragrance_family": "woods"}],
                               "webhook": PUBLIC_HOOK},
    "/api/v1/training": {"target": "embedding", "dataset_lines": PAIRS, "epochs": 1,
                         "batch_size": 4, "learning_rate": 0.0001, "max_steps": 2,
                         "checkpoint_every": 1, "auto_promote": False, "seed": 0},
    "/api/v1/validate/recipe": {"formula": {"concentration": "edp", "dose_pct": 15,
                                            "ingredients": [{"material_id": "hedione",
                                                             "pct": 100,
                                                             "position": "heart"}]},
                                "repair": True},
}


@pytest.fixture
def api(database_url: str, redis_url: str) -> Iterator[TestClient]:
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url)
    with TestClient(create_app(settings, enqueuer=RecordingEnqueuer())) as test_client:
        yield test_client


@pytest.fixture
def tenant(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("hostile", ["search", "generate", "training"])


@pytest.fixture
def neighbour(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("neighbour", ["search", "generate"])


def _post_raw(api: TestClient, key: IssuedKey, path: str, raw: bytes) -> Response:
    return api.post(path, content=raw, headers={**auth(key),
                                                "Content-Type": "application/json"})


def _assert_refused(response: Response, field: str) -> None:
    assert response.status_code in (413, 422), (field, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"
    if response.status_code == 422:
        named = [error["field"] for error in response.json().get("errors", [])]
        assert any(name.startswith(field) or name in ("", "dataset_lines") or
                   field.startswith(name) for name in named), (field, named)


def _assert_no_server_error(response: Response, field: str) -> None:
    assert response.status_code < 500, (field, response.status_code, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", sorted(BODIES))
def test_poison_in_any_field_is_refused_and_nothing_breaks(
        api: TestClient, tenant: IssuedKey, neighbour: IssuedKey, path: str) -> None:
    body = BODIES[path]
    baseline = _post_raw(api, tenant, path, json.dumps(body).encode())
    assert baseline.status_code in (200, 202), baseline.text
    for where in leaf_paths(body):
        for name, (raw, refused) in POISON.items():
            response = _post_raw(api, tenant, path, with_poison(body, where, raw))
            label = f"{name} at {field_name(where) or 'the body'}"
            if refused:
                _assert_refused(response, field_name(where))
            else:
                _assert_no_server_error(response, label)
    _assert_reads_still_work(api, tenant, neighbour,
                             jobs_made=path != "/api/v1/validate/recipe")


def _assert_reads_still_work(api: TestClient, tenant: IssuedKey, neighbour: IssuedKey,
                             jobs_made: bool) -> None:
    cursor, seen = None, 0
    while True:
        page = api.get("/api/v1/jobs", params={"limit": 100, **({"cursor": cursor}
                                                                 if cursor else {})},
                       headers=auth(tenant))
        assert page.status_code == 200, page.text
        for job in page.json()["items"]:
            seen += 1
            one = api.get(f"/api/v1/jobs/{job['id']}", headers=auth(tenant))
            assert one.status_code == 200, one.text
            if job["batch_id"]:
                items = api.get(f"/api/v1/batches/{job['batch_id']}/items",
                                headers=auth(tenant))
                assert items.status_code == 200, items.text
        cursor = page.json()["next_cursor"]
        if not cursor:
            break
    assert (seen > 0) is jobs_made
    assert api.get("/api/v1/jobs", headers=auth(neighbour)).status_code == 200


@pytest.mark.parametrize(("method", "path", "headers"), [
    ("GET", "/api/v1/jobs?cursor=%C2%B2", {}),
    ("GET", "/api/v1/jobs?cursor=MjAyNC0wMS0wMVQwMDowMDowMHwA", {}),  # a NUL in the id
    ("GET", "/api/v1/jobs?cursor=MjAyNC0wMS0wMVQwMDowMDowMHx4", {}),  # naive time
    ("GET", "/api/v1/jobs?limit=9223372036854775808", {}),
    ("GET", "/api/v1/jobs?status=%00", {}),
    ("GET", "/api/v1/jobs/%00", {}),
    ("GET", "/api/v1/jobs/%ED%B2%80", {}),
    ("GET", "/api/v1/jobs/" + "9" * 5000, {}),
    ("POST", "/api/v1/jobs/%00/cancel", {}),
    ("GET", "/api/v1/jobs/%00/deliveries", {}),
    ("GET", "/api/v1/batches/%C2%B2", {}),
    ("GET", "/api/v1/batches/00000000-0000-0000-0000-000000000000/items?cursor="
     "9223372036854775808", {}),
    ("GET", "/api/v1/batches/00000000-0000-0000-0000-000000000000/items?cursor=%C2%B2", {}),
    ("GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/events",
     {"Last-Event-ID": "\u00b2".encode()}),
    ("GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/events",
     {"Last-Event-ID": "9" * 5000}),
    ("GET", "/api/v1/jobs/00000000-0000-0000-0000-000000000000/events",
     {"Last-Event-ID": str(2**63)}),
    ("POST", "/api/v1/models/%00/promote", {}),
    ("POST", "/api/v1/search/semantic", {"Idempotency-Key": "\u00b2".encode()}),
    ("POST", "/api/v1/search/semantic", {"Idempotency-Key": "k" * 201}),
])
def test_poison_in_paths_queries_and_headers_is_a_4xx(
        api: TestClient, tenant: IssuedKey, method: str, path: str,
        headers: dict[str, Any]) -> None:
    response = api.request(method, path, headers={**auth(tenant), **headers},
                           json={"query": "amber"} if method == "POST" else None)
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"


def test_a_row_stored_before_poison_was_refused_still_reads_back(
        sqlite_url: str, redis_url: str) -> None:
    from sqlalchemy import create_engine, text

    from core.database import make_engine, make_session_factory

    settings = load_settings("testing", database_url=sqlite_url, broker_url=redis_url)
    key = KeyRing(make_session_factory(make_engine(sqlite_url))).issue("legacy", ["search"])
    job_id = str(uuid.uuid4())
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # raw SQL: no serializer cleans it on the way in
        connection.execute(text(
            "INSERT INTO jobs (id, tenant_id, kind, status, progress, input, attempts, "
            "cancel_requested, created_at, updated_at) VALUES (:id, :tenant, 'search', "
            "'queued', 0, :input, 0, 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"),
            {"id": job_id, "tenant": key.tenant_id,
             "input": '{"query": "rose \\udc80", "top_k": NaN}'})
    engine.dispose()
    with TestClient(create_app(settings, enqueuer=RecordingEnqueuer())) as api:
        one = api.get(f"/api/v1/jobs/{job_id}", headers=auth(key))
        listed = api.get("/api/v1/jobs", headers=auth(key))
    assert one.status_code == 200 and listed.status_code == 200
    assert one.json()["input"] == {"query": "rose \ufffd", "top_k": None}


@pytest.mark.parametrize(("path", "raw", "field"), [
    # a million items, far over any batch: refused before one of them is validated
    ("/api/v1/generate/batch", b'{"requests":[' + b",".join([b"0"] * 1_000_000) + b"]}",
     "requests"),
    # 20,000 bad items: over the batch ceiling, refused as one error
    ("/api/v1/generate/batch", b'{"requests":[' + b",".join([b"0"] * 20_000) + b"]}",
     "requests"),
    # 150,000 unknown fields
    ("/api/v1/search/semantic",
     b'{"query":"rose",' + b",".join(b'"k%d":1' % i for i in range(150_000)) + b"}", ""),
])
def test_a_body_of_countless_members_is_refused_in_a_few_errors(
        api: TestClient, tenant: IssuedKey, path: str, raw: bytes, field: str) -> None:
    """One request must not hold the event loop for seconds and answer 100 MB of errors."""
    response = _post_raw(api, tenant, path, raw)
    _assert_refused(response, field)
    assert len(response.content) < 20_000
    assert len(response.json()["errors"]) <= 100


def test_many_bad_fields_are_named_up_to_a_bound(api: TestClient, tenant: IssuedKey) -> None:
    """Under the ceilings, every bad item is an error; the answer names the first 100 and
    says how many there were."""
    raw = b'{"target":"embedding","dataset_lines":[' + b",".join([b"0"] * 5_000) + b"]}"
    response = _post_raw(api, tenant, "/api/v1/training", raw)
    assert response.status_code == 422
    problem = response.json()
    assert len(problem["errors"]) == 100 and problem["errors_total"] == 5_000
    assert problem["errors"][0]["field"] == "dataset_lines.0"


@pytest.mark.parametrize(("path", "raw", "field"), [
    ("/api/v1/search/semantic", b'{"query": "rose", "top_k": true}', "top_k"),
    ("/api/v1/search/semantic", b'{"query": "rose", "top_k": "5"}', "top_k"),
    ("/api/v1/search/semantic", b'{"query": "rose", "top_k": 5.0}', "top_k"),
    ("/api/v1/search/semantic", b'{"query": 5}', "query"),
    ("/api/v1/search/similar", b'{"perfume_id": "x", "include_editions": "yes"}',
     "include_editions"),
    ("/api/v1/generate/recipe", b'{"fragrance_family": "floral", "seed": "7"}', "seed"),
    ("/api/v1/generate/recipe", b'{"fragrance_family": "floral", "notes_include": "rose"}',
     "notes_include"),
    ("/api/v1/search/semantic", b'{"query": "rose", "query": "lily"}', "query"),
    ("/api/v1/search/semantic", b'{"query": "rose", "filters": {"family": ["floral"], '
                                b'"family": ["woods"]}}', "filters.family"),
])
def test_a_value_of_another_type_or_a_repeated_key_is_refused(
        api: TestClient, tenant: IssuedKey, path: str, raw: bytes, field: str) -> None:
    """Bodies are parsed strictly: no coercion of strings or booleans into numbers, and no
    silent choice between two values of one key."""
    response = _post_raw(api, tenant, path, raw)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]], response.text


def test_integers_stand_for_numbers(api: TestClient, key_ring: KeyRing) -> None:
    trainer = key_ring.issue("trainer", ["training"])
    response = api.post("/api/v1/training", json={"target": "embedding", "learning_rate": 1},
                        headers=auth(trainer))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/jsonx", "multipart/form-data"])
def test_a_body_that_is_not_sent_as_json_is_a_415(api: TestClient, tenant: IssuedKey,
                                                  content_type: str) -> None:
    response = api.post("/api/v1/search/semantic", content=b'{"query": "rose"}',
                        headers={**auth(tenant), "Content-Type": content_type})
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert content_type in response.json()["detail"]
    fine = api.post("/api/v1/search/semantic", content=b'{"query": "rose"}',
                    headers={**auth(tenant), "Content-Type": "application/json; charset=utf-8"})
    assert fine.status_code == 202, fine.text
    without_key = api.post("/api/v1/search/semantic", content=b"query=rose",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert without_key.status_code == 401


def test_a_body_with_a_content_coding_or_without_a_media_type_is_a_415(
        api: TestClient, tenant: IssuedKey) -> None:
    coded = api.post("/api/v1/search/semantic", content=b'{"query": "rose"}',
                     headers={**auth(tenant), "Content-Type": "application/json",
                              "Content-Encoding": "gzip"})
    assert coded.status_code == 415, coded.text
    assert coded.headers["content-type"] == "application/problem+json"
    assert "Content-Encoding gzip" in coded.json()["detail"]
    latin = api.post("/api/v1/search/semantic", content='{"query": "café"}'.encode("latin-1"),
                     headers={**auth(tenant), "Content-Type": "application/json; charset=latin-1"})
    assert latin.status_code == 415, latin.text
    assert latin.json()["detail"] == "JSON bodies are UTF-8, not charset=latin-1"
    quoted = api.post("/api/v1/search/semantic", content=b'{"query": "rose"}',
                      headers={**auth(tenant), "Content-Type": 'application/json; charset="UTF-8"'})
    assert quoted.status_code == 202, quoted.text
    for untyped in ({"Content-Type": ""}, {}):
        answer = api.post("/api/v1/search/semantic", content=b'{"query": "rose"}',
                          headers={**auth(tenant), **untyped})
        assert answer.status_code == 415, answer.text
        assert answer.json()["detail"] == \
            "the body must be application/json, not an empty media type"


def test_a_header_that_counts_once_sent_twice_is_a_400(api: TestClient, tenant: IssuedKey,
                                                       neighbour: IssuedKey) -> None:
    """Two keys, two Idempotency-Keys: which one counts would be a guess."""
    for headers in ([("Authorization", f"Bearer {tenant.api_key}"),
                     ("Authorization", f"Bearer {neighbour.api_key}")],
                    [*auth(tenant).items(), ("Idempotency-Key", "a"), ("Idempotency-Key", "b")]):
        answer = api.post("/api/v1/search/semantic", content=b'{"query": "rose"}',
                          headers=[*headers, ("Content-Type", "application/json")])
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert headers[-1][0].lower() in answer.json()["detail"]
    assert api.get("/api/v1/jobs", headers=auth(tenant)).status_code == 200


def test_every_refusal_names_its_field(api: TestClient, tenant: IssuedKey) -> None:
    """A cursor this API did not make, a body that is not JSON, a formula missing a part:
    422s whose `errors` say which field (or the body as a whole, field "")."""
    cursor = api.get("/api/v1/jobs?cursor=garbage", headers=auth(tenant))
    assert cursor.status_code == 422
    assert [error["field"] for error in cursor.json()["errors"]] == ["query.cursor"]
    not_utf8 = _post_raw(api, tenant, "/api/v1/search/semantic", b'{"query": "caf\xe9"}')
    assert not_utf8.status_code == 422, not_utf8.text
    assert not_utf8.json()["errors"][0]["message"].startswith("the body is not UTF-8 text")
    bom = _post_raw(api, tenant, "/api/v1/search/semantic", b'\xef\xbb\xbf{"query": "rose"}')
    assert bom.status_code == 202, bom.text
    for raw in (b"not json", b'{"query": "rose"} trailing'):
        broken = _post_raw(api, tenant, "/api/v1/search/semantic", raw)
        assert broken.status_code == 422, broken.text
        (error,) = broken.json()["errors"]
        assert error["field"] == "" and "not JSON" in error["message"], error
    formula = api.post("/api/v1/validate/recipe", headers=auth(tenant),
                       json={"formula": {"concentration": None, "ingredients": []}})
    assert formula.status_code == 422, formula.text
    assert formula.json()["errors"][0]["field"].startswith("formula"), formula.text


@pytest.mark.parametrize("raw", [b"null", b""])
def test_a_null_or_empty_body_says_a_json_object_is_wanted(api: TestClient, tenant: IssuedKey,
                                                           raw: bytes) -> None:
    """A body of `null` was answered "Field required" for the field "": no word of what
    was wrong."""
    response = _post_raw(api, tenant, "/api/v1/search/semantic", raw)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "" and "must be a JSON object" in error["message"]
