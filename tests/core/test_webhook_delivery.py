"""Webhook delivery against a real local receiver that verifies signatures with the
`standardwebhooks` library: ordering, retries, Retry-After, timeouts, redirects, dead letters,
secret rotation. The sender and the outbox are real; Celery is exercised in tests/e2e."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from core.deliveries import DeliveryStore
from core.models import WebhookAttempt, WebhookDelivery, utcnow
from core.states import JobStatus
from core.store import JobStore
from core.url_policy import UrlPolicy
from core.webhooks import DEAD, DELIVERED, PENDING
from workers.webhook_sender import WebhookSender

pytestmark = pytest.mark.integration


@pytest.fixture
def deliveries(sessions) -> DeliveryStore:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:  # the outbox is shared by the whole database
        session.execute(delete(WebhookAttempt))
        session.execute(delete(WebhookDelivery))
    return DeliveryStore(sessions, max_attempts=3, backoff_base_s=0.01)


def finished_job(store: JobStore, key, url: str, events=("started", "completed")) -> str:  # type: ignore[no-untyped-def]
    job, _ = store.create(tenant_id=key.tenant_id, kind="search", input={"query": "x"},
                          webhook_url=url, webhook_events=list(events), api_key_id=key.key_id)
    claim = store.claim(job.id, "d1", lease_s=60)
    assert claim
    store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})
    return job.id


def drain(deliveries: DeliveryStore, sender: WebhookSender, rounds: int = 20) -> list[str]:
    """Send what is due as the deliver task does, making retries due at once."""
    outcomes: list[str] = []
    for _ in range(rounds):
        messages = deliveries.claim_due(10, lease_s=30)
        if not messages:
            with deliveries._sessions.begin() as session:  # retries due now
                moved = session.execute(update(WebhookDelivery).where(
                    WebhookDelivery.status == PENDING).values(next_attempt_at=utcnow()))
            if not moved.rowcount:  # type: ignore[attr-defined]
                break
            continue
        outcomes += deliveries.record([(m, sender.send(m)) for m in messages])
    return outcomes


def test_signed_messages_arrive_in_order(store, key, receiver, sender, deliveries) -> None:  # type: ignore[no-untyped-def]
    job_id = finished_job(store, key, receiver.url)
    assert drain(deliveries, sender) == [DELIVERED, DELIVERED]
    assert receiver.types() == ["job.started", "job.completed"]
    assert receiver.invalid == 0
    completed = receiver.received[1]
    assert completed["data"]["id"] == job_id and completed["data"]["status"] == "succeeded"
    log = deliveries.for_job(key.tenant_id, job_id)
    assert [d["status"] for d in log] == ["delivered", "delivered"]
    assert log[0]["history"][0]["status_code"] == 200


def test_retries_keep_the_id_and_honour_retry_after(store, key, receiver, sender,  # type: ignore[no-untyped-def]
                                                    deliveries) -> None:
    answers = {0: (500, {}, 0.0), 1: (429, {"Retry-After": "0"}, 0.0)}
    receiver.script = lambda n: answers.get(n, (200, {}, 0.0))
    job_id = finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [PENDING, PENDING, DELIVERED]
    assert len(set(receiver.attempts)) == 1 and len(receiver.attempts) == 3
    history = deliveries.for_job(key.tenant_id, job_id)[0]["history"]
    assert [h["status_code"] for h in history] == [500, 429, 200]


def test_timeouts_redirects_and_dead_letters(store, key, receiver, sender,  # type: ignore[no-untyped-def]
                                             deliveries) -> None:
    impatient = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=0.5,
                              max_response_bytes=1024, per_host=4)
    receiver.script = lambda n: (200, {}, 2.0)  # slower than that sender's 0.5 s timeout
    slow = finished_job(store, key, receiver.url, events=("completed",))
    try:
        assert drain(deliveries, impatient) == [PENDING, PENDING, DEAD]
    finally:
        impatient.close()
    assert deliveries.for_job(key.tenant_id, slow)[0]["history"][0]["error"] == "timeout"

    receiver.script = lambda n: (302, {"Location": "http://169.254.169.254/"}, 0.0)
    moved = finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DEAD]
    entry = deliveries.for_job(key.tenant_id, moved)[0]
    assert entry["history"][0]["error"] == "redirect not followed"

    receiver.script = lambda n: (200, {}, 0.0)
    again = deliveries.redeliver(key.tenant_id, moved, entry["id"])
    assert again["status"] == PENDING
    assert drain(deliveries, sender) == [DELIVERED]


def test_one_sender_per_message_and_streams_in_order(store, key, receiver,  # type: ignore[no-untyped-def]
                                                     deliveries) -> None:
    first = finished_job(store, key, receiver.url)  # started + completed
    second = finished_job(store, key, receiver.url)
    claimed = deliveries.claim_due(10, lease_s=30)
    assert sorted(m.payload["data"]["id"] for m in claimed) == sorted([first, second])
    assert {m.payload["type"] for m in claimed} == {"job.started"}  # heads only
    assert deliveries.claim_due(10, lease_s=30) == []  # leased, and the rest wait behind


def test_a_receiver_cookie_is_never_sent_back(store, key, receiver, sender,  # type: ignore[no-untyped-def]
                                             deliveries) -> None:
    """One sender serves every tenant: a cookie a receiver sets must not travel with the
    next message to that host (another tenant's, maybe)."""
    receiver.script = lambda n: (200, {"Set-Cookie": "session=tenant-a; Path=/"}, 0.0)
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]
    assert receiver.cookies == ["", ""]


