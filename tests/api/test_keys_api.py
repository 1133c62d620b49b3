"""Keys: revocation (tenant admins for their tenant, operators for any), effective in every
API process within a second; expiry; last use; the operator scope is never a tenant's."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from config import load_settings
from core.keys import IssuedKey, KeyRing
from core.models import utcnow
from tests.api.conftest import RecordingEnqueuer, auth
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.integration


def _app(database_url: str, redis_url: str) -> TestClient:
    settings = load_settings("testing", database_url=database_url, broker_url=redis_url,
                             auth_cache_s=1.0)
    return TestClient(create_app(settings, enqueuer=RecordingEnqueuer()))


@pytest.fixture
def two_api_processes(database_url: str, redis_url: str) -> Iterator[tuple[TestClient,
                                                                           TestClient]]:
    with _app(database_url, redis_url) as one, _app(database_url, redis_url) as two:
        yield one, two


def test_a_revoked_key_is_refused_by_every_api_process_within_a_second(
        two_api_processes: tuple[TestClient, TestClient], key_ring: KeyRing) -> None:
    one, two = two_api_processes
    admin = key_ring.issue("admin", ["admin"])
    worker = key_ring.issue("worker", ["search"], tenant_id=admin.tenant_id)
    assert two.get("/api/v1/jobs", headers=auth(worker)).status_code == 200  # cached there
    revoked = one.delete(f"/api/v1/keys/{worker.key_id}", headers=auth(admin))
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert one.get("/api/v1/jobs", headers=auth(worker)).status_code == 401
    wait_until(lambda: two.get("/api/v1/jobs", headers=auth(worker)).status_code == 401,
               5, "the other API process to refuse the revoked key")
    again = one.delete(f"/api/v1/keys/{worker.key_id}", headers=auth(admin))
    assert again.status_code == 200  # idempotent


def test_tenants_manage_only_their_own_keys(two_api_processes: tuple[TestClient, TestClient],
                                            key_ring: KeyRing) -> None:
    api, _ = two_api_processes
    admin = key_ring.issue("admin", ["admin"])
    stranger = key_ring.issue("stranger", ["search"])
    member = key_ring.issue("member", ["search"], tenant_id=admin.tenant_id)
    assert api.delete(f"/api/v1/keys/{stranger.key_id}",
                      headers=auth(admin)).status_code == 404
    assert api.delete(f"/api/v1/keys/{admin.key_id}",
                      headers=auth(member)).status_code == 403
    listed = api.get("/api/v1/keys", headers=auth(admin)).json()["items"]
    assert {row["id"] for row in listed} == {admin.key_id, member.key_id}
    assert all("api_key" not in row and "key_hash" not in row for row in listed)
    assert api.delete("/api/v1/keys/not-a-key", headers=auth(admin)).status_code == 404


def test_operators_revoke_any_key_but_do_not_act_as_a_tenant(
        two_api_processes: tuple[TestClient, TestClient], key_ring: KeyRing) -> None:
    api, _ = two_api_processes
    operator = key_ring.issue("ops", ["operator"])
    tenant_key = key_ring.issue("tenant", ["search", "admin"])
    assert api.post("/api/v1/search/semantic", headers=auth(operator),
                    json={"query": "amber"}).status_code == 403
    assert api.delete(f"/api/v1/keys/{tenant_key.key_id}",
                      headers=auth(operator)).status_code == 200
    with pytest.raises(ValueError, match="operator"):
        key_ring.issue("sneaky", ["admin", "operator"])


def test_expired_keys_are_refused_and_use_is_recorded(
        two_api_processes: tuple[TestClient, TestClient], key_ring: KeyRing) -> None:
    api, _ = two_api_processes
    expired = key_ring.issue("old", ["search"], expires_at=utcnow() - timedelta(seconds=1))
    assert api.get("/api/v1/jobs", headers=auth(expired)).status_code == 401
    admin = key_ring.issue("admin", ["admin"], expires_at=utcnow() + timedelta(days=1))
    assert api.get("/api/v1/jobs", headers=auth(admin)).status_code == 200
    (row,) = api.get("/api/v1/keys", headers=auth(admin)).json()["items"]
    assert row["last_used_at"] is not None and row["expires_at"] is not None


def _stream_until_it_ends(api: TestClient, path: str, key: IssuedKey) -> threading.Thread:
    """Read the event stream on a thread of its own: the thread ends when the stream does."""
    opened = threading.Event()

    def read() -> None:
        with api.stream("GET", path, headers=auth(key)) as response:
            assert response.status_code == 200, response.read()
            opened.set()
            for _ in response.iter_lines():
                pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert opened.wait(10), f"{path} did not open"
    return reader


def test_an_open_event_stream_ends_within_seconds_of_its_keys_revocation(
        two_api_processes: tuple[TestClient, TestClient], key_ring: KeyRing) -> None:
    """A job's or a batch's stream lasts as long as the job: its key is checked again while
    it is open (it had kept streaming with a revoked key until the job ended)."""
    one, two = two_api_processes
    admin = key_ring.issue("admin", ["admin"])
    revoked = key_ring.issue("leaked", ["search", "generate"], tenant_id=admin.tenant_id)
    kept = key_ring.issue("kept", ["search"], tenant_id=admin.tenant_id)
    job = one.post("/api/v1/search/semantic", headers=auth(revoked),
                   json={"query": "amber"}).json()["id"]  # queued: no worker here
    batch = one.post("/api/v1/generate/batch", headers=auth(revoked),
                     json={"requests": [{"fragrance_family": "citrus"}]}).json()["id"]
    streams = [_stream_until_it_ends(one, f"/api/v1/jobs/{job}/events", revoked),
               _stream_until_it_ends(one, f"/api/v1/batches/{batch}/events", revoked)]
    other = _stream_until_it_ends(one, f"/api/v1/jobs/{job}/events", kept)
    time.sleep(1.5)  # a check or more while the key is valid: nothing ends
    assert all(stream.is_alive() for stream in [*streams, other])
    assert two.delete(f"/api/v1/keys/{revoked.key_id}", headers=auth(admin)).status_code == 200
    for stream in streams:
        stream.join(10)
        assert not stream.is_alive(), "a stream kept going with a revoked key"
    assert other.is_alive(), "the tenant's other key's stream ended too"
    assert one.get(f"/api/v1/jobs/{job}/events", headers=auth(revoked)).status_code == 401
    one.post(f"/api/v1/jobs/{job}/cancel", headers=auth(kept))  # ends the kept stream
    other.join(10)
    assert not other.is_alive()
