"""Redelivering a webhook message (`DeliveryStore.redeliver`): it keeps its attempt count,
every attempt gets its own number in the history, and it gets a fresh retry budget - the
full schedule of attempts again. Real outbox, real sender, a local receiver."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select

from core.deliveries import DeliveryStore
from core.keys import IssuedKey
from core.models import WebhookAttempt, WebhookDelivery, utcnow
from core.store import JobStore
from core.webhooks import DEAD, DELIVERED, PENDING
from tests.core.test_webhook_delivery import drain, finished_job
from tests.webhook_receiver import Receiver
from workers.webhook_sender import WebhookSender

pytestmark = pytest.mark.integration
MAX_ATTEMPTS = 3


@pytest.fixture
def failing_receiver(receiver: Receiver) -> Receiver:
    receiver.script = lambda n: (500, {}, 0.0)
    return receiver


def outbox(sessions: Any, backoff_base_s: float) -> DeliveryStore:
    with sessions.begin() as session:  # the outbox is shared by the whole database
        session.execute(delete(WebhookAttempt))
        session.execute(delete(WebhookDelivery))
    return DeliveryStore(sessions, max_attempts=MAX_ATTEMPTS, backoff_base_s=backoff_base_s)


def test_a_redelivered_message_keeps_its_count_numbers_each_attempt_and_gets_the_full_budget(
        sessions: Any, store: JobStore, key: IssuedKey, failing_receiver: Receiver,
        sender: WebhookSender) -> None:
    deliveries = outbox(sessions, backoff_base_s=0.01)
    job_id = finished_job(store, key, failing_receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [PENDING, PENDING, DEAD]
    [dead] = deliveries.for_job(key.tenant_id, job_id)
    assert dead["attempts"] == 3

    again = deliveries.redeliver(key.tenant_id, job_id, dead["id"])
    assert again["status"] == PENDING and again["attempts"] == 3  # the true count
    assert drain(deliveries, sender) == [PENDING, PENDING, DEAD]  # three more tries
    [dead] = deliveries.for_job(key.tenant_id, job_id)
    assert dead["attempts"] == 6
    assert [entry["attempt"] for entry in dead["history"]] == [1, 2, 3, 4, 5, 6]

    failing_receiver.script = lambda n: (200, {}, 0.0)
    deliveries.redeliver(key.tenant_id, job_id, dead["id"])
    assert drain(deliveries, sender) == [DELIVERED]
    [delivered] = deliveries.for_job(key.tenant_id, job_id)
    assert delivered["status"] == DELIVERED and delivered["attempts"] == 7
    assert [entry["attempt"] for entry in delivered["history"]] == list(range(1, 8))
    assert len(failing_receiver.attempts) == 7


def test_a_redelivered_message_retries_on_the_schedule_from_its_first_delay(
        sessions: Any, store: JobStore, key: IssuedKey, failing_receiver: Receiver,
        sender: WebhookSender) -> None:
    base_s = 100.0
    deliveries = outbox(sessions, backoff_base_s=base_s)
    job_id = finished_job(store, key, failing_receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [PENDING, PENDING, DEAD]  # drain skips delays
    [dead] = deliveries.for_job(key.tenant_id, job_id)
    deliveries.redeliver(key.tenant_id, job_id, dead["id"])
    [message] = deliveries.claim_due(10, lease_s=30)
    assert (message.attempt, message.budget_attempt) == (4, 1)
    assert deliveries.record([(message, sender.send(message))]) == [PENDING]
    with sessions() as session:
        retry_at = session.scalar(select(WebhookDelivery.next_attempt_at))
    assert retry_at - utcnow() <= timedelta(seconds=base_s)  # the first delay, not the 4th


def test_redelivering_for_a_job_that_is_not_the_tenants_says_no_job(
        sessions: Any, store: JobStore, key: IssuedKey, key_ring: Any,
        failing_receiver: Receiver) -> None:
    """Like every other route of a job: a job the tenant does not have is "no job", not
    "no webhook message of this job" (the route named a message of a job that is not there)."""
    from core.errors import DeliveryNotFound, JobNotFound

    deliveries = outbox(sessions, backoff_base_s=0.01)
    job_id = finished_job(store, key, failing_receiver.url, events=("completed",))
    [message] = deliveries.for_job(key.tenant_id, job_id)
    missing = "00000000-0000-0000-0000-000000000000"
    with pytest.raises(JobNotFound):
        deliveries.redeliver(key.tenant_id, missing, message["id"])
    other = key_ring.issue("someone-else", ["search"])
    with pytest.raises(JobNotFound):  # another tenant's job is no job of theirs
        deliveries.redeliver(other.tenant_id, job_id, message["id"])
    with pytest.raises(DeliveryNotFound):
        deliveries.redeliver(key.tenant_id, job_id, "msg_" + "0" * 32)


def test_a_message_being_sent_is_not_redelivered_beside_its_attempt(
        sessions: Any, store: JobStore, key: IssuedKey, failing_receiver: Receiver,
        sender: WebhookSender) -> None:
    """Five redeliveries while a hanging receiver held the first attempt made four
    overlapping POSTs of one webhook-id, attempts numbered 1,1,1,1,2..., past the budget.
    A message held by the sender is refused (409 at the API); once the attempt ends, it
    is redelivered as before."""
    from core.errors import DeliveryInFlight

    deliveries = outbox(sessions, backoff_base_s=100.0)
    job_id = finished_job(store, key, failing_receiver.url, events=("completed",))
    [message] = deliveries.claim_due(10, lease_s=30)  # in flight
    with pytest.raises(DeliveryInFlight):
        deliveries.redeliver(key.tenant_id, job_id, message.id)
    assert deliveries.claim_due(10, lease_s=30) == []  # still one chain
    assert deliveries.record([(message, sender.send(message))]) == [PENDING]
    again = deliveries.redeliver(key.tenant_id, job_id, message.id)  # waiting: due now
    assert again["status"] == PENDING
    [retry] = deliveries.claim_due(10, lease_s=30)
    assert retry.attempt == 2
