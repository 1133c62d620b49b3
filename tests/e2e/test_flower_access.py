"""Flower as `fragrance flower` starts it (a real process on a real Redis): every page needs
the operator's login, /metrics too; with the login, Prometheus's scrape gets Flower's
metrics."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_flowers_metrics_need_the_same_login_as_its_pages(redis_url: str) -> None:
    port = free_port()
    env = {**os.environ, "FRAGRANCE_BROKER_URL": redis_url, "FRAGRANCE_RESULT_BACKEND": redis_url,
           "FLOWER_BASIC_AUTH": "operator:pw"}
    flower = subprocess.Popen([sys.executable, "-m", "cli.main", "flower", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthcheck", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert flower.poll() is None and time.monotonic() < deadline, "Flower did not start"
            time.sleep(0.3)
        assert httpx.get(f"{base}/", timeout=5).status_code == 401
        assert httpx.get(f"{base}/metrics", timeout=5).status_code == 401
        assert httpx.get(f"{base}/metrics", timeout=5,
                         auth=("operator", "wrong")).status_code == 401
        scraped = httpx.get(f"{base}/metrics", timeout=5, auth=("operator", "pw"))
        assert scraped.status_code == 200 and "flower_" in scraped.text
    finally:
        flower.terminate()
        flower.wait(30)