def test_refused_urls_fail_without_a_request(store, key, receiver, deliveries) -> None:  # type: ignore[no-untyped-def]
    strict = WebhookSender(UrlPolicy.build(True, [], []), timeout_s=1, max_response_bytes=10,
                           per_host=1)
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, strict) == [DEAD]
    assert receiver.attempts == []


def test_rotated_secrets_sign_with_both_during_the_overlap(store, key, key_ring, receiver,  # type: ignore[no-untyped-def]
                                                           sender, deliveries) -> None:
    new_secret = key_ring.rotate_webhook_secret(key.key_id, overlap_s=3600).secret
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]  # old secret still verifies
    receiver.secret = new_secret
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]
    assert receiver.invalid == 0


def test_a_rotation_signs_from_the_first_message_after_it(store, key, key_ring, receiver,  # type: ignore[no-untyped-def]
                                                          sender, deliveries) -> None:
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]  # the key's secrets were read once
    new_secret = key_ring.rotate_webhook_secret(key.key_id, overlap_s=3600).secret
    receiver.secret = new_secret  # a receiver that switched at once still verifies
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]
    assert receiver.invalid == 0


def test_a_second_rotation_keeps_the_first_old_secret_signing(store, key, key_ring,  # type: ignore[no-untyped-def]
                                                              receiver, sender,
                                                              deliveries) -> None:
    key_ring.rotate_webhook_secret(key.key_id, overlap_s=3600)
    key_ring.rotate_webhook_secret(key.key_id, overlap_s=3600)
    finished_job(store, key, receiver.url, events=("completed",))
    assert drain(deliveries, sender) == [DELIVERED]  # the original secret still verifies
    assert receiver.invalid == 0


def test_rotations_at_the_same_time_lose_no_secret(key, key_ring, sessions) -> None:  # type: ignore[no-untyped-def]
    """Four rotations at once each answer a secret, and each of them signs: it is the
    current one or a retired one still in its overlap (on SQLite, without row locks, three
    of four had been lost through the API)."""
    from concurrent.futures import ThreadPoolExecutor

    from core.database import transaction
    from core.models import ApiKey

    for _ in range(10):
        with ThreadPoolExecutor(4) as pool:
            answered = list(pool.map(lambda _: key_ring.rotate_webhook_secret(
                key.key_id, overlap_s=3600).secret, range(4)))
        with transaction(sessions) as session:
            row = session.get(ApiKey, key.key_id)
            signing = {row.webhook_secret,
                       *(r["secret"] for r in row.retired_webhook_secrets)}
        assert len(set(answered)) == 4 and set(answered) <= signing
