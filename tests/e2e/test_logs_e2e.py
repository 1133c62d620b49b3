"""Secrets never appear in logs: a real API and a real Celery worker, run with a database
password in their URL, serve authenticated jobs, a rejected key and a signed webhook; no log
line of either process holds the password, an API key or the webhook secret."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.conftest import Stack
from tests.e2e.harness import ApiClient, wait_until
from tests.webhook_receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_secrets_never_reach_the_logs(make_stack, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    url = make_url(pg_url)
    password = url.password or "pg-e2e-password-5817"  # trust auth: the server ignores it
    database_url = url.set(password=password).render_as_string(hide_password=False)
    stack: Stack = make_stack(FRAGRANCE_DATABASE_URL=database_url)
    worker = stack.start_worker(name="logged")
    client = stack.client()
    api_key = client.http.headers["Authorization"].removeprefix("Bearer ")
    receiver = Receiver(client.webhook_secret).start()
    try:
        job = client.submit_search("amber and vanilla", webhook=receiver.url)
        assert client.wait_finished(job["id"], 120)["status"] == "succeeded"
        wait_until(lambda: len(receiver.received) == 1, 60, "the webhook")
    finally:
        receiver.stop()
    bogus = "fk_" + "x" * 43
    assert ApiClient(stack.base_url, bogus).http.get("/api/v1/jobs").status_code == 401

    logs = {path.name: path.read_text(errors="replace") for path in stack.log_dir.glob("*.log")}
    assert {"api.log", "logged.log"} <= set(logs)
    for name, text in logs.items():
        for secret in (password, api_key, client.webhook_secret, bogus):
            assert secret not in text, f"{name} holds a secret"
    # the worker did log its database URL, masked (the filter runs in the worker process),
    # and no line per run of the beat's housekeeping tasks
    worker_log = worker.log_path.read_text()
    assert ":***@" in worker_log and "search.run[" in worker_log
    assert "webhooks.dispatch[" not in worker_log and "maintenance.recover[" not in worker_log
    # as root, one log line says so, not Celery's seven-line warning on stderr
    assert "SecurityWarning" not in worker_log
    assert ("this worker runs as root" in worker_log) == (os.geteuid() == 0)
