"""A tenant's open answers (event streams, `Prefer: wait` submits) are bounded per API
process: one tenant's thousands of streams cannot use up the connections everyone shares."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until

pytestmark = pytest.mark.e2e
SHARE = 3


def open_stream(client: httpx.Client, job_id: str, stack: ExitStack) -> httpx.Response:
    return stack.enter_context(client.stream("GET", f"/api/v1/jobs/{job_id}/events"))


def test_a_tenants_streams_beyond_its_share_are_refused_not_anyone_elses(
        make_stack: Callable[..., Stack]) -> None:
    # no worker: the jobs stay queued, so every stream stays open
    stack = make_stack(FRAGRANCE_MAX_STREAMS_PER_TENANT=str(SHARE))
    alice, bob = stack.client(), stack.client()
    job_id = alice.submit_search("amber")["id"]
    batch = alice.http.post("/api/v1/generate/batch",
                            json={"requests": [{"fragrance_family": "floral"}]})
    assert batch.status_code == 202, batch.text
    with ExitStack() as streams:
        # a batch's stream counts as one of the share too
        held = [open_stream(alice.http, job_id, streams) for _ in range(SHARE - 1)]
        held.append(streams.enter_context(alice.http.stream(
            "GET", f"/api/v1/batches/{batch.json()['id']}/events")))
        assert [response.status_code for response in held] == [200] * SHARE

        refused = alice.http.get(f"/api/v1/jobs/{job_id}/events")
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["Retry-After"] == "5"
        problem = refused.json()
        assert problem["type"] == "/problems/too-many-streams"
        assert problem["limit"] == SHARE and f"holds {SHARE} event streams" in \
            problem["detail"]

        # a waiting submit beyond the share answers 202 at once: the preference is not applied
        started = time.monotonic()
        waited = alice.http.post("/api/v1/search/semantic", json={"query": "rose"},
                                 headers={"Prefer": "wait=5"})
        assert waited.status_code == 202, waited.text
        assert "Preference-Applied" not in waited.headers
        assert time.monotonic() - started < 4

        # another tenant streams and waits as usual
        bob_job = bob.submit_search("vetiver")["id"]
        assert open_stream(bob.http, bob_job, streams).status_code == 200
        started = time.monotonic()
        bob_waited = bob.http.post("/api/v1/search/semantic", json={"query": "iris"},
                                   headers={"Prefer": "wait=1"})
        assert bob_waited.status_code == 202 and time.monotonic() - started >= 0.9

        # a stream that ends gives its share back: the tenant may open another
        held[0].close()

        def reopened() -> bool:
            with alice.http.stream("GET", f"/api/v1/jobs/{job_id}/events") as response:
                return response.status_code == 200

        wait_until(reopened, 10, "a closed stream's share to come back")
