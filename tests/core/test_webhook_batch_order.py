"""A batch's `batch.completed` says "every item is final": it reaches its URL after the
messages of the batch's items queued before it, even when an outage made them all due at
once (found black-box: after a 20 s outage, batch.completed was message 41 of 61). A
dead-lettered item message does not hold it back for good."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.batches import BatchItem, BatchStore
from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.keys import IssuedKey, KeyRing
from core.models import Job, WebhookDelivery, utcnow
from core.states import JobStatus
from core.store import JobStore
from core.webhooks import DEAD, DELIVERED, PENDING
from tests.conftest import empty_outbox

pytestmark = pytest.mark.integration
URL = "http://127.0.0.1:9/hook"
OK = AttemptResult(200, None, 1.0)
DOWN = AttemptResult(None, "ConnectError: [Errno 111] Connection refused", 1.0)
REFUSED = AttemptResult(None, "refused: a private address", 0.0, permanent=True)


@pytest.fixture
def key(key_ring: KeyRing) -> IssuedKey:
    return key_ring.issue("batch-order", ["search"])


@pytest.fixture
def outbox(sessions: sessionmaker[Session]) -> DeliveryStore:
    return empty_outbox(sessions, max_attempts=8, backoff_base_s=60.0)


def finished_batch(sessions: sessionmaker[Session], key: IssuedKey, items: int,
                   url: str = URL) -> str:
    """A batch with a webhook, every item succeeded: its items' `job.completed` and its
    `batch.completed` are all pending."""
    store = JobStore(sessions)
    batch, _ = BatchStore(sessions).create(
        tenant_id=key.tenant_id, kind="search", webhook_url=url, api_key_id=key.key_id,
        items=[BatchItem({"query": f"q{i}"}) for i in range(items)])
    with sessions.begin() as session:
        job_ids = session.scalars(select(Job.id).where(Job.batch_id == batch.id)
                                  .order_by(Job.batch_index)).all()
    for job_id in job_ids:
        claim = store.claim(job_id, f"d-{job_id}", lease_s=60)
        assert claim
        store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})
    return batch.id


def everything_due_now(sessions: sessionmaker[Session]) -> None:
    """The receiver is back: every retry falls due at the same moment."""
    with sessions.begin() as session:
        session.execute(update(WebhookDelivery).where(WebhookDelivery.status == PENDING)
                        .values(next_attempt_at=utcnow()))


def kinds(messages: list[OutgoingMessage]) -> list[str]:
    return [message.payload["type"] for message in messages]


def test_batch_completed_waits_for_its_items_messages(sessions, key, outbox) -> None:  # type: ignore[no-untyped-def]
    finished_batch(sessions, key, items=6)
    first = outbox.claim_due(100, lease_s=30)
    assert kinds(first) == ["job.completed"] * 6  # not batch.completed: items are pending
    # the receiver is down: every attempt fails, then every message is due at once
    assert outbox.record([(m, DOWN) for m in first]) == [PENDING] * 6
    everything_due_now(sessions)
    again = outbox.claim_due(100, lease_s=30)
    assert kinds(again) == ["job.completed"] * 6
    assert outbox.due_count() == 0  # leased; batch.completed is not due either
    # some items get through: the batch's message still waits for the others
    assert outbox.record([(m, OK) for m in again[:4]] + [(m, DOWN) for m in again[4:]]) \
        == [DELIVERED] * 4 + [PENDING] * 2
    everything_due_now(sessions)
    last = outbox.claim_due(100, lease_s=30)
    assert kinds(last) == ["job.completed"] * 2
    assert outbox.record([(m, OK) for m in last]) == [DELIVERED] * 2
    (completed,) = outbox.claim_due(100, lease_s=30)
    assert completed.payload["type"] == "batch.completed"


def test_a_dead_lettered_item_message_does_not_hold_back_batch_completed(  # type: ignore[no-untyped-def]
        sessions, key, outbox) -> None:
    finished_batch(sessions, key, items=3)
    items = outbox.claim_due(100, lease_s=30)
    assert kinds(items) == ["job.completed"] * 3
    assert outbox.record([(items[0], REFUSED), (items[1], OK), (items[2], OK)]) \
        == [DEAD, DELIVERED, DELIVERED]
    assert outbox.next_due_in() == 0.0
    (completed,) = outbox.claim_due(100, lease_s=30)
    assert completed.payload["type"] == "batch.completed"


def test_only_the_batchs_own_items_hold_it_back(sessions, key, outbox) -> None:  # type: ignore[no-untyped-def]
    """Another batch's items, and a lone job, to the same URL do not delay this batch."""
    first = finished_batch(sessions, key, items=2)
    items = outbox.claim_due(100, lease_s=30)
    assert outbox.record([(m, OK) for m in items]) == [DELIVERED] * 2
    second = finished_batch(sessions, key, items=2)
    store = JobStore(sessions)
    job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": "x"},
                          webhook_url=URL, api_key_id=key.key_id)
    claim = store.claim(job.id, "d-lone", lease_s=60)
    assert claim
    store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})
    claimed = outbox.claim_due(100, lease_s=30)
    assert sorted(kinds(claimed)) == ["batch.completed"] + ["job.completed"] * 3
    (done,) = (m for m in claimed if m.payload["type"] == "batch.completed")
    assert done.payload["data"]["id"] == first
    with sessions.begin() as session:  # the item messages know their batch
        batches = set(session.scalars(select(WebhookDelivery.batch_id).where(
            WebhookDelivery.id.in_([m.id for m in claimed if m.id != done.id]))))
    assert batches == {second, None}


def test_after_an_outage_batch_completed_arrives_last(sessions, key, receiver, sender,  # type: ignore[no-untyped-def]
                                                      outbox) -> None:
    """The black-box scenario, scaled down: the receiver fails every request for a while,
    then answers; every retry falls due at once, and the claims take 4 heads at a time."""
    finished_batch(sessions, key, items=12, url=receiver.url)
    receiver.script = lambda n: (503, {}, 0.0) if n < 20 else (200, {}, 0.0)
    for _ in range(60):
        messages = outbox.claim_due(4, lease_s=30)
        if messages:
            outbox.record([(m, sender.send(m)) for m in messages])
        elif outbox.pending_count():
            everything_due_now(sessions)
        else:
            break
    assert receiver.types() == ["job.completed"] * 12 + ["batch.completed"]
    assert receiver.invalid == 0
