"""Property-based requests from the app's own OpenAPI (schemathesis), valid and invalid, with
a real key: no answer is a 5xx, and every 4xx is problem+json. Then the tenant's jobs and
another tenant's jobs still read back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.app import create_app
from config import load_settings
from core.keys import IssuedKey, KeyRing
from tests.api.conftest import RecordingEnqueuer, auth

pytestmark = pytest.mark.integration
EXAMPLES = 12
# `Prefer: wait=N` would hold a request N seconds with no worker here (it is tested in
# test_streams_api); the event stream of a real job would never end (test_streams_api too)
SKIPPED_HEADERS = ("prefer",)


@pytest.fixture
def app(database_url: str, redis_url: str) -> Iterator[FastAPI]:
    settings_ = load_settings("testing", database_url=database_url, broker_url=redis_url)
    application = create_app(settings_, enqueuer=RecordingEnqueuer())
    with TestClient(application):  # runs the lifespan
        yield application


def _check(case: schemathesis.Case, key: IssuedKey) -> int:
    for name in list(case.headers or {}):
        if name.lower() in SKIPPED_HEADERS:
            del case.headers[name]  # type: ignore[union-attr]
    response = case.call(headers=auth(key))
    where = f"{case.method} {case.formatted_path} -> {response.status_code}"
    if case.formatted_path == "/readyz":  # 503 is its answer without workers
        return 200 if response.status_code == 503 else int(response.status_code)
    assert response.status_code < 500, f"{where}: {response.text[:500]}"
    if 400 <= response.status_code < 500:
        assert response.headers.get("content-type", [""])[0].startswith(
            "application/problem+json"), where
    return int(response.status_code)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_generated_requests_never_get_a_5xx_and_errors_are_problems(
        app: FastAPI, key_ring: KeyRing, mode: GenerationMode) -> None:
    key = key_ring.issue("schemathesis", ["search", "generate", "training", "admin"])
    neighbour = key_ring.issue("neighbour", ["search"])
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    statuses: list[int] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case: schemathesis.Case) -> None:
            statuses.append(_check(case, key))

        try:
            call()
        except Unsatisfiable:  # nothing to get wrong: an operation without parameters
            assert mode == GenerationMode.NEGATIVE
    assert statuses and max(statuses) < 500
    with TestClient(app) as client:
        assert client.get("/api/v1/jobs", headers=auth(key)).status_code == 200
        assert client.get("/api/v1/jobs", headers=auth(neighbour)).status_code == 200
