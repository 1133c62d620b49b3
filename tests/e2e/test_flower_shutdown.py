"""Flower as `fragrance run` starts it stops cleanly however the stack is stopped: a Ctrl-C
in the terminal (SIGINT to every process of the group) leaves it to the supervisor's SIGTERM,
and a kill of the whole group (its SIGTERM, then the supervisor's) stops it once, without
the traceback Flower's own handler printed on the second."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import free_port

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_supervised_flower_ignores_ctrl_c_and_stops_once(redis_url: str) -> None:
    port = free_port()
    env = {**os.environ, "FRAGRANCE_RUN_SUPERVISED": "1", "FRAGRANCE_BROKER_URL": redis_url,
           "FRAGRANCE_RESULT_BACKEND": redis_url, "FLOWER_BASIC_AUTH": "operator:pw"}
    flower = subprocess.Popen([sys.executable, "-m", "cli.main", "flower", "--port", str(port)],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 401:
                    break
            except httpx.HTTPError:
                pass
            assert flower.poll() is None and time.monotonic() < deadline, "Flower did not start"
            time.sleep(0.3)
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
