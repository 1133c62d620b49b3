"""Browser and legacy clients: CORS for the origins a deployment names (none by default in
production), and `/health` answering like `/healthz`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config import SettingsError, load_settings
from tests.api.conftest import RecordingEnqueuer

pytestmark = pytest.mark.integration
APP = "https://app.example.com"


@pytest.fixture
def browser_client(sqlite_url: str, redis_url: str) -> Iterator[TestClient]:
    settings = load_settings("testing", database_url=sqlite_url, broker_url=redis_url,
                             cors_allowed_origins=[APP])
    with TestClient(create_app(settings, enqueuer=RecordingEnqueuer())) as client:
        yield client


def test_an_allowed_origin_may_call_the_api_and_read_its_headers(
        browser_client: TestClient) -> None:
    preflight = browser_client.options("/api/v1/search/semantic", headers={
        "Origin": APP, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers":
            "authorization,content-type,idempotency-key,x-request-id"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == APP
    assert preflight.headers["x-request-id"]  # a preflight had none (CORS sat outside)
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    answer = browser_client.get("/api/v1/jobs", headers={"Origin": APP})
    assert answer.status_code == 401  # the key is still required
    assert answer.headers["access-control-allow-origin"] == APP
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed and "x-request-id" in exposed  # for a support ticket


def test_another_origin_gets_no_cors_grant(browser_client: TestClient) -> None:
    preflight = browser_client.options("/api/v1/jobs", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 400
    assert preflight.headers["content-type"] == "application/problem+json"
    assert preflight.json()["detail"] == "CORS preflight refused: Disallowed CORS origin"
    assert "access-control-allow-origin" not in preflight.headers
    answer = browser_client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers


def test_without_origins_no_cors_headers_are_sent(client: TestClient) -> None:
    answer = client.get("/healthz", headers={"Origin": APP})
    assert "access-control-allow-origin" not in answer.headers


def test_production_allows_no_origin_by_default_and_never_every_origin() -> None:
    logins = {"broker_url": "redis://u:p@127.0.0.1:6379/0",
              "result_backend": "redis://u:p@127.0.0.1:6379/1"}
    assert list(load_settings("production", **logins).cors_allowed_origins) == []
    with pytest.raises(SettingsError, match="CORS"):
        load_settings("production", cors_allowed_origins=["*"], **logins)
    with pytest.raises(SettingsError, match="CORS_ALLOWED_ORIGINS"):
        load_settings("testing", cors_allowed_origins=["app.example.com/path"])


def test_health_answers_like_healthz(client: TestClient) -> None:
    health, healthz = client.get("/health"), client.get("/healthz")
    assert health.status_code == healthz.status_code == 200
    assert health.json() == healthz.json() == {"status": "ok"}
