"""A worker reports its circuit breakers in its heartbeat, and beats at once when one
changes state, so the API (and an operator) sees a breaker open within a moment."""

from __future__ import annotations

import contextlib

import pybreaker
import pytest
import redis

from core.heartbeats import HEARTBEATS, WorkerBeat
from ml.circuit import circuit_breaker
from tests.e2e.harness import wait_until
from workers.breakers import BreakerWatch
from workers.heartbeat import Heartbeat


def trip(breaker: pybreaker.CircuitBreaker) -> None:
    def broken() -> None:
        raise ConnectionError("down")

    for _ in range(breaker.fail_max):
        with contextlib.suppress(ConnectionError, pybreaker.CircuitBreakerError):
            breaker.call(broken)


@pytest.mark.unit
def test_reports_follow_the_breakers_and_a_state_change_is_signalled() -> None:
    changes: list[int] = []
    watch = BreakerWatch(lambda: changes.append(1))
    breaker = circuit_breaker("test:watched", fail_max=2, reset_timeout=60)
    (report,) = [r for r in watch.reports() if r.name == "test:watched"]
    assert (report.state, report.failures) == ("closed", 0)
    trip(breaker)
    assert changes  # closed -> open
    (report,) = [r for r in watch.reports() if r.name == "test:watched"]
    assert report.state == "open" and report.failures == 2 and report.retry_in_s > 50
    watch.reports()
    assert len(breaker.listeners) == 1  # watched once, however often reported


@pytest.mark.integration
def test_the_heartbeat_carries_a_breaker_that_opened_without_waiting_for_its_interval(
        redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(HEARTBEATS)
    breaker = circuit_breaker("test:beat", fail_max=1, reset_timeout=60)
    heartbeat = Heartbeat(redis_url, "models@host", ["recipe"], interval_s=3600).start()

    def reported() -> str | None:
        beat = WorkerBeat.decode("models@host", client.hget(HEARTBEATS, "models@host") or b"")
        found = [b for b in beat.breakers if b.name == "test:beat"] if beat else []
        return found[0].state if found else None

    try:
        assert reported() == "closed"
        trip(breaker)  # the next interval is an hour away: only the state change beats
        wait_until(lambda: reported() == "open", 30, "the open breaker in the heartbeat")
    finally:
        heartbeat.stop()
