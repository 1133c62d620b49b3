"""Exact percentage arithmetic: scale to a total and round to 2 decimals with no residue."""

from __future__ import annotations

import math
from collections.abc import Sequence


def to_hundred(values: Sequence[float], total: float = 100.0) -> list[float]:
    """Scale non-negative ``values`` to ``total`` and round each to 0.01.

    Uses the largest-remainder method in integer hundredths, so the rounded values sum to
    exactly ``total`` (to 0.01). Ties go to the earlier index: the result is deterministic.
    Raises ``ValueError`` when the values are empty, negative or all zero.
    """
    if not values or any(v < 0 or not math.isfinite(v) for v in values):
        raise ValueError("to_hundred: expected non-empty, finite, non-negative values")
    mass = math.fsum(values)
    if mass <= 0:
        raise ValueError("to_hundred: values sum to zero")
    cents_total = round(total * 100)
    exact = [v * cents_total / mass for v in values]
    cents = [math.floor(e) for e in exact]
    order = sorted(range(len(values)), key=lambda i: (-(exact[i] - cents[i]), i))
    for i in order[: cents_total - sum(cents)]:
        cents[i] += 1
    return [c / 100 for c in cents]
