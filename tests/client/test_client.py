"""The client package on its own (no server: httpx's MockTransport answers): problems read
as errors with their field errors, non-JSON answers are named, transient failures are sent
again with the same Idempotency-Key, dropped event streams resume where they stopped, and
webhooks verify with their secret."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from client import (
    ApiError,
    AsyncFragranceClient,
    FragranceClient,
    NotJson,
    WebhookVerificationError,
    verify_webhook,
)

pytestmark = pytest.mark.unit
JOB = {"id": "j1", "kind": "recipe", "status": "queued", "progress": 0.0, "input": {},
       "result": None, "error": None, "attempts": 0, "cancel_requested": False,
       "created_at": "2026-11-30T00:00:00Z", "started_at": None, "finished_at": None,
       "batch_id": None}
PROBLEM = "application/problem+json"


def _client(handler: Callable[[httpx.Request], httpx.Response]) -> FragranceClient:
    http = httpx.Client(base_url="http://api", transport=httpx.MockTransport(handler))
    return FragranceClient("http://api", "fk_test", http=http, retries=2)


def _no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("client.sync.time.sleep", slept.append)
    return slept


def test_a_422_problem_raises_an_api_error_naming_each_field() -> None:
    problem = {"type": "about:blank", "title": "Request is not valid", "status": 422,
               "detail": "see `errors` for each field",
               "errors": [{"field": "season", "message": "Input should be 'spring'",
                           "type": "literal_error"}]}
    client = _client(lambda request: httpx.Response(422, json=problem,
                                                    headers={"content-type": PROBLEM}))
    with pytest.raises(ApiError) as raised:
        client.submit_recipe({"fragrance_family": "floral", "season": "monsoon"})
    assert raised.value.status == 422 and raised.value.errors[0]["field"] == "season"
    assert str(raised.value).splitlines() == [
        "422 Request is not valid: see `errors` for each field",
        "  season: Input should be 'spring'"]


def test_an_answer_that_is_not_json_is_named_not_parsed() -> None:
    client = _client(lambda request: httpx.Response(
        502, text="<html>Bad Gateway</html>", headers={"content-type": "text/html"}))
    client.retries = 0
    with pytest.raises(NotJson, match="502 with text/html, not JSON"):
        client.job("j1")


def test_a_503_is_sent_again_after_retry_after_with_the_same_idempotency_key(
        monkeypatch: pytest.MonkeyPatch) -> None:
    slept = _no_sleep(monkeypatch)
    keys: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers.get("idempotency-key"))
        if len(keys) == 1:
            return httpx.Response(503, json={"title": "Service Unavailable", "status": 503},
                                  headers={"content-type": PROBLEM, "Retry-After": "2"})
        assert request.headers["authorization"] == "Bearer fk_test"
        return httpx.Response(202, json=JOB)

    assert _client(answer).submit_recipe({"fragrance_family": "floral"})["id"] == "j1"
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0]
    assert slept == [2.0]


def _sse(*events: tuple[int, str, dict[str, Any]]) -> bytes:
    return b"".join(f"id: {seq}\nevent: {kind}\ndata: {json.dumps(data)}\n\n".encode()
                    for seq, kind, data in events)


def test_a_dropped_event_stream_resumes_after_the_last_event_it_saw(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _no_sleep(monkeypatch)
    asked: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("last-event-id"))
        body = (_sse((1, "queued", {"seq": 1}), (2, "started", {"seq": 2}))
                if len(asked) == 1 else b": ping\n\n" + _sse((3, "succeeded", {"seq": 3})))
        return httpx.Response(200, content=body,
                              headers={"content-type": "text/event-stream"})

    seen = [(event.id, event.event) for event in _client(answer).events("j1")]
    assert seen == [("1", "queued"), ("2", "started"), ("3", "succeeded")]
    assert asked == [None, "2"]


def test_a_stream_refused_for_now_is_opened_again_after_retry_after_and_a_404_is_not(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A 429 (the tenant holds its share of open streams) or a 503 is waited out, as for
    any call; a 404 is an answer, raised at once."""
    slept = _no_sleep(monkeypatch)
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        if request.url.path.endswith("/missing/events"):
            return httpx.Response(404, json={"title": "Not Found", "status": 404},
                                  headers={"content-type": PROBLEM})
        if len(asked) == 1:
            return httpx.Response(429, json={"type": "/problems/too-many-streams",
                                             "title": "Too Many Open Streams", "status": 429},
                                  headers={"content-type": PROBLEM, "Retry-After": "5"})
        return httpx.Response(200, content=_sse((1, "succeeded", {"seq": 1})),
                              headers={"content-type": "text/event-stream"})

    client = _client(answer)
    assert [event.event for event in client.events("j1")] == ["succeeded"]
    assert slept == [5.0] and len(asked) == 2
    with pytest.raises(ApiError) as raised:
        list(client.events("missing"))
    assert raised.value.status == 404 and slept == [5.0]


