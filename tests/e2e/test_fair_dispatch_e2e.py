"""Fair dispatch with real processes: a tenant's burst fills only its window of the broker
(its lone window while no other tenant has work), maintenance never re-publishes a waiting
backlog (no duplicate messages), another tenant's job goes ahead of the burst's backlog,
and every job runs once."""

from __future__ import annotations

import pytest
import redis
from sqlalchemy import func, select, update

from core.database import make_engine, make_session_factory
from core.models import Job, JobEvent
from tests.e2e.conftest import Stack
from tests.e2e.harness import wait_until
from workers.broker_inventory import jobs_in_message

pytestmark = [pytest.mark.e2e, pytest.mark.model]
WINDOW, LONE_WINDOW, BURST = 8, 16, 60


def queued_messages(broker_url: str) -> list[str]:
    """Job ids of the messages waiting in the search queue's list (a group's: each job)."""
    raws = redis.Redis.from_url(broker_url).lrange("search", 0, -1)
    return [job_id for raw in raws for job_id in jobs_in_message(raw)]  # type: ignore[union-attr]


def test_a_burst_waits_in_the_store_and_another_tenant_goes_ahead(  # type: ignore[no-untyped-def]
        make_stack, pg_url: str, redis_url: str) -> None:
    sessions = make_session_factory(make_engine(pg_url))
    with sessions.begin() as session:  # the dispatcher sees the whole database: another
        session.execute(update(Job).where(  # test's open jobs would be another tenant's work
            Job.status.in_(["queued", "running"])).values(status="canceled"))
    stack: Stack = make_stack(FRAGRANCE_DISPATCH_WINDOWS__SEARCH=str(WINDOW),
                              FRAGRANCE_LONE_DISPATCH_WINDOWS__SEARCH=str(LONE_WINDOW))
    stack.start_worker(name="ops", queues="maintenance", concurrency=2)  # the dispatcher
    flooder, bystander = stack.client(("search",)), stack.client(("search",))
    burst = [flooder.submit_search(f"amber {i}")["id"] for i in range(BURST)]
    wait_until(lambda: len(queued_messages(redis_url)) == LONE_WINDOW, 30,
               "the lone tenant's window to fill")
    # several maintenance rounds (every 2 s, lost after 5 s): nothing is published again
    wait_until(lambda: "maintenance.recover" in stack.workers[0].log(), 30, "maintenance")
    stamp = wait_until(lambda: _oldest_dispatch_age(sessions) > 12, 60, "12 s in the queue")
    assert stamp
    in_broker = queued_messages(redis_url)
    assert len(in_broker) == LONE_WINDOW == len(set(in_broker)) and set(in_broker) <= set(burst)

    alone = bystander.submit_search("vetiver")["id"]
    assert alone in queued_messages(redis_url)  # its own window: straight to the broker
    stack.start_worker(name="searcher", queues="search", concurrency=4, beat=False)
    finished = bystander.wait_finished(alone, 180)
    assert finished["status"] == "succeeded"
    for job_id in burst:
        assert flooder.wait_finished(job_id, 240)["status"] == "succeeded"
    with sessions() as session:
        later = session.scalar(select(func.count()).select_from(Job).where(
            Job.id.in_(burst), Job.finished_at > _finished_at(session, alone)))
        doubled = session.scalar(select(func.count()).select_from(
            select(JobEvent.job_id).where(JobEvent.job_id.in_([*burst, alone]),
                                          JobEvent.type == "succeeded")
            .group_by(JobEvent.job_id).having(func.count() > 1).subquery()))
    assert later >= BURST - 2 * LONE_WINDOW  # it waited behind a window or two, not the burst
    assert doubled == 0


def _oldest_dispatch_age(sessions) -> float:  # type: ignore[no-untyped-def]
    from core.models import utcnow

    with sessions() as session:
        oldest = session.scalar(select(func.min(Job.dispatched_at)).where(
            Job.status == "queued", Job.dispatched_at.is_not(None)))
    return (utcnow() - oldest).total_seconds() if oldest else 0.0


def _finished_at(session, job_id: str):  # type: ignore[no-untyped-def]
    return session.scalar(select(Job.finished_at).where(Job.id == job_id))
