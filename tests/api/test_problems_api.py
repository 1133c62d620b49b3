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
    assert "webhook_events needs a webhook" in problem["errors"][0]["message"]