def test_resuming_a_finished_jobs_stream_after_its_last_event_yields_nothing() -> None:
    """The API answers 204 when nothing is left to stream: the client ends, not retries."""
    asked: list[str | None] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("last-event-id"))
        return httpx.Response(204)

    assert list(_client(answer).events("j1", after=3)) == []
    assert asked == ["3"]

    async def read() -> list[Any]:
        http = httpx.AsyncClient(base_url="http://api", transport=httpx.MockTransport(answer))
        client = AsyncFragranceClient("http://api", "fk_test", http=http, retries=2)
        return [event async for event in client.events("j1", after=3)]

    assert asyncio.run(read()) == [] and asked == ["3", "3"]


def test_batch_results_arrive_as_one_dict_per_line() -> None:
    lines = [{"index": i, "job_id": f"j{i}", "status": "succeeded", "result": {}, "error": None}
             for i in range(3)]
    body = "".join(json.dumps(line) + "\n" for line in lines).encode()
    client = _client(lambda request: httpx.Response(
        200, content=body, headers={"content-type": "application/x-ndjson"}))
    assert list(client.batch_results("b1")) == lines


def test_the_async_client_retries_and_streams_like_the_sync_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    async def no_sleep(_: float) -> None:
        pass

    monkeypatch.setattr("client.aio.asyncio.sleep", no_sleep)

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/events"):
            return httpx.Response(200, content=_sse((1, "succeeded", {"seq": 1})),
                                  headers={"content-type": "text/event-stream"})
        if len(calls) == 1:
            return httpx.Response(429, json={"title": "Too Many Requests", "status": 429},
                                  headers={"content-type": PROBLEM, "Retry-After": "1"})
        return httpx.Response(200, json={**JOB, "status": "succeeded"})

    async def scenario() -> dict[str, Any]:
        http = httpx.AsyncClient(base_url="http://api", transport=httpx.MockTransport(answer))
        async with AsyncFragranceClient("http://api", "fk_test", http=http) as client:
            await client.submit_search("vetiver")
            return dict(await client.wait("j1", timeout_s=5))

    assert asyncio.run(scenario())["status"] == "succeeded"
    assert calls == ["/api/v1/search/semantic", "/api/v1/search/semantic",
                     "/api/v1/jobs/j1/events", "/api/v1/jobs/j1"]


def test_a_webhook_verifies_with_its_secret_and_a_tampered_one_does_not() -> None:
    secret, old = "whsec_" + "c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "whsec_" + "b2xkLXNlY3JldA=="
    body = json.dumps({"type": "job.completed", "timestamp": "2026-11-30T00:00:00Z",
                       "data": JOB})
    now = datetime.now(UTC)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(secret).sign("msg_1", now, body)}
    message = verify_webhook(secret, body, headers)
    assert message["type"] == "job.completed" and message["data"]["id"] == "j1"
    assert verify_webhook([old, secret], body.encode(), headers)["id"] == "msg_1"
    with pytest.raises(WebhookVerificationError):
        verify_webhook(secret, body.replace("j1", "j2"), headers)
    with pytest.raises(WebhookVerificationError):
        verify_webhook(old, body, headers)


@pytest.mark.parametrize("key", ["장미", "a b", "x" * 201])
def test_an_idempotency_key_the_api_would_refuse_is_a_value_error_before_sending(
        key: str) -> None:
    sent: list[httpx.Request] = []
    client = _client(lambda request: sent.append(request) or httpx.Response(202, json=JOB))
    with pytest.raises(ValueError, match="idempotency_key"):
        client.submit_recipe({"fragrance_family": "floral"}, idempotency_key=key)
    assert sent == []


