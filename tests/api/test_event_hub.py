"""The API's event hub against a real Redis: an announced job that a waiter watches wakes the
hub at once; announcements of jobs nobody here watches cost no database read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis

from api.events import EventHub
from core.states import NOTIFY_CHANNEL


class CountingStore:
    """The two store reads the hub makes, counted (the seam under test is the hub's)."""

    def __init__(self) -> None:
        self.reads = 0

    def last_event_id(self) -> int:
        return 0

    def events_of_many(self, job_ids: Any, after_id: int) -> list[Any]:
        self.reads += 1
        return []


async def _announce_and_count(redis_url: str) -> tuple[int, int]:
    store = CountingStore()
    hub = EventHub(store, interval_s=30, broker_url=redis_url)  # type: ignore[arg-type]
    broker = redis.Redis.from_url(redis_url)
    try:
        async with hub.subscribe("job-watched"):
            for _ in range(100):  # the listener is subscribed once an announcement arrives
                if broker.publish(NOTIFY_CHANNEL, "job-watched"):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            settled = store.reads
            for _ in range(20):
                broker.publish(NOTIFY_CHANNEL, "job-of-someone-else")
            await asyncio.sleep(0.5)
            unwatched = store.reads - settled
            broker.publish(NOTIFY_CHANNEL, "job-watched")
            await asyncio.sleep(0.5)
            watched = store.reads - settled - unwatched
    finally:
        await hub.close()
        broker.close()
    return unwatched, watched


def test_only_announcements_of_watched_jobs_wake_the_hub(redis_url: str) -> None:
    unwatched, watched = asyncio.run(_announce_and_count(redis_url))
    assert unwatched == 0
    assert watched == 1


async def _wake_a_waiter(redis_url: str, announcement: str) -> tuple[bool, int]:
    store = CountingStore()
    hub = EventHub(store, interval_s=30, broker_url=redis_url)  # type: ignore[arg-type]
    broker = redis.Redis.from_url(redis_url)
    try:
        async with hub.subscribe("job-awaited", wants_events=False) as waiter:
            for _ in range(100):  # the listener is subscribed once an announcement arrives
                if broker.publish(NOTIFY_CHANNEL, "job-of-someone-else"):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.3)
            waiter.changed.clear()
            settled = store.reads
            broker.publish(NOTIFY_CHANNEL, announcement)
            try:
                await asyncio.wait_for(waiter.changed.wait(), 10)
            except TimeoutError:
                return False, store.reads - settled
            await asyncio.sleep(0.3)
            return True, store.reads - settled
    finally:
        await hub.close()
        broker.close()


@pytest.mark.parametrize("announcement", ["job-awaited", "job-before job-awaited job-after"],
                         ids=["alone", "among the jobs of one finished group"])
def test_an_announcement_wakes_a_waiter_itself_without_polling_the_events(
        redis_url: str, announcement: str) -> None:
    """`Prefer: wait` reads its job when the job is announced, alone or with the others a
    worker finished in the same transaction: the hub's poll of the events (one query for
    every stream) is not woken for it."""
    woken, reads = asyncio.run(_wake_a_waiter(redis_url, announcement))
    assert woken
    assert reads == 0
