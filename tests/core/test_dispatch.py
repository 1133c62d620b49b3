"""Fair dispatch on both databases: windows per tenant, the backlog refilled oldest first
and interleaved across tenants, caps, lost workers and lost messages."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update

from core.batches import BatchItem, BatchStore
from core.dispatch import (
    Company,
    Dispatched,
    DispatchPolicy,
    DispatchQueue,
    admit,
    new_delivery_id,
)
from core.errors import QuotaExceeded
from core.job_labels import job_id_of
from core.models import Job, utcnow
from core.states import JobStatus
from core.store import ClaimRequest, JobStore, NewJob
from core.views import JobView

pytestmark = pytest.mark.integration
POLICY = DispatchPolicy(windows={"search": 2}, caps={"search": 6})


@pytest.fixture
def fair(sessions) -> tuple[JobStore, DispatchQueue]:  # type: ignore[no-untyped-def]
    with sessions.begin() as session:  # the dispatcher sees the whole database
        session.execute(update(Job).where(Job.status == "queued").values(status="canceled"))
    return JobStore(sessions, policy=POLICY), DispatchQueue(sessions, POLICY)


@pytest.fixture
def a() -> str:
    return f"a-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def b() -> str:
    return f"b-{uuid.uuid4().hex[:8]}"


def pairs(dispatched: list[Dispatched]) -> list[tuple[str, str]]:
    return [(job.job_id, job.kind) for job in dispatched]


def submit(store: JobStore, tenant: str, count: int) -> list[JobView]:
    outcomes = store.create_many([NewJob(tenant, "search", {"query": f"{tenant} {i}"})
                                  for i in range(count)])
    assert all(isinstance(o, JobView) for o in outcomes)
    return outcomes  # type: ignore[return-value]


def test_a_burst_fills_its_window_and_waits_in_the_store(
        fair: tuple[JobStore, DispatchQueue], a: str, b: str) -> None:
    store, _ = fair
    burst = submit(store, a, 5)
    assert [job.dispatched for job in burst] == [True, True, False, False, False]
    (lone,) = submit(store, b, 1)
    assert lone.dispatched  # another tenant's window is its own
    (late,) = submit(store, a, 1)
    assert not late.dispatched  # behind the tenant's own backlog, even with room


def test_the_dispatcher_refills_windows_oldest_first_tenants_interleaved(
        fair: tuple[JobStore, DispatchQueue], a: str, b: str) -> None:
    store, queue = fair
    a_jobs, b_jobs = submit(store, a, 5), submit(store, b, 4)
    assert pairs(queue.refill()) == []  # every window is full
    for job in (*a_jobs[:2], *b_jobs[:2]):  # workers take what was in the broker...
        claim = store.claim(job.id, new_delivery_id(job.id), lease_s=60)
        assert claim is not None
    assert pairs(queue.refill()) == []  # ...running still counts: in flight until finished
    for job in (*a_jobs[:2], *b_jobs[:2]):
        store.finish(_running_claim(store, job.id), JobStatus.SUCCEEDED, result={})
    assert pairs(queue.refill()) == [(a_jobs[2].id, "search"), (b_jobs[2].id, "search"),
                              (a_jobs[3].id, "search"), (b_jobs[3].id, "search")]
    assert queue.backlog() == {"search": 1}


def test_a_lone_tenant_may_fill_its_lone_window_until_another_tenant_has_work(
        fair: tuple[JobStore, DispatchQueue], sessions, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    """While no other tenant has a search queued or running, the dispatcher fills a
    tenant's lone window (its groups overlap); with another tenant's job in flight or
    waiting, only its window, and nothing more until it is back under it; and the lone
    window again only once the other tenant has had nothing for `lone_after_s`."""
    with sessions.begin() as session:  # other tests' running searches are not tenants here
        session.execute(update(Job).where(Job.kind == "search", Job.status == "running")
                        .values(status="canceled"))
    policy = DispatchPolicy(windows={"search": 2}, lone_windows={"search": 5})
    now = [100.0]
    store = JobStore(sessions, policy=policy)
    queue = DispatchQueue(sessions, policy, Company(lone_after_s=2.0, clock=lambda: now[0]))
    a_jobs = submit(store, a, 10)
    assert sum(job.dispatched for job in a_jobs) == 2  # a submit gets the window only
    assert pairs(queue.refill()) == [(job.id, "search") for job in a_jobs[2:5]]
    assert pairs(queue.refill()) == []  # the lone window is full
    (b_job,) = submit(store, b, 1)
    assert b_job.dispatched  # another tenant: straight to the broker, its own window
    finish(store, a_jobs[:4])
    assert pairs(queue.refill()) == [(a_jobs[5].id, "search")]  # 1 in flight: window 2
    finish(store, [b_job])
    finish(store, [a_jobs[4]])
    now[0] += 1.0  # b sends its next job any moment: a is not alone yet
    assert pairs(queue.refill()) == [(a_jobs[6].id, "search")]
    now[0] += 1.0
    assert pairs(queue.refill()) == [(job.id, "search") for job in a_jobs[7:10]]  # alone


def finish(store: JobStore, jobs: list[JobView]) -> None:
    for job in jobs:
        store.finish(store.claim(job.id, new_delivery_id(job.id), lease_s=60),  # type: ignore[arg-type]
                     JobStatus.SUCCEEDED, result={})


def test_caps_refuse_jobs_beyond_the_tenants_limit(fair: tuple[JobStore, DispatchQueue],
                                                   sessions, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    store, _ = fair
    outcomes = store.create_many([NewJob(a, "search", {"query": str(i)}) for i in range(8)])
    assert [type(o).__name__ for o in outcomes] == ["JobView"] * 6 + ["QuotaExceeded"] * 2
    with pytest.raises(QuotaExceeded):
        store.create(tenant_id=a, kind="search", input={"query": "one more"})
    # the admission statement is built once per capped or not: each use counts its own
    uncapped = store.create_many([NewJob(a, "recipe", {"brief": str(i)}) for i in range(8)])
    assert [type(o).__name__ for o in uncapped] == ["JobView"] * 8
    other = store.create_many([NewJob(b, "search", {"query": str(i)}) for i in range(7)])
    assert [type(o).__name__ for o in other] == ["JobView"] * 6 + ["QuotaExceeded"]
    b_open = store.create_many([NewJob(b, "search", {"query": "x"})])
    assert [type(o).__name__ for o in b_open] == ["QuotaExceeded"]
    batches = BatchStore(sessions, POLICY)
    with pytest.raises(QuotaExceeded):
        batches.create(tenant_id=a, kind="search", items=[BatchItem({"query": "x"})])
    _, to_publish = batches.create(tenant_id=f"c-{uuid.uuid4().hex[:8]}", kind="search",
                                   items=[BatchItem({"query": str(i)}) for i in range(3)])
    assert len(to_publish) == 2  # the batch fills its window; the rest wait their turn


def test_two_transactions_admitting_one_tenant_at_once_keep_to_its_cap(
        fair: tuple[JobStore, DispatchQueue], sessions, a: str, b: str) -> None:  # type: ignore[no-untyped-def]
    # Another API process (or an Idempotency-Key submit beside the group commit) admits
    # while this transaction, which filled the cap, has not committed yet: it waits for
    # the commit and counts these jobs, instead of counting without them and passing the cap
    store, _ = fair
    rows = [NewJob(a, "search", {"query": str(i)}).values(utcnow()) for i in range(6)]
    outcomes: list[object] = []
    with sessions.begin() as session:
        assert admit(session, rows, POLICY, utcnow()) == [None] * 6
        session.execute(insert(Job), rows)
        racer = threading.Thread(target=lambda: outcomes.extend(
            store.create_many([NewJob(a, "search", {"query": "racer"})])))
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()  # waiting for this transaction
        # another tenant's admission does not wait for it (PostgreSQL: a lock per
        # tenant and kind; SQLite has one write lock for everything)
        if sessions.kw["bind"].dialect.name == "postgresql":
            (other,) = store.create_many([NewJob(b, "search", {"query": "b"})])
            assert isinstance(other, JobView)
            # nor does a job stored finished (a cached search): it never holds a place
            answered, _ = store.create_answered(NewJob(a, "search", {"query": "hit"}),
                                                {"hits": []})
            assert answered.status == "succeeded"
    racer.join(timeout=30)
    assert [type(o).__name__ for o in outcomes] == ["QuotaExceeded"]


def test_a_lost_workers_job_goes_back_to_the_backlog(fair: tuple[JobStore, DispatchQueue],
                                                     sessions, a: str) -> None:  # type: ignore[no-untyped-def]
    store, queue = fair
    (job,) = submit(store, a, 1)
    delivery = new_delivery_id(job.id)
    assert store.claim(job.id, delivery, lease_s=60, worker="models@host-1")
    with sessions.begin() as session:
        session.execute(update(Job).where(Job.id == job.id)
                        .values(lease_expires_at=utcnow() - timedelta(minutes=1)))
    # the run lost names its delivery and worker: maintenance tells Flower it failed
    assert store.requeue_lost() == [(job.id, "search", delivery, "models@host-1")]
    assert pairs(queue.refill()) == [(job.id, "search")]
    assert store.requeue_lost() == []
    # a group claim names its worker too
    (grouped,) = submit(store, a, 1)
    store.claim_many([ClaimRequest(grouped.id, new_delivery_id(grouped.id))], lease_s=60,
                     worker="models@host-2")
    with sessions.begin() as session:
        assert session.scalar(select(Job.claimed_by).where(Job.id == grouped.id)) == (
            "models@host-2")


def test_overdue_dispatches_are_found_and_stamped_again(fair: tuple[JobStore, DispatchQueue],
                                                        sessions, a: str) -> None:  # type: ignore[no-untyped-def]
    store, queue = fair
    old, _ = submit(store, a, 2)
    with sessions.begin() as session:
        session.execute(update(Job).where(Job.id == old.id)
                        .values(dispatched_at=utcnow() - timedelta(minutes=5)))
    assert queue.overdue(60) == [(old.id, "search")]
    assert pairs(queue.redispatch([old.id])) == [(old.id, "search")]
    assert queue.overdue(60) == []


def test_delivery_ids_are_unique_and_name_their_job() -> None:
    first, second = new_delivery_id("a1b2"), new_delivery_id("a1b2")
    assert first != second and job_id_of(first) == job_id_of(second) == "a1b2"


def _running_claim(store: JobStore, job_id: str):  # type: ignore[no-untyped-def]
    """The claim of a running job, as its worker holds it."""

    from core.views import Claim

    with store._sessions() as session:
        job = session.get(Job, job_id)
        return Claim(job_id, job.kind, job.input, job.lease_token, job.attempts,
                     job.created_at, job.tenant_id)


def test_the_longest_waiting_backlog_goes_first_whatever_the_tenants_names(
        fair: tuple[JobStore, DispatchQueue]) -> None:
    store, queue = fair
    late_in_the_alphabet, early = f"z-{uuid.uuid4().hex[:8]}", f"a-{uuid.uuid4().hex[:8]}"
    z_jobs, a_jobs = submit(store, late_in_the_alphabet, 3), submit(store, early, 3)
    for job in (*z_jobs[:2], *a_jobs[:2]):  # the windows empty out
        claim = store.claim(job.id, new_delivery_id(job.id), lease_s=60)
        assert claim is not None
        store.finish(claim, JobStatus.SUCCEEDED, result={})
    assert pairs(queue.refill()) == [(z_jobs[2].id, "search"), (a_jobs[2].id, "search")]


def test_a_tenants_single_jobs_go_before_its_own_batch_items(
        fair: tuple[JobStore, DispatchQueue], sessions, a: str) -> None:  # type: ignore[no-untyped-def]
    """An interactive submit waited behind its own tenant's batch of a thousand briefs (a
    recipe with `Prefer: wait=30` was still queued after 30 s): the refill sends a
    tenant's jobs of no batch first, then its batch items, oldest first."""
    store, queue = fair
    batches = BatchStore(sessions, POLICY)
    _, sent = batches.create(tenant_id=a, kind="search",
                             items=[BatchItem({"query": str(i)}) for i in range(4)])
    assert len(sent) == 2  # the window; two items wait (the cap is 6)
    singles = submit(store, a, 2)
    assert not any(job.dispatched for job in singles)  # behind the backlog at submit
    for job_id in (job.job_id for job in sent):
        claim = store.claim(job_id, new_delivery_id(job_id), lease_s=60)
        assert claim is not None
        store.finish(claim, JobStatus.SUCCEEDED, result={})
    assert [job_id for job_id, _ in pairs(queue.refill())] == [job.id for job in singles]