def test_an_api_key_no_header_can_carry_is_a_value_error_that_does_not_repeat_it() -> None:
    with pytest.raises(ValueError, match="api_key") as refused:
        FragranceClient("http://api", "fk_장미")
    assert "장미" not in str(refused.value)
    with pytest.raises(ValueError, match="api_key"):
        AsyncFragranceClient("http://api", "fk x")


HOSTILE_IDS = {  # an id as given -> how it must travel: one segment under its collection
    "../batches/b1": "..%2Fbatches%2Fb1",
    "../jobs?limit=1": "..%2Fjobs%3Flimit%3D1",
    "..": "%2E%2E",
    ".": "%2E",
    "a#b c%2F": "a%23b%20c%252F",
    "a\nb": "a%0Ab",
}


def _by_path(paths: list[str]) -> Callable[[httpx.Request], httpx.Response]:
    """Records each request's path as sent (escapes kept) and answers 404, as the API does
    for an id that names nothing."""
    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(f"{request.method} {request.url.raw_path.decode('ascii')}")
        return httpx.Response(404, json={"title": "Not Found", "status": 404},
                              headers={"content-type": PROBLEM})
    return answer


def _every_id_call(given: str, escaped: str) -> list[tuple[str, Callable[..., Any]]]:
    """(the request each call must make, how the sync client makes it)."""
    jobs, batches = f"/api/v1/jobs/{escaped}", f"/api/v1/batches/{escaped}"
    return [(f"GET {jobs}", lambda c: c.job(given)),
            (f"POST {jobs}/cancel", lambda c: c.cancel(given)),
            (f"GET {jobs}/events", lambda c: list(c.events(given))),
            (f"GET {batches}", lambda c: c.batch(given)),
            (f"POST {batches}/cancel", lambda c: c.cancel_batch(given)),
            (f"GET {batches}/events", lambda c: list(c.batch_events(given))),
            (f"GET {batches}/results", lambda c: list(c.batch_results(given)))]


@pytest.mark.parametrize(("given", "escaped"), HOSTILE_IDS.items())
def test_an_id_travels_as_one_path_segment_so_it_names_nothing_else(
        given: str, escaped: str) -> None:
    """Ids went into paths as they were: `cancel("../batches/B")` canceled batch B,
    `job("../jobs?limit=1")` answered the job list, and a newline raised httpx.InvalidURL.
    Escaped as one segment (the dot segments too), each is an unknown id: a 404."""
    for expected, make in _every_id_call(given, escaped):
        paths: list[str] = []
        with pytest.raises(ApiError) as raised:
            make(_client(_by_path(paths)))
        assert raised.value.status == 404
        assert paths == [expected]


def test_the_async_client_escapes_ids_the_same_way() -> None:
    paths: list[str] = []

    async def scenario() -> None:
        http = httpx.AsyncClient(base_url="http://api",
                                 transport=httpx.MockTransport(_by_path(paths)))
        async with AsyncFragranceClient("http://api", "fk_test", http=http) as client:
            calls = [client.job(".."), client.cancel("../batches/b1"), client.batch("."),
                     client.cancel_batch("../jobs?limit=1")]
            for call in calls:
                with pytest.raises(ApiError):
                    await call
            for stream in (client.events("a/b"), client.batch_events("a/b"),
                           client.batch_results("a/b")):
                with pytest.raises(ApiError):
                    async for _ in stream:
                        pass

    asyncio.run(scenario())
    assert paths == ["GET /api/v1/jobs/%2E%2E", "POST /api/v1/jobs/..%2Fbatches%2Fb1/cancel",
                     "GET /api/v1/batches/%2E",
                     "POST /api/v1/batches/..%2Fjobs%3Flimit%3D1/cancel",
                     "GET /api/v1/jobs/a%2Fb/events", "GET /api/v1/batches/a%2Fb/events",
                     "GET /api/v1/batches/a%2Fb/results"]


def test_an_empty_id_is_a_value_error_before_anything_is_sent() -> None:
    """An empty id asked for the collection itself (`GET /jobs/`: a 307 read as "not
    JSON")."""
    paths: list[str] = []
    for _, make in _every_id_call("", ""):
        with pytest.raises(ValueError, match=r"(job|batch)_id: give at least one"):
            make(_client(_by_path(paths)))
    assert paths == []
