"""A bad row or message fails alone: the group commit writes the rest of its group, the
webhook sender dead-letters an unsendable message and keeps sending the others, and a row
stored before the edge refused poison still reads back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete

from core.deliveries import DeliveryStore
from core.keys import KeyRing
from core.models import WebhookAttempt, WebhookDelivery
from core.states import JobStatus
from core.store import JobStore, NewJob
from core.submission import submit_jobs
from core.url_policy import UrlPolicy
from core.views import JobView
from core.webhooks import DEAD, DELIVERED
from tests.api.conftest import RecordingEnqueuer
from tests.webhook_receiver import Receiver
from workers.webhook_sender import WebhookSender

pytestmark = pytest.mark.integration


def test_a_row_the_database_refuses_fails_alone_and_its_group_is_written(
        pg_url: str) -> None:
    from core.database import make_engine, make_session_factory

    store = JobStore(make_session_factory(make_engine(pg_url)))
    enqueuer = RecordingEnqueuer()
    jobs = [NewJob("tenant-a", "search", {"query": "amber"}),
            NewJob("t" * 65, "search", {"query": "rose"}),  # longer than the column
            NewJob("tenant-c", "search", {"query": "vetiver"})]
    outcomes = submit_jobs(store, enqueuer, jobs)
    assert isinstance(outcomes[0], JobView) and isinstance(outcomes[2], JobView)
    assert isinstance(outcomes[1], Exception)
    assert [job_id for _, job_id in enqueuer.sent] == [outcomes[0].id, outcomes[2].id]
    assert store.get("tenant-c", outcomes[2].id).status == JobStatus.QUEUED


def test_an_unsendable_message_is_dead_lettered_and_the_others_are_delivered(
        sessions, store: JobStore, key_ring: KeyRing) -> None:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:
        session.execute(delete(WebhookAttempt))
        session.execute(delete(WebhookDelivery))
    key = key_ring.issue("hooks", ["search"])
    receiver = Receiver(key.webhook_secret).start()
    sender = WebhookSender(UrlPolicy.build(True, ["127.0.0.1"], []), timeout_s=10,
                           max_response_bytes=1024, per_host=4)
    deliveries = DeliveryStore(sessions, max_attempts=3, backoff_base_s=0.01)
    try:
        for query in ("amber", "vetiver"):
            job, _ = store.create(tenant_id=key.tenant_id, kind="search",
                                  input={"query": query}, webhook_url=receiver.url,
                                  api_key_id=key.key_id)
            claim = store.claim(job.id, f"d-{query}", lease_s=60)
            assert claim is not None
            store.finish(claim, JobStatus.SUCCEEDED, result={"hits": []})
        first, second = deliveries.claim_due(10, lease_s=30)
        # a message written before poison was refused at the edge: its body is not text
        poisoned = replace(first, payload={**first.payload, "data": {"note": "\udc80"}})
        statuses = deliveries.record([(m, sender.send(m)) for m in (poisoned, second)])
    finally:
        receiver.stop()
        sender.close()
    assert statuses == [DEAD, DELIVERED]
    assert [item["id"] for item in receiver.received] == [second.id]
    dead = [d for d in deliveries.for_job(key.tenant_id, first.payload["data"]["id"])]
    assert "cannot be encoded" in dead[0]["history"][0]["error"]


def test_results_a_database_cannot_hold_are_stored_cleaned(store: JobStore) -> None:
    job, _ = store.create(tenant_id="t", kind="search", input={"query": "amber"})
    claim = store.claim(job.id, "d1", lease_s=60)
    assert claim is not None
    assert store.finish(claim, JobStatus.SUCCEEDED,
                        result={"score": float("nan"), "note": "a\x00b\udc80"})
    assert store.get("t", job.id).result == {"score": None, "note": "a\ufffdb\ufffd"}
