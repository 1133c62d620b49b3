"""The shared runner: outcomes recorded once, leases kept alive while work runs."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from core.batching import PriorityGate
from core.runner import JobFailed, JobRunner, RunOutcome, TimeLimits
from core.store import JobStore

pytestmark = pytest.mark.integration


def test_a_long_computation_keeps_its_short_lease(store: JobStore) -> None:
    job, _ = store.create(tenant_id="t", kind="search", input={})
    runner = JobRunner(store, lease_s=0.6)
    stolen: list[bool] = []

    def work(claim, checkpoint):  # type: ignore[no-untyped-def]
        time.sleep(1.5)  # longer than the lease, no checkpoint in between
        stolen.append(store.claim(job.id, "another-delivery", lease_s=60) is not None)
        return {"done": True}

    assert runner.run(job.id, "first-delivery", work) == RunOutcome.SUCCEEDED
    assert stolen == [False]
    assert store.get("t", job.id).result == {"done": True}


def test_outcomes_and_duplicates(store: JobStore) -> None:
    runner = JobRunner(store, lease_s=30)
    failed, _ = store.create(tenant_id="t", kind="search", input={})
    refused = runner.run(failed.id, "d1", lambda claim, checkpoint: (_ for _ in ()).throw(
        JobFailed({"type": "validation_failed", "message": "no"})))
    assert refused == RunOutcome.FAILED
    assert store.get("t", failed.id).error == {"type": "validation_failed", "message": "no"}
    assert runner.run(failed.id, "d2", lambda c, k: {}) == RunOutcome.SKIPPED

    done, _ = store.create(tenant_id="t", kind="search", input={})
    results = []
    barrier = threading.Barrier(3)

    def deliver(delivery: str) -> None:
        barrier.wait()
        results.append(runner.run(done.id, delivery, lambda c, k: {"by": delivery}))

    threads = [threading.Thread(target=deliver, args=(f"d{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count(RunOutcome.SUCCEEDED) == 1


def test_past_its_soft_limit_a_job_fails_at_its_next_checkpoint(store: JobStore) -> None:
    job, _ = store.create(tenant_id="t", kind="training", input={})
    runner = JobRunner(store, lease_s=30, limits=TimeLimits(soft_s=0.3))
    steps: list[int] = []

    def work(claim, checkpoint):  # type: ignore[no-untyped-def]
        for step in range(1000):
            time.sleep(0.05)
            checkpoint(step / 1000, {"step": step})
            steps.append(step)
        return {"done": True}

    assert runner.run(job.id, "d1", work) == RunOutcome.FAILED
    assert store.get("t", job.id).error == {
        "type": "time_limit", "message": "the job ran past its soft time limit of 0.3 s"}
    assert 0 < len(steps) < 100


def test_past_its_hard_limit_a_stuck_job_fails_and_the_worker_is_told(store: JobStore) -> None:
    job, _ = store.create(tenant_id="t", kind="search", input={})
    overruns: list[str] = []
    release = threading.Event()
    announced: list[list[str]] = []
    runner = JobRunner(store, lease_s=30, limits=TimeLimits(hard_s=0.5),
                       on_overrun=lambda claim: (overruns.append(claim.job_id),
                                                 release.set()),
                       on_recorded=lambda job_ids: announced.append(list(job_ids)))

    def stuck(claim, checkpoint):  # type: ignore[no-untyped-def]
        release.wait(30)  # no checkpoint: only the watchdog can end it
        return {"late": True}

    assert runner.run(job.id, "d1", stuck) == RunOutcome.SKIPPED  # its late result is dropped
    assert overruns == [job.id]
    assert announced == [[job.id]]  # the overrun's failure, not the dropped late result
    finished = store.get("t", job.id)
    assert (finished.status, finished.error["type"]) == ("failed", "time_limit")
    assert finished.result is None


def test_a_job_that_keeps_losing_its_workers_fails_after_max_attempts(store: JobStore) -> None:
    job, _ = store.create(tenant_id="t", kind="search", input={})
    for attempt in (1, 2):  # each delivery's worker dies: the lease is reclaimed
        assert store.claim(job.id, f"d{attempt}", lease_s=-1, max_attempts=2) is not None
    assert store.claim(job.id, "d3", lease_s=60, max_attempts=2) is None
    failed = store.get("t", job.id)
    assert (failed.status, failed.attempts, failed.error["type"]) == (
        "failed", 2, "too_many_attempts")


def test_the_claims_and_outcomes_of_concurrent_jobs_are_written_in_groups(
        store: JobStore) -> None:
    from core.metrics import CLAIM_BATCH_SIZE, FINISH_BATCH_SIZE

    def sizes() -> tuple[float, float]:
        def total(histogram) -> float:  # type: ignore[no-untyped-def]
            return next(sample.value for metric in histogram.collect()
                        for sample in metric.samples if sample.name.endswith("_count"))
        return total(CLAIM_BATCH_SIZE), total(FINISH_BATCH_SIZE)

    jobs = [store.create(tenant_id="t", kind="search", input={"n": n})[0] for n in range(24)]
    announced: list[list[str]] = []
    final_when_announced: list[bool] = []

    def announce(job_ids) -> None:  # type: ignore[no-untyped-def]
        announced.append(list(job_ids))
        final_when_announced.extend(store.get("t", job_id).status == "succeeded"
                                    for job_id in job_ids)

    runner = JobRunner(store, lease_s=30, on_recorded=announce)
    before = sizes()
    barrier = threading.Barrier(len(jobs))
    outcomes: dict[str, RunOutcome] = {}

    def run(job_id: str) -> None:
        barrier.wait()
        outcomes[job_id] = runner.run(job_id, f"{job_id}.d", lambda claim, checkpoint: {
            "n": claim.input["n"]})

    threads = [threading.Thread(target=run, args=(job.id,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes.values()) == {RunOutcome.SUCCEEDED} and len(outcomes) == 24
    for n, job in enumerate(jobs):
        view = store.get("t", job.id)
        assert view.result == {"n": n}
        assert [event.type for event in store.events("t", job.id)] == \
            ["queued", "started", "succeeded"]
    claim_groups, finish_groups = (after - earlier for after, earlier in zip(sizes(), before,
                                                                             strict=True))
    assert claim_groups < 24 and finish_groups < 24  # fewer transactions than jobs
    # each finish group is announced once, after its commit: one message for its jobs
    assert sorted(job_id for group in announced for job_id in group) == \
        sorted(job.id for job in jobs)
    assert len(announced) == finish_groups and all(final_when_announced)


def test_a_refused_write_in_a_group_fails_alone(store: JobStore) -> None:
    from core.states import JobStatus
    from core.store import ClaimRequest, Outcome

    jobs = [store.create(tenant_id="t", kind="search", input={})[0] for _ in range(3)]
    claims = store.claim_many([ClaimRequest(job.id, f"{job.id}.d") for job in jobs]
                              + [ClaimRequest("no-such-job", "x.d")], lease_s=30)
    assert claims[3] is None and all(claim is not None for claim in claims[:3])
    # a bad outcome inside the group: the group is rolled back and written one by one
    outcomes = [Outcome(claims[0], JobStatus.SUCCEEDED, result={"ok": 0}),
                Outcome(claims[1], JobStatus.RUNNING),  # not an outcome: refused
                Outcome(claims[2], JobStatus.FAILED, error={"type": "x", "message": "y"})]
    recorded = store.finish_many(outcomes)  # type: ignore[arg-type]
    assert recorded[0] == JobStatus.SUCCEEDED and recorded[2] == JobStatus.FAILED
    assert isinstance(recorded[1], AssertionError)
    assert [store.get("t", job.id).status for job in jobs] == ["succeeded", "running",
                                                               "failed"]
    assert [event.type for event in store.events("t", jobs[0].id)] == \
        ["queued", "started", "succeeded"]  # written once, not twice


def test_a_cancel_that_arrives_while_the_job_runs_wins_over_its_result(
        store: JobStore) -> None:
    job, _ = store.create(tenant_id="t", kind="search", input={})
    runner = JobRunner(store, lease_s=30)

    def work(claim, checkpoint):  # type: ignore[no-untyped-def]
        store.request_cancel("t", job.id)  # no checkpoint after it: the finish sees it
        return {"late": True}

    assert runner.run(job.id, "d1", work) == RunOutcome.CANCELED
    view = store.get("t", job.id)
    assert view.status == "canceled" and view.result is None
    assert view.error == {"type": "canceled", "message": "canceled by request"}


def test_a_store_outage_fails_every_claim_of_the_group(store: JobStore,
                                                       monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.errors import StoreUnavailable

    job, _ = store.create(tenant_id="t", kind="search", input={})

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise StoreUnavailable("the database is down")

    monkeypatch.setattr(store, "claim_many", down)
    runner = JobRunner(store, lease_s=30)
    with pytest.raises(StoreUnavailable):
        runner.run(job.id, "d1", lambda claim, checkpoint: {})
    monkeypatch.undo()
    assert store.get("t", job.id).status == "queued"  # the task's retry claims it later


def test_a_group_of_claims_mixes_queued_redelivered_canceled_and_exhausted_jobs(
        store: JobStore) -> None:
    from core.store import ClaimRequest

    queued, running, canceled, exhausted, duplicate = (
        store.create(tenant_id="t", kind="search", input={"n": n})[0] for n in range(5))
    assert store.claim(running.id, "r.1", lease_s=30) is not None  # its message comes again
    store.request_cancel("t", canceled.id)
    for attempt in range(2):  # two lost runs: the next would be a third of at most two
        claim = store.claim(exhausted.id, f"x.{attempt}", lease_s=-1, max_attempts=2)
        assert claim is not None
    claims = store.claim_many([ClaimRequest(queued.id, "q.1"), ClaimRequest(running.id, "r.1"),
                               ClaimRequest(canceled.id, "c.1"),
                               ClaimRequest(exhausted.id, "x.2"),
                               ClaimRequest(duplicate.id, "d.1"),
                               ClaimRequest(duplicate.id, "d.2")], lease_s=30, max_attempts=2)
    won = [claim.lease_token if claim is not None and not isinstance(claim, Exception)
           else None for claim in claims]
    assert won[:4] == ["q.1", "r.1", None, None]
    assert sorted(filter(None, won[4:])) in (["d.1"], ["d.2"])  # one delivery, not both
    assert claims[0].attempt == 1 and claims[1].attempt == 2  # type: ignore[union-attr]
    assert store.get("t", canceled.id).status == "canceled"
    assert store.get("t", exhausted.id).error["type"] == "too_many_attempts"  # type: ignore[index]
    assert [event.type for event in store.events("t", queued.id)] == ["queued", "started"]
    assert [event.data.get("attempt") for event in store.events("t", running.id)] == \
        [None, 1, 2]


def test_groups_of_one_size_each_get_their_own_tokens_and_clock(store: JobStore) -> None:
    """The claim's statement is built once per group size and reused: every group still
    writes its own jobs' tokens, worker, lease and start time, never a former group's."""
    from core.store import ClaimRequest

    groups = [[store.create(tenant_id="t", kind="search", input={"g": g, "n": n})[0]
               for n in range(3)] for g in range(2)]
    first = store.claim_many([ClaimRequest(job.id, f"a.{n}") for n, job in
                              enumerate(groups[0])], lease_s=30, worker="w1")
    second = store.claim_many([ClaimRequest(job.id, f"b.{n}") for n, job in
                               enumerate(groups[1])], lease_s=-1, max_attempts=3,
                              worker="w2")
    assert [claim.lease_token for claim in first] == ["a.0", "a.1", "a.2"]  # type: ignore[union-attr]
    assert [claim.lease_token for claim in second] == ["b.0", "b.1", "b.2"]  # type: ignore[union-attr]
    with store._session() as session:  # what the rows hold, beyond what a claim returns
        rows = {row.id: row for row in session.execute(text(
            "SELECT id, claimed_by, lease_expires_at > started_at AS leased FROM jobs"))}
    assert {rows[job.id].claimed_by for job in groups[0]} == {"w1"}
    assert {rows[job.id].claimed_by for job in groups[1]} == {"w2"}
    assert all(rows[job.id].leased for job in groups[0])  # 30 s ahead
    assert not any(rows[job.id].leased for job in groups[1])  # lapsed at once


def test_a_group_of_outcomes_drops_lost_leases_lets_cancels_win_and_writes_webhooks(
        store: JobStore) -> None:
    from core.states import JobStatus
    from core.store import ClaimRequest, Outcome

    plain, lost, canceled, hooked = (
        store.create(tenant_id="t", kind="search", input={"n": n},
                     webhook_url="https://example.com/hook" if n == 3 else None)[0]
        for n in range(4))
    claims = store.claim_many([ClaimRequest(job.id, f"{job.id}.1")
                               for job in (plain, lost, canceled, hooked)], lease_s=-1)
    assert store.claim(lost.id, "another", lease_s=30) is not None  # its lease had lapsed
    store.request_cancel("t", canceled.id)
    recorded = store.finish_many([Outcome(claim, JobStatus.SUCCEEDED, result={"ok": True})
                                  for claim in claims])  # type: ignore[arg-type]
    assert recorded == [JobStatus.SUCCEEDED, None, JobStatus.CANCELED, JobStatus.SUCCEEDED]
    assert store.get("t", lost.id).status == "running"  # the other delivery's to finish
    assert store.get("t", canceled.id).result is None
    assert [event.type for event in store.events("t", hooked.id)] == \
        ["queued", "started", "succeeded"]
    with store._sessions() as session:  # the outbox row of the subscribed job
        rows = session.execute(text("SELECT event_type FROM webhook_deliveries "
                                    "WHERE job_id = :id"), {"id": hooked.id}).all()
    assert [row[0] for row in rows] == ["job.completed"]


def test_a_light_tenants_job_runs_with_priority_beside_a_flood(store: JobStore) -> None:
    """The tenant named by the message decides priority: B's one job beside A's running ones
    has it (the flood's batches wait for it); A's jobs never do."""
    gate = PriorityGate()
    runner = JobRunner(store, lease_s=30, express_slots=2, gate=gate)
    flood = [store.create(tenant_id="A", kind="search", input={})[0] for _ in range(3)]
    single, _ = store.create(tenant_id="B", kind="search", input={})
    a_running, release = threading.Barrier(len(flood) + 1), threading.Event()
    priority: dict[str, bool] = {}

    def work_of(tenant: str):  # type: ignore[no-untyped-def]
        def work(claim, checkpoint):  # type: ignore[no-untyped-def]
            priority[claim.job_id] = gate.in_priority()
            if tenant == "A":
                a_running.wait(5)
                release.wait(5)
            return {}
        return work

    threads = [threading.Thread(target=runner.run, args=(job.id, f"{job.id}.d", work_of("A"),
                                                         "A")) for job in flood]
    for thread in threads:
        thread.start()
    a_running.wait(5)
    assert runner.run(single.id, f"{single.id}.d", work_of("B"), "B") == RunOutcome.SUCCEEDED
    release.set()
    for thread in threads:
        thread.join(5)
    assert priority[single.id] and not any(priority[job.id] for job in flood)
    assert {store.get("A", job.id).status for job in flood} == {"succeeded"}
