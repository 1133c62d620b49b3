"""The library's circuit breakers are in one registry that whoever runs the library can
read: their state, failures, and the time until an open one lets a trial call through."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import pybreaker
import pytest

from ml.circuit import breakers, circuit_breaker, describe
from ml.recipe.openai_backend import service_address

pytestmark = pytest.mark.unit


def fail(breaker: pybreaker.CircuitBreaker) -> None:
    def broken() -> None:
        raise ConnectionError("down")

    with pytest.raises((ConnectionError, pybreaker.CircuitBreakerError)):
        breaker.call(broken)


def test_a_breaker_is_registered_and_described_as_it_opens() -> None:
    breaker = circuit_breaker("test:svc", fail_max=2, reset_timeout=30)
    assert breaker in breakers()
    state = describe(breaker)
    assert (state.name, state.state, state.failures, state.fail_max) == \
        ("test:svc", "closed", 0, 2)
    fail(breaker)
    assert describe(breaker).failures == 1
    fail(breaker)
    opened = describe(breaker)
    assert opened.state == "open" and 29 < opened.retry_in_s <= 30
    later = describe(breaker, datetime.now(UTC) + timedelta(seconds=40))
    assert later.retry_in_s == 0.0  # the next call is the trial


def test_a_breaker_whose_owner_is_gone_leaves_the_registry() -> None:
    circuit_breaker("test:gone", fail_max=1, reset_timeout=1)
    gc.collect()
    assert all(b.name != "test:gone" for b in breakers())


def test_a_breaker_name_never_holds_credentials() -> None:
    assert service_address("https://user:secret@llm.internal:8443/v1/") == \
        "llm.internal:8443/v1"
    assert service_address("http://127.0.0.1:8000") == "127.0.0.1:8000"
