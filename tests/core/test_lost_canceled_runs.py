"""A run whose cancel was requested and whose worker was lost ends canceled, like any other
canceled job (with `CANCELED_ERROR`), and its batch completes: requeued, its next claim ends
it (it used to end with no error); its message delivered again, the claim ends it too (it
used to stay running until its lease was noticed)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from core.batches import BatchItem, BatchStore
from core.models import Job, utcnow
from core.store import JobStore
from core.transitions import CANCELED_ERROR

pytestmark = pytest.mark.integration


def _lose_its_worker(sessions: sessionmaker[Session], job_id: str) -> None:
    with sessions.begin() as session:
        session.execute(update(Job).where(Job.id == job_id)
                        .values(lease_expires_at=utcnow() - timedelta(seconds=1)))


def test_a_lost_run_whose_cancel_was_requested_ends_canceled_and_its_batch_completes(
        store: JobStore, sessions: sessionmaker[Session]) -> None:
    batches = BatchStore(sessions)
    batch, _ = batches.create(tenant_id="t1", kind="search",
                              items=[BatchItem({"query": "rose"})] * 2)
    items = [job for _, job in batches.items("t1", batch.id).items]
    running = store.claim(items[0].id, "d1", lease_s=60)
    assert running is not None
    batches.cancel("t1", batch.id)  # the queued item now, the running one at its next step
    _lose_its_worker(sessions, items[0].id)  # ...but its worker died first

    assert [run.job_id for run in store.requeue_lost()] == [items[0].id]
    assert store.claim(items[0].id, "d2", lease_s=60) is None  # its turn: it never runs
    job = store.get("t1", items[0].id)
    assert (job.status, job.error) == ("canceled", CANCELED_ERROR)
    assert [event.type for event in store.events("t1", job.id)][-1] == "canceled"
    assert batches.get("t1", batch.id).completed_at is not None
    lines = batches.results("t1", batch.id)
    assert [line.error for line in lines] == [CANCELED_ERROR] * 2


def test_a_redelivered_run_whose_cancel_was_requested_ends_canceled_with_the_error(
        store: JobStore, sessions: sessionmaker[Session]) -> None:
    job, _ = store.create(tenant_id="t1", kind="search", input={"query": "rose"})
    assert store.claim(job.id, "d1", lease_s=60) is not None
    assert store.request_cancel("t1", job.id).cancel_requested
    _lose_its_worker(sessions, job.id)

    assert store.claim(job.id, "d2", lease_s=60) is None  # the message came again
    ended = store.get("t1", job.id)
    assert (ended.status, ended.error) == ("canceled", CANCELED_ERROR)
    assert store.events("t1", job.id)[-1].data == {"status": "canceled",
                                                   "error": CANCELED_ERROR}
