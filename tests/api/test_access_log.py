"""The access log is the operator's record of requests: one line per request, written by
the server. A client's path must not write lines of its own into it (a `%0A` decoded into a
line break let anyone forge `ERROR` lines; a `%00` made grep call the log binary), nor make
a line as long as the URL it sent."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from api.access_log import MAX_TARGET
from core.keys import IssuedKey
from tests.api.conftest import RecordingEnqueuer, auth

FORGED = ("/api/v1/jobs/x%0A%5B2026-12-01%2000%3A00%3A00%2C000%3A%20ERROR%2Fapi%5D%20FORGED"
          "%1B%5B31m%00")


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_path_cannot_forge_log_lines_or_flood_the_log(
        client: TestClient, keys: dict[str, IssuedKey], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="api.access")
    assert client.get(FORGED, headers=auth(keys["alice"])).status_code == 404
    assert client.get("/api/v1/jobs/" + "a" * 60_000, headers=auth(keys["alice"])
                      ).status_code == 404
    assert client.get("/api/v1/jobs?status=queued%0D%0Aforged", headers=auth(keys["alice"])
                      ).status_code == 422
    forged, long_path, query = [record.getMessage() for record in caplog.records
                                if record.name == "api.access"]
    for line in (forged, long_path, query):
        assert not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in line), repr(line)
    assert "%0A%5B2026-12-01" in forged and "%00" in forged  # as the client sent it
    assert "%0D%0Aforged" in query
    assert len(long_path) < MAX_TARGET + 200
    assert "more characters]" in long_path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_request_s_line_names_the_caller_s_tenant_once_its_key_was_read(
        client: TestClient, keys: dict[str, IssuedKey], caplog: pytest.LogCaptureFixture
) -> None:
    """An operator could not tell which tenant was throttled, refused or slow: only the
    workers' lines named one."""
    caplog.set_level(logging.INFO, logger="api.access")
    assert client.get("/api/v1/jobs", headers=auth(keys["alice"])).status_code == 200
    assert client.post("/api/v1/training", headers=auth(keys["alice"]),
                       json={"target": "embedding"}).status_code == 403  # a scope lacking
    assert client.get("/api/v1/jobs").status_code == 401
    listed, refused, anonymous = [r for r in caplog.records if r.name == "api.access"]
    assert listed.tenant == refused.tenant == keys["alice"].tenant_id  # type: ignore[attr-defined]
    assert getattr(anonymous, "tenant", None) is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_caller_s_429s_are_one_line_a_window_and_then_a_count(
        database_url: str, redis_url: str, keys: dict[str, IssuedKey],
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tenant's flood wrote a line for each of its thousands of 429s (6,571 of a
    `make run` log's lines in ten minutes): the first of a window is written, the rest are
    counted in one line when the window ends; another tenant's lines are its own."""
    import time

    import api.access_log
    from api.app import create_app
    from config import load_settings

    monkeypatch.setattr(api.access_log, "REFUSALS_WINDOW_S", 0.5)
    caplog.set_level(logging.INFO, logger="api.access")
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             rate_limit_per_s=0.01, rate_limit_burst=1)
    with TestClient(create_app(settings, enqueuer=RecordingEnqueuer())) as client:
        codes = [client.post("/api/v1/search/semantic", headers=auth(keys["alice"]),
                             json={"query": f"rose {n}"}).status_code for n in range(12)]
        assert codes.count(429) == 11 and codes[0] == 202
        assert client.post("/api/v1/search/semantic", headers=auth(keys["bob"]),
                           json={"query": "rose"}).status_code == 202
        time.sleep(1.0)
        lines = [r.getMessage() for r in caplog.records if r.name == "api.access"]
    refused = [line for line in lines if '" 429 ' in line]
    assert len(refused) == 1
    count = [line for line in lines if "more requests answered 429" in line]
    assert len(count) == 1 and "10 more requests" in count[0], lines
    assert sum('" 202 ' in line for line in lines) == 2
