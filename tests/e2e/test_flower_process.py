"""Flower as `fragrance flower` (and so `fragrance run`) starts it, a real process on a real
Redis: every page needs the operator's login, /metrics too (Prometheus's scrape logs in);
and it stops cleanly however the stack is stopped: a Ctrl-C in the terminal (SIGINT to every
process of the group) leaves it to the supervisor's SIGTERM, and a kill of the whole group
(its SIGTERM, then the supervisor's) stops it once, without the traceback Flower's own
handler printed on the second."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
LOGIN = ("operator", "pw")


def start_flower(redis_url: str, **popen: Any) -> tuple[subprocess.Popen[bytes], str]:
    """`fragrance flower` on a free port, once it answers; its base URL."""
    port = free_port()
    env = {**os.environ, "FRAGRANCE_BROKER_URL": redis_url, "FRAGRANCE_RESULT_BACKEND": redis_url,
           "FLOWER_BASIC_AUTH": ":".join(LOGIN), **popen.pop("env", {})}
    flower = subprocess.Popen([sys.executable, "-m", "cli.main", "flower", "--port", str(port)],
                              env=env, **popen)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthcheck", timeout=1).status_code == 200:
                return flower, base
        except httpx.HTTPError:
            pass
        if flower.poll() is not None or time.monotonic() > deadline:
            flower.kill()
            raise AssertionError("Flower did not start")
        time.sleep(0.3)


def test_flowers_metrics_need_the_same_login_as_its_pages(redis_url: str) -> None:
    flower, base = start_flower(redis_url, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    try:
        assert httpx.get(f"{base}/", timeout=5).status_code == 401
        assert httpx.get(f"{base}/metrics", timeout=5).status_code == 401
        assert httpx.get(f"{base}/metrics", timeout=5,
                         auth=("operator", "wrong")).status_code == 401
        scraped = httpx.get(f"{base}/metrics", timeout=5, auth=LOGIN)
        assert scraped.status_code == 200 and "flower_" in scraped.text
    finally:
        flower.terminate()
        flower.wait(30)


def test_supervised_flower_ignores_ctrl_c_and_stops_once(redis_url: str) -> None:
    flower, _ = start_flower(redis_url, env={"FRAGRANCE_RUN_SUPERVISED": "1"},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        os.killpg(flower.pid, signal.SIGINT)  # the terminal's Ctrl-C
        time.sleep(1.5)
        assert flower.poll() is None  # left to the supervisor
        flower.send_signal(signal.SIGTERM)
        flower.send_signal(signal.SIGTERM)
        output = flower.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if flower.poll() is None:
            flower.kill()
    assert flower.returncode == 0, output
    assert "Traceback" not in output and "Exception ignored" not in output, output
    assert output.count("detected, shutting down") == 1, output
    # written like every other process of the stack, not in tornado's format
    assert re.search(r"^\[[\d-]+ [\d:,]+: INFO/flower\] 15 detected, shutting down$", output,
                     re.MULTILINE), output
    assert not re.search(r"^\[[IWE] \d{6} ", output, re.MULTILINE), output


def test_flower_starting_before_any_worker_says_so_once_instead_of_warning(
        redis_url: str) -> None:
    """Under `fragrance run` Flower starts beside the workers and inspected them before any
    was up: four "Inspect method … failed" warnings at every start, nothing having failed."""
    import redis

    from core.heartbeats import HEARTBEATS

    redis.Redis.from_url(redis_url).delete(HEARTBEATS)  # no worker beats
    flower, _ = start_flower(redis_url, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    try:
        time.sleep(8)  # its start-up inspection (5 s timeout) gets no answer
        flower.send_signal(signal.SIGTERM)
        output = flower.communicate(timeout=30)[0].decode(errors="replace")
    finally:
        if flower.poll() is None:
            flower.kill()
    assert "Inspect method" not in output, output
    assert output.count("no worker answered Flower yet") == 1, output
    assert "WARNING" not in output, output
