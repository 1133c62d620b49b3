"""When a webhook message is tried again (`core.webhooks.retry_delay`): exponential backoff
with jitter, and a receiver's Retry-After as the least wait, capped."""

from __future__ import annotations

import random

import pytest

from core.webhooks import MAX_DELAY_S, retry_delay

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("retry_after_s", [0.0, -3600.0])  # "0", a date in the past
def test_a_retry_after_of_nothing_does_not_make_the_retries_come_at_once(
        retry_after_s: float) -> None:
    """`Retry-After: 0` spent all eight attempts of a message in one second."""
    rng = random.Random(7)
    delays = [retry_delay(attempt, retry_after_s, 2.0, rng) for attempt in range(1, 8)]
    assert all(delay >= 1.0 for delay in delays)
    assert sum(delays) >= 2.0 * (2 ** 7 - 1) / 2  # at least half the full schedule


def test_a_longer_retry_after_is_waited_and_capped() -> None:
    rng = random.Random(7)
    assert retry_delay(1, 30.0, 2.0, rng) == 30.0
    assert retry_delay(1, 10 * MAX_DELAY_S, 2.0, rng) == MAX_DELAY_S
    assert 1.0 <= retry_delay(1, None, 2.0, rng) <= 2.0
