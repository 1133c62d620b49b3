"""A defect in a route is answered as a problem too (it was Starlette's text/plain "Internal
Server Error"), with the request id the log holds the traceback under."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.keys import IssuedKey
from tests.api.conftest import auth

pytestmark = pytest.mark.integration


def test_an_unexpected_error_is_a_500_problem_with_its_request_id(client: TestClient) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    async def broken() -> None:
        raise RuntimeError("a defect")

    app.add_api_route("/broken-for-this-test", broken)
    with TestClient(app, raise_server_exceptions=False) as plain:
        answer = plain.get("/broken-for-this-test", headers={"X-Request-ID": "trace-me-1"})
    assert answer.status_code == 500
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["status"] == 500 and body["title"] == "Internal Server Error"
    assert body["request_id"] == "trace-me-1" and "a defect" not in answer.text


def test_webhook_events_without_a_webhook_are_refused(client: TestClient,
                                                      keys: dict[str, IssuedKey]) -> None:
    """They were accepted: a client that forgot the URL waited for webhooks never sent."""
    answer = client.post("/api/v1/search/semantic", headers=auth(keys["alice"]),
                         json={"query": "rose", "webhook_events": ["completed"]})
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["errors"][0]["type"] == "webhook_required"
    assert problem["errors"][0]["field"].endswith("webhook_events")
    assert "webhook_events needs a webhook" in problem["errors"][0]["message"]


def test_an_upload_without_a_valid_key_is_refused_before_its_body_is_read(
        client: TestClient, keys: dict[str, IssuedKey]) -> None:
    """A body is read before a route's key check: clients without a key filled the budget
    of uploads being received, and every tenant's batch submit was a 503. A key without the
    upload's scope is refused before the body too (it was read, then answered 403)."""
    import asyncio

    from api.app import UPLOAD_PATHS
    from api.http_middleware import UploadsNeedAKey

    app = client.app
    assert isinstance(app, FastAPI)
    reached: list[str] = []

    async def inner(scope: dict[str, object], receive: object, send: object) -> None:
        reached.append(str(scope["path"]))

    async def receive() -> dict[str, object]:
        raise AssertionError("the body was read")

    sent: list[dict[str, object]] = []

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    guard = UploadsNeedAKey(inner, UPLOAD_PATHS, app.state.keys,  # type: ignore[arg-type]
                            app.state.uploads)

    def call(path: str, key: str | None) -> None:
        headers = [(b"authorization", f"Bearer {key}".encode())] if key else []
        asyncio.run(guard({"type": "http", "method": "POST", "path": path,
                           "headers": headers}, receive, send))

    for key in (None, "fk_not-a-key-at-all-0000000000"):
        sent.clear()
        call("/api/v1/generate/batch", key)
        assert sent[0]["status"] == 401 and not reached
    for path in ("/api/v1/generate/batch", "/api/v1/training"):  # bob: search only
        sent.clear()
        call(path, keys["bob"].api_key)
        assert sent[0]["status"] == 403 and not reached
    call("/api/v1/generate/batch", keys["alice"].api_key)
    call("/api/v1/search/semantic", None)  # not an upload: the route checks its key
    assert reached == ["/api/v1/generate/batch", "/api/v1/search/semantic"]
    answer = client.post("/api/v1/generate/batch", json={"requests": [{}]})
    assert answer.status_code == 401
    assert answer.headers["content-type"] == "application/problem+json"


def test_an_id_in_a_404_is_shown_escaped(client: TestClient,
                                         keys: dict[str, IssuedKey]) -> None:
    """A NUL or a right-to-left override in an unknown id came back raw in the 404's
    detail: a client's UI showing it could be spoofed."""
    answer = client.get("/api/v1/jobs/abc%00def%E2%80%AEgpj.exe", headers=auth(keys["alice"]))
    assert answer.status_code == 404
    assert answer.json()["detail"] == "no job abc\\x00def\\u202egpj.exe"
    long = client.get(f"/api/v1/batches/{'b' * 300}", headers=auth(keys["alice"]))
    assert long.status_code == 404
    assert long.json()["detail"] == "no batch " + "b" * 99 + "…"  # cut, and it says so


def test_a_head_is_answered_as_the_get_without_its_body(client: TestClient,
                                                        keys: dict[str, IssuedKey]) -> None:
    """`curl -I` and load balancers' health checks send HEAD: every GET route answered
    405. It is the GET's status and headers now, with no body, and a HEAD of a running
    job's event stream ends at once."""
    health = client.head("/healthz")
    assert health.status_code == 200 and health.content == b""
    assert client.get("/healthz").headers["content-length"] == health.headers["content-length"]
    assert client.head("/api/v1/jobs").status_code == 401
    assert client.head("/api/v1/jobs", headers=auth(keys["alice"])).status_code == 200
    unknown = client.head("/api/v1/jobs/nope", headers=auth(keys["alice"]))
    assert unknown.status_code == 404 and unknown.content == b""
    assert unknown.headers["content-type"] == "application/problem+json"
    submitted = client.post("/api/v1/search/semantic", json={"query": "rose"},
                            headers=auth(keys["alice"]))
    events = client.head(f"/api/v1/jobs/{submitted.json()['id']}/events",
                         headers=auth(keys["alice"]))
    assert events.status_code == 200 and events.content == b""
    assert events.headers["content-type"].startswith("text/event-stream")
    # a route without a GET stays a 405
    assert client.head("/api/v1/search/semantic").status_code == 405
