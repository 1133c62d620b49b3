"""One tenant's receivers cannot take every sender of a pump. The per-host limit bounds what
one receiver holds, but a tenant may name many hosts (or ports): with receivers on 8 ports
that never answered, tenant A held all 32 senders for the whole timeout each time, and
tenant B's webhooks waited 4 s (median), up to 7.8 s, instead of 15 ms. A tenant holds at
most `senders` less a quarter (rounded down) at once; the rest wait their turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.keys import IssuedKey, KeyRing
from core.models import WebhookDelivery, utcnow
from core.states import JobStatus
from core.store import JobStore
from core.webhooks import PENDING
from tests.conftest import empty_outbox
from tests.e2e.harness import wait_until
from workers.webhook_pump import WebhookPump

pytestmark = pytest.mark.integration


@pytest.fixture
def outbox(sessions: sessionmaker[Session]) -> DeliveryStore:
    return empty_outbox(sessions, max_attempts=3, backoff_base_s=0.2)


def finished(store: JobStore, key: IssuedKey, url: str) -> None:
    job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": "x"},
                          webhook_url=url, webhook_events=["completed"], api_key_id=key.key_id)
    claim = store.claim(job.id, f"d-{job.id}", lease_s=60)
    assert claim
    store.finish(claim, JobStatus.SUCCEEDED, result={})


class Receivers:
    """A's hosts never answer (until released); B's answer at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.hanging = 0
        self.delivered: dict[str, float] = {}

    def send(self, message: OutgoingMessage) -> AttemptResult:
        if "/a/" in message.url:
            with self.lock:
                self.hanging += 1
            self.release.wait(30)
            return AttemptResult(None, "timeout", 30_000.0)
        self.delivered[message.id] = time.monotonic()
        return AttemptResult(200, None, 1.0)


@pytest.fixture
def receivers() -> Iterator[Receivers]:
    receivers = Receivers()
    yield receivers
    receivers.release.set()


def test_a_tenants_hanging_receivers_leave_senders_for_the_others(
        sessions: sessionmaker[Session], key_ring: KeyRing, outbox: DeliveryStore,
        redis_url: str, receivers: Receivers) -> None:
    a, b = key_ring.issue("tenant-a", ["search"]), key_ring.issue("tenant-b", ["search"])
    assert a.tenant_id != b.tenant_id
    store = JobStore(sessions)
    for port in range(8001, 8009):  # many hosts: the per-host limit does not bound them
        for _ in range(2):
            finished(store, a, f"http://a{port}.example/a/hook")
    pump = WebhookPump(outbox, receivers.send, redis_url, lease_s=120, sweep_s=3600,
                       senders=4)
    try:
        pump.start()
        wait_until(lambda: receivers.hanging >= 3, 10, "A's receivers to hang", interval=0.05)
        time.sleep(0.3)  # every sender A could take is taken
        finished(store, b, "http://b.example/b/hook")
        started = time.monotonic()
        pump.wake()
        wait_until(lambda: receivers.delivered, 5, "B's webhook", interval=0.05)
        assert min(receivers.delivered.values()) - started < 2.0
        assert receivers.hanging == 3  # A holds at most 4 - 1 senders
    finally:
        receivers.release.set()
        pump.stop()


def test_a_message_past_its_tenants_share_waits_briefly_while_the_tenants_sends_are_young(
        sessions: sessionmaker[Session], key_ring: KeyRing, outbox: DeliveryStore,
        redis_url: str) -> None:
    """Postponed by a second, a tenant's backlog to a receiver answering in milliseconds
    went out a second late, a quarter of it (the share is three quarters of the senders);
    while the tenant's sends are young, a turn frees soon: a tenth of a second."""
    a = key_ring.issue("tenant-a", ["search"])
    store = JobStore(sessions)
    for _ in range(4):
        finished(store, a, YOUNG_URL)
    release = threading.Event()

    def slow(message: OutgoingMessage) -> AttemptResult:
        release.wait(5)
        return AttemptResult(200, None, 1.0)

    pump = WebhookPump(outbox, slow, redis_url, lease_s=120, sweep_s=3600, senders=4)
    claimed_at = utcnow()
    try:
        pump.start()
        wait_until(lambda: _postponed(sessions, claimed_at), 5,
                   "the fourth message postponed", interval=0.02)
        (postponed,) = _postponed(sessions, claimed_at)
        assert postponed - claimed_at < timedelta(seconds=0.6)  # not a second
    finally:
        release.set()
        pump.stop()


YOUNG_URL = "http://young.example/a/hook"


def _postponed(sessions: sessionmaker[Session], since: datetime) -> list[datetime]:
    """When each message postponed (due again after `since`) without an attempt is due."""
    with sessions.begin() as session:
        return [row.next_attempt_at for row in session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.status == PENDING, WebhookDelivery.lease_until.is_(None),
            WebhookDelivery.attempts == 0, WebhookDelivery.url == YOUNG_URL,
            WebhookDelivery.next_attempt_at > since))]
