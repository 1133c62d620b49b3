"""A PostgreSQL outage under a running job: the server is really stopped (immediate mode,
as in a crash) and started again. Nothing accepted is lost and no result is doubled."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

import migrations
from bench.services import PrivatePostgres
from core.database import make_engine, make_session_factory
from core.keys import KeyRing
from core.models import JobEvent
from tests.e2e.conftest import Stack
from tests.e2e.harness import ApiClient, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.model]


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    root = Path("/tmp") / f"fragrance-pg-{os.getpid()}-{tmp_path.name}"
    server = PrivatePostgres(root)
    server.start()
    yield server
    server.remove()


def test_a_database_outage_loses_nothing_and_doubles_nothing(make_stack,  # type: ignore[no-untyped-def]
                                                             private_postgres) -> None:
    url = private_postgres.url("postgres")
    migrations.upgrade(url)
    stack: Stack = make_stack(FRAGRANCE_DATABASE_URL=url,
                              FRAGRANCE_FAULT_INJECTION_DELAY_S="4")
    worker = stack.start_worker(name="through-outage")
    key = KeyRing(make_session_factory(make_engine(url))).issue("outage", ["search"])
    client = ApiClient(stack.base_url, key.api_key)

    running = client.submit_search("amber and vanilla")["id"]
    wait_until(lambda: client.job(running)["status"] == "running", 120, "the job to start")
    private_postgres.crash()  # the job is computing; it will try to record its result now

    refused = client.http.post("/api/v1/search/semantic", json={"query": "during"})
    assert refused.status_code == 503  # not accepted: the client knows to retry
    assert refused.headers["content-type"] == "application/problem+json"

    # the job ends its computation with the database down: recording fails, the task retries
    wait_until(lambda: "retry: Retry in" in worker.log(), 60, "the task to retry")
    private_postgres.start()
    job = client.wait_finished(running, timeout=180)
    assert job["status"] == "succeeded" and job["result"]["hits"], job
    with make_session_factory(make_engine(url))() as session:
        finished = session.scalar(select(func.count()).select_from(JobEvent).where(
            JobEvent.job_id == running, JobEvent.type == "succeeded"))
    assert finished == 1

    after = client.wait_finished(client.submit_search("after the outage")["id"], 120)
    assert after["status"] == "succeeded"
