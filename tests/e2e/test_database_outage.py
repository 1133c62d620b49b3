"""A PostgreSQL outage under a running job: the server is really stopped (immediate mode,
as in a crash) and started again. Nothing accepted is lost and no result is doubled."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

import migrations
from core.database import make_engine, make_session_factory
from core.keys import KeyRing
from core.models import JobEvent
from tests.conftest import free_port
from tests.e2e.conftest import Stack
from tests.e2e.harness import ApiClient, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.model]


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port, run as the `postgres` user."""

    def __init__(self, root: Path) -> None:
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
        assert binaries and shutil.which("runuser"), "PostgreSQL server binaries are needed"
        self.bin, self.data, self.port = Path(binaries[-1]), root / "pgdata", free_port()
        root.mkdir(parents=True, exist_ok=True)
        shutil.chown(root, "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def _as_postgres(self, tool: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(self.bin / tool), *args],
                       check=True, capture_output=True, cwd="/tmp")

    def start(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-w", "-l", str(self.data / "log"),
                          "-o", f"-p {self.port} -k /tmp -c listen_addresses=127.0.0.1", "start")

    def crash(self) -> None:
        self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    root = Path("/tmp") / f"fragrance-pg-{os.getpid()}-{tmp_path.name}"
    server = PrivatePostgres(root)
    server.start()
    yield server
    subprocess.run(["runuser", "-u", "postgres", "--", str(server.bin / "pg_ctl"), "-D",
                    str(server.data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


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
