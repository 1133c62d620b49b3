"""Finishers of one batch in several worker processes (PostgreSQL row locks).

Seen with two worker processes on a 1,000-brief batch: every finisher updates its job row
twice in its transaction, which makes PostgreSQL's foreign-key check take a KEY SHARE lock
on the batch row; two finishers holding one each and then each locking the batch row FOR
UPDATE deadlocked, and the batch ran at a quarter of its speed on retries."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from core.batches import BatchItem, BatchStore
from core.database import make_engine, make_session_factory
from core.states import JobStatus
from core.store import JobStore


@pytest.fixture
def pg_sessions(pg_url: str) -> Iterator:  # type: ignore[type-arg]
    engine = make_engine(pg_url)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_finisher_does_not_wait_for_another_finisher_of_the_same_batch(pg_sessions) -> None:  # type: ignore[no-untyped-def]
    store, batches = JobStore(pg_sessions), BatchStore(pg_sessions)
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    batch, _ = batches.create(tenant_id=tenant, kind="search",
                              items=[BatchItem({"query": "rose"}), BatchItem({"query": "oud"})])
    first, second = (row.id for row in store.page(tenant).items)
    claim = store.claim(first, "d-first", lease_s=60)
    assert claim is not None and store.claim(second, "d-second", lease_s=60) is not None

    engine = pg_sessions.kw["bind"]
    other = engine.connect()
    try:
        # another worker process, mid-way through finishing the other item of the batch
        # (`core.transitions.finish_held` updates the job row twice before it locks the batch)
        other.execute(text("UPDATE jobs SET updated_at = now() WHERE id = :id"), {"id": second})
        other.execute(text("UPDATE jobs SET progress = progress WHERE id = :id"), {"id": second})
        holders = other.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'batches' AND l.pid = pg_backend_pid()")).scalar()
        assert holders, "the foreign-key check took no lock on the batch: the test is moot"

        finished: list[JobStatus | None] = []
        finisher = threading.Thread(target=lambda: finished.append(
            store.finish(claim, JobStatus.SUCCEEDED, result={"ok": True})))
        finisher.start()
        finisher.join(timeout=10)
        assert not finisher.is_alive(), \
            "finishing one item waited for the other item's finisher (a deadlock in waiting)"
        assert finished == [JobStatus.SUCCEEDED]
    finally:
        other.rollback()
        other.close()
    finisher.join(timeout=30)
    assert batches.get(tenant, batch.id).completed_at is None  # one item is still open


def test_a_batch_cancel_racing_a_finisher_of_the_batch_does_not_deadlock(pg_sessions) -> None:  # type: ignore[no-untyped-def]
    """Seen canceling a 1,000-brief batch while a worker ran it: the cancel locked the batch
    row after its first item and then waited for a running item's row, whose finisher
    waited for the batch row: DeadlockDetected, 503. The cancel now locks the items first
    and the batch row last, as a finisher does."""
    store, batches = JobStore(pg_sessions), BatchStore(pg_sessions)
    tenant = f"t-{uuid.uuid4().hex[:8]}"
    batch, _ = batches.create(tenant_id=tenant, kind="search", items=[
        BatchItem({"query": q}) for q in ("rose", "oud", "iris")])
    running = next(iter(row.id for row in store.page(tenant).items))
    assert store.claim(running, "d-running", lease_s=60) is not None

    engine = pg_sessions.kw["bind"]
    finisher = engine.connect()
    outcome: list[object] = []
    canceler = threading.Thread(target=lambda: outcome.append(batches.cancel(tenant, batch.id)))
    try:
        finisher.execute(text("SET lock_timeout = '5s'"))
        # a worker finishing the running item: its row first ...
        finisher.execute(text("UPDATE jobs SET updated_at = now() WHERE id = :id"),
                         {"id": running})
        canceler.start()
        canceler.join(timeout=1.0)  # the cancel is now waiting for that row
        # ... then the batch row, which the cancel must not be holding
        finisher.execute(text("SELECT id FROM batches WHERE id = :id FOR NO KEY UPDATE"),
                         {"id": batch.id})
        finisher.commit()
    finally:
        finisher.close()
    canceler.join(timeout=30)
    assert not canceler.is_alive()
    (view,) = outcome
    counts = view.counts  # type: ignore[attr-defined]
    assert (counts["canceled"], counts["running"]) == (2, 1)
    job = store.get_any(running)
    assert job is not None and job.cancel_requested
