"""A worker that `fragrance run` supervises, a real Celery process: the terminal's Ctrl-C
(SIGINT to every process of the group) leaves it running for the supervisor's SIGTERM, which
stops it once, warm. Celery's own SIGINT handler began a warm shutdown, the SIGTERM said so
again, and a second Ctrl-C would have been a cold shutdown."""

from __future__ import annotations

import os
import signal
import time

import pytest

from config import SUPERVISED_ENV
from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_a_supervised_worker_leaves_ctrl_c_to_the_supervisor(make_stack) -> None:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack(**{SUPERVISED_ENV: "1"})
    worker = stack.start_worker(name="supervised", queues="webhooks", beat=False)
    wait_until(lambda: "supervised@" in worker.tail() and " ready." in worker.tail(), 90,
               "the worker to be ready")

    for _ in range(2):  # twice: the second Ctrl-C must not be a cold shutdown either
        os.killpg(worker.pid, signal.SIGINT)
        time.sleep(1.5)
        assert worker.alive(), worker.tail()
    assert "shutdown" not in worker.tail()

    os.kill(worker.pid, signal.SIGTERM)  # the supervisor's
    assert worker.popen is not None
    worker.popen.wait(60)
    log = worker.tail(20_000)
    assert worker.popen.returncode == 0, log
    assert log.count("Warm shutdown") == 1, log
    assert "Ctrl+C again" not in log and "Cold shutdown" not in log, log
