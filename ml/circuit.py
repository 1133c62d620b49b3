"""Circuit breakers of the library's calls to external services, in one registry.

Whatever builds a breaker for an outside service (the OpenAI-compatible back end today)
builds it with `circuit_breaker`, and whoever runs the library reads them all with
`breakers()` / `describe()`: a worker reports their state to operators without the library
depending on any metrics or messaging package. Breakers are held weakly: one whose owner
is gone drops out.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

import pybreaker

_REGISTRY: weakref.WeakSet[pybreaker.CircuitBreaker] = weakref.WeakSet()
_LOCK = threading.Lock()


@dataclass(frozen=True)
class BreakerState:
    """`state` is closed, open or half-open; `retry_in_s`, for an open breaker, the seconds
    until it lets a trial call through (0: the next call is the trial)."""

    name: str
    state: str
    failures: int
    fail_max: int
    reset_timeout_s: float
    retry_in_s: float


def circuit_breaker(name: str, *, fail_max: int, reset_timeout: float) -> pybreaker.CircuitBreaker:
    """A new breaker named `name` (say which service it guards; no secret), registered."""
    breaker = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_timeout,
                                       name=name)
    with _LOCK:
        _REGISTRY.add(breaker)
    return breaker


def breakers() -> list[pybreaker.CircuitBreaker]:
    with _LOCK:
        return sorted(_REGISTRY, key=lambda breaker: str(breaker.name))


def describe(breaker: pybreaker.CircuitBreaker, now: datetime | None = None) -> BreakerState:
    state = str(breaker.current_state)
    retry_in = 0.0
    opened_at = breaker._state_storage.opened_at  # pybreaker keeps it in its storage only
    if state == pybreaker.STATE_OPEN and opened_at is not None:
        elapsed = ((now or datetime.now(UTC)) - opened_at).total_seconds()
        retry_in = max(float(breaker.reset_timeout) - elapsed, 0.0)
    return BreakerState(str(breaker.name), state, int(breaker.fail_counter),
                        int(breaker.fail_max), float(breaker.reset_timeout), retry_in)
