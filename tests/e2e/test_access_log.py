"""The API's log as an operator reads it under `make run`: the real `fragrance api` process
writes one access line per request, stamped with the time and the request's duration and id,
with secrets masked, and never a logging error; probes that succeed stay out of it."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.e2e.harness import Process, wait_until

pytestmark = pytest.mark.e2e


def test_fragrance_api_writes_one_masked_access_line_per_request(
        sqlite_url: str, redis_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FRAGRANCE_ENV": "testing", "FRAGRANCE_DATABASE_URL": sqlite_url,
           "FRAGRANCE_BROKER_URL": redis_url, "FRAGRANCE_LOG_LEVEL": "INFO",
           "PYTHONUNBUFFERED": "1"}
    api = Process("fragrance-api", [sys.executable, "-m", "cli.main", "api", "--port",
                                    str(port)], env, tmp_path).start()
    secret = "fk_" + "s3cr3t" * 7
    try:
        http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        wait_until(lambda: http.get("/healthz").status_code == 200, 30, "the API")
        requests = [http.get("/healthz"), http.get("/metrics"),
                    http.get("/api/v1/jobs", headers={"X-Request-ID": "req-of-the-test-1"}),
                    http.get(f"/api/v1/jobs?cursor={secret}",
                             headers={"Authorization": f"Bearer {secret}"}),
                    http.post("/api/v1/search/semantic", json={"query": "amber"})]
        assert [r.status_code for r in requests] == [200, 200, 401, 401, 401]
    finally:
        api.stop()
    log = api.log_path.read_text(errors="replace")
    assert "Logging error" not in log and "Traceback" not in log, log[-3000:]
    access = re.findall(r'^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}: INFO/api\] '
                        r'127\.0\.0\.1:\d+ - "(GET|POST) (\S+) HTTP/1\.1" (\d{3}) '
                        r'\d+\.\d ms \[request_id=([0-9a-z-]+)\]$', log, re.MULTILINE)
    # successful probes (the /healthz of wait_until and of the test, /metrics) are left out
    assert [line[:3] for line in access] == [
        ("GET", "/api/v1/jobs", "401"), ("GET", "/api/v1/jobs?cursor=fk_***", "401"),
        ("POST", "/api/v1/search/semantic", "401")]
    assert access[0][3] == "req-of-the-test-1"
    assert "/healthz" not in log and "/metrics" not in log
    assert secret not in log
