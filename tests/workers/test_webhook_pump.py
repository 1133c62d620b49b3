"""The webhook pump is driven by the outbox, not a schedule: a commit that writes outbox rows
wakes it (through Redis), a retry wakes it when it falls due, and on start it sends what
waited. Its sweep is set to an hour here, so nothing below can be the sweep's doing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.deliveries import DeliveryStore
from core.keys import IssuedKey, KeyRing
from core.models import WebhookDelivery, utcnow
from core.states import JobStatus
from core.store import JobStore
from core.url_policy import UrlPolicy
from core.wakeups import Wakeup
from core.webhooks import WEBHOOKS_CHANNEL, notify_after_outbox_commit
from tests.conftest import empty_outbox
from tests.e2e.harness import wait_until
from tests.webhook_receiver import Receiver
from workers.webhook_pump import WebhookPump
from workers.webhook_sender import WebhookSender

pytestmark = pytest.mark.integration
HOUR = 3600.0


@pytest.fixture
def key(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("pump", ["search"])


@pytest.fixture
def outbox(sessions: sessionmaker[Session]) -> DeliveryStore:
    return empty_outbox(sessions, max_attempts=3, backoff_base_s=0.2)


@pytest.fixture
def receiver(key: IssuedKey) -> Iterator[Receiver]:
    receiver = Receiver(key.webhook_secret).start()
    yield receiver
    receiver.stop()


def finished_job(store: JobStore, key: IssuedKey, url: str) -> str:
    job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": "x"},
                          webhook_url=url, webhook_events=["completed"], api_key_id=key.key_id)
    claim = store.claim(job.id, f"d-{job.id}", lease_s=60)
    assert claim
    store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})
    return job.id


@pytest.fixture
def pump(outbox: DeliveryStore, redis_url: str) -> Iterator[WebhookPump]:
    sender = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=2,
                           max_response_bytes=1024, per_host=4)
    pump = WebhookPump(outbox, sender.send, redis_url, lease_s=30, sweep_s=HOUR, senders=2)
    yield pump
    pump.stop()
    sender.close()


def test_a_commit_that_writes_the_outbox_notifies_once_after_it(
        sessions: sessionmaker[Session], key: IssuedKey, outbox: DeliveryStore) -> None:
    calls: list[int] = []
    notify_after_outbox_commit(sessions, lambda: calls.append(1))
    store = JobStore(sessions)
    job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": "x"},
                          webhook_url="http://127.0.0.1:9/hook", api_key_id=key.key_id)
    assert calls == []  # a queued job writes no webhook ("completed" only)
    claim = store.claim(job.id, "d1", lease_s=60)
    assert claim and calls == []
    store.finish(claim, JobStatus.SUCCEEDED, result={})
    assert calls == [1]
    with pytest.raises(RuntimeError), sessions.begin() as session:  # rolled back: no call
        session.add(WebhookDelivery(id="msg_x", tenant_id="t", stream="s", event_type="x",
                                    url="u", payload={}, status="pending", attempts=0,
                                    next_attempt_at=utcnow(), created_at=utcnow()))
        session.info["fragrance.outbox_written"] = True
        raise RuntimeError("abort")
    with sessions.begin():
        pass
    assert calls == [1]


def test_the_pump_sends_what_waited_when_it_starts(
        store: JobStore, key: IssuedKey, receiver: Receiver, pump: WebhookPump) -> None:
    for _ in range(3):
        finished_job(store, key, receiver.url)
    pump.start()
    wait_until(lambda: len(receiver.received) == 3, 30, "three webhooks", interval=0.1)


def test_a_wake_up_after_the_commit_sends_at_once_without_the_sweep(
        sessions: sessionmaker[Session], key: IssuedKey, receiver: Receiver,
        outbox: DeliveryStore, pump: WebhookPump, redis_url: str) -> None:
    publisher = redis.Redis.from_url(redis_url)
    notify_after_outbox_commit(sessions, Wakeup(
        lambda: publisher.publish(WEBHOOKS_CHANNEL, "")).notify)
    pump.start()
    wait_until(lambda: outbox.next_due_in() is None and subscribed(publisher), 30,
               "the pump to listen for wake-ups", interval=0.1)
    finished_job(JobStore(sessions), key, receiver.url)
    wait_until(lambda: len(receiver.received) == 1, 30, "the woken pump's send", interval=0.1)


def subscribed(client: redis.Redis) -> bool:
    subscribers = client.pubsub_numsub(WEBHOOKS_CHANNEL)  # type: ignore[no-untyped-call]
    return bool(subscribers and subscribers[0][1] >= 1)


def test_a_retry_is_sent_when_it_falls_due(
        store: JobStore, key: IssuedKey, receiver: Receiver, outbox: DeliveryStore,
        pump: WebhookPump) -> None:
    receiver.script = lambda number: (503, {}, 0.0) if number == 0 else (200, {}, 0.0)
    finished_job(store, key, receiver.url)
    pump.start()
    wait_until(lambda: len(receiver.received) == 1, 30, "the retried webhook", interval=0.1)
    assert len(receiver.attempts) == 2


def test_the_next_due_time_counts_only_stream_heads_and_leases(
        store: JobStore, key: IssuedKey, outbox: DeliveryStore,
        sessions: sessionmaker[Session]) -> None:
    assert outbox.next_due_in() is None
    finished_job(store, key, "http://127.0.0.1:9/hook")
    assert outbox.next_due_in() == 0.0
    (message,) = outbox.claim_due(10, lease_s=50)  # in flight: due again when its lease ends
    assert 40 < (outbox.next_due_in() or 0) <= 50
    with sessions.begin() as session:
        session.execute(update(WebhookDelivery).values(lease_until=None))
    assert message and outbox.next_due_in() == 0.0


def test_a_slow_receiver_holds_up_no_other_message(
        sessions: sessionmaker[Session], key: IssuedKey, receiver: Receiver,
        outbox: DeliveryStore, pump: WebhookPump, redis_url: str) -> None:
    """One tenant's receiver that answers after 1.5 s (the sender waits up to 2 s) holds
    its own message; another message due meanwhile is sent at once. The pump used to send
    in batches and wait for the slowest before claiming more."""
    publisher = redis.Redis.from_url(redis_url)
    notify_after_outbox_commit(sessions, Wakeup(
        lambda: publisher.publish(WEBHOOKS_CHANNEL, "")).notify)
    slow = Receiver(key.webhook_secret)
    slow.script = lambda number: (200, {}, 1.5)
    slow.start()
    try:
        pump.start()
        wait_until(lambda: subscribed(publisher), 30, "the pump to listen", interval=0.05)
        store = JobStore(sessions)
        finished_job(store, key, slow.url)
        wait_until(lambda: len(slow.attempts) == 1, 10, "the slow receiver's request",
                   interval=0.01)
        finished_job(store, key, receiver.url)
        wait_until(lambda: len(receiver.received) == 1, 10, "the other webhook", interval=0.01)
        assert slow.received == []  # still answering: the other did not wait for it
        wait_until(lambda: len(slow.received) == 1, 10, "the slow webhook", interval=0.05)
    finally:
        slow.stop()
