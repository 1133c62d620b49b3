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
from tests.api.conftest import auth

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
