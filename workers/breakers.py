"""The circuit breakers of this worker process (`ml.circuit`), as its heartbeat reports them
(`core.heartbeats.BreakerReport`). A breaker that changes state makes the heartbeat beat at
once, so operators see a breaker open within a moment, not at the next beat."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import pybreaker

from core.heartbeats import BreakerReport
from ml.circuit import breakers, describe


class BreakerWatch:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._watched: weakref.WeakSet[pybreaker.CircuitBreaker] = weakref.WeakSet()

    def reports(self) -> tuple[BreakerReport, ...]:
        """Every breaker's state now; breakers new since the last call get watched."""
        found = breakers()
        for breaker in found:
            if breaker not in self._watched:
                breaker.add_listener(_StateChange(self._on_change))
                self._watched.add(breaker)
        return tuple(BreakerReport(**vars(describe(breaker))) for breaker in found)


class _StateChange(pybreaker.CircuitBreakerListener):  # type: ignore[misc]
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change

    def state_change(self, cb: Any, old_state: Any, new_state: Any) -> None:
        self._on_change()
