"""The job store on real SQLite and PostgreSQL with real migrations."""

from __future__ import annotations

import threading
from datetime import timedelta, timezone

import pytest
from sqlalchemy import update

from core.errors import IdempotencyConflict, JobCanceled, JobNotFound, TransitionRefused
from core.models import Job, utcnow
from core.states import JobStatus
from core.store import JobStore, encode_cursor

pytestmark = pytest.mark.integration


def new_job(store: JobStore, tenant: str = "t1", **kw) -> str:  # type: ignore[no-untyped-def]
    job, created = store.create(tenant_id=tenant, kind="search", input={"query": "rose"}, **kw)
    assert created
    return job.id


def test_a_job_is_visible_only_to_its_tenant(store: JobStore) -> None:
    job_id = new_job(store, "alice")
    assert store.get("alice", job_id).status == "queued"
    with pytest.raises(JobNotFound):
        store.get("bob", job_id)
    with pytest.raises(JobNotFound):
        store.get("alice", "no-such-id")


def test_only_one_delivery_wins_the_claim(store: JobStore) -> None:
    job_id = new_job(store)
    wins = []
    barrier = threading.Barrier(4)

    def contender(n: int) -> None:
        barrier.wait()
        if store.claim(job_id, f"delivery-{n}", lease_s=60):
            wins.append(n)

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert store.get("t1", job_id).attempts == 1


def test_the_same_delivery_reclaims_and_an_expired_lease_is_taken_over(store: JobStore,
                                                                      sessions) -> None:  # type: ignore[no-untyped-def]
    job_id = new_job(store)
    first = store.claim(job_id, "d1", lease_s=60)
    assert first and first.attempt == 1
    assert store.claim(job_id, "d2", lease_s=60) is None
    again = store.claim(job_id, "d1", lease_s=60)  # redelivered message, same delivery id
    assert again and again.attempt == 2
    with sessions.begin() as s:
        s.execute(update(Job).where(Job.id == job_id)
                  .values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    taken = store.claim(job_id, "d3", lease_s=60)
    assert taken and taken.attempt == 3
    assert not store.finish(again, JobStatus.SUCCEEDED, result={"stale": True})  # fenced
    assert store.finish(taken, JobStatus.SUCCEEDED, result={"ok": True})
    job = store.get("t1", job_id)
    assert (job.status, job.result, job.progress) == ("succeeded", {"ok": True}, 1.0)
    assert store.claim(job_id, "d3", lease_s=60) is None  # finished: nobody runs it again


def test_events_record_every_transition_in_order(store: JobStore) -> None:
    job_id = new_job(store)
    claim = store.claim(job_id, "d1", lease_s=60)
    assert claim
    store.checkpoint(claim, 0.95 * 17 / 40, {"step": 1})  # 0.40374999999999994
    assert store.get("t1", job_id).progress == 0.4037  # what a person reads
    store.finish(claim, JobStatus.FAILED, error={"type": "boom", "message": "x"})
    events = store.events("t1", job_id)
    assert [e.type for e in events] == ["queued", "started", "progress", "failed"]
    assert events[2].data["progress"] == 0.4037
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert [e.seq for e in store.events("t1", job_id, after_seq=2)] == [3, 4]


def test_cancel_queued_running_and_finished(store: JobStore) -> None:
    queued = new_job(store)
    assert store.request_cancel("t1", queued).status == "canceled"
    assert store.claim(queued, "d", lease_s=60) is None

    running = new_job(store)
    claim = store.claim(running, "d", lease_s=60)
    assert claim
    assert store.request_cancel("t1", running).cancel_requested
    with pytest.raises(JobCanceled):
        store.checkpoint(claim, 0.5)
    assert store.finish(claim, JobStatus.CANCELED)

    done = new_job(store)
    claim = store.claim(done, "d", lease_s=60)
    assert claim and store.finish(claim, JobStatus.SUCCEEDED, result={})
    with pytest.raises(TransitionRefused):
        store.request_cancel("t1", done)


def test_keyset_pages_cover_every_job_once(store: JobStore) -> None:
    tenant = "pager"
    ids = {new_job(store, tenant) for _ in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        page = store.page(tenant, limit=3, cursor=cursor)
        seen += [job.id for job in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids) and len(seen) == 7
    assert not store.page(tenant, status="succeeded").items
    # a cursor's time in another zone is the same instant (it was read as UTC)
    newest = store.page(tenant, limit=1).items[0]
    shifted = newest.created_at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    elsewhere = store.page(tenant, limit=10, cursor=encode_cursor(shifted, newest.id))
    assert [job.id for job in elsewhere.items] == [job.id for job in store.page(
        tenant, limit=10, cursor=encode_cursor(newest.created_at, newest.id)).items]
    assert len(elsewhere.items) == 6
    with pytest.raises(ValueError):
        store.page(tenant, cursor="garbage!")


def test_idempotency_key_replays_and_conflicts(store: JobStore) -> None:
    first, created = store.create(tenant_id="t1", kind="search", input={"q": 1},
                                  idempotency_key="k1", request_hash="h1")
    again, created_again = store.create(tenant_id="t1", kind="search", input={"q": 1},
                                        idempotency_key="k1", request_hash="h1")
    assert created and not created_again and again.id == first.id
    with pytest.raises(IdempotencyConflict):
        store.create(tenant_id="t1", kind="search", input={"q": 2}, idempotency_key="k1",
                     request_hash="h2")
    other, created_other = store.create(tenant_id="t2", kind="search", input={"q": 1},
                                        idempotency_key="k1", request_hash="h1")
    assert created_other and other.id != first.id


def test_concurrent_submits_with_one_key_make_one_job(store: JobStore) -> None:
    results = []
    barrier = threading.Barrier(6)

    def submit() -> None:
        barrier.wait()
        results.append(store.create(tenant_id="t1", kind="search", input={"q": "same"},
                                    idempotency_key="race", request_hash="h"))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({job.id for job, _ in results}) == 1
    assert sum(created for _, created in results) == 1


def test_idempotency_keys_expire(sessions) -> None:  # type: ignore[no-untyped-def]
    store = JobStore(sessions, idempotency_ttl_s=60)
    first, _ = store.create(tenant_id="t1", kind="search", input={}, idempotency_key="old",
                            request_hash="h")
    with sessions.begin() as s:
        s.execute(update(Job).where(Job.id == first.id)
                  .values(created_at=utcnow() - timedelta(minutes=5)))
    fresh, created = store.create(tenant_id="t1", kind="search", input={"other": 1},
                                  idempotency_key="old", request_hash="h2")
    assert created and fresh.id != first.id


def test_ping_opens_the_connections_asked_for_and_keeps_them_pooled(sessions) -> None:  # type: ignore[no-untyped-def]
    engine = sessions.kw["bind"]
    JobStore(sessions).ping(connections=4)
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() >= 4  # a worker's first claims find them open
