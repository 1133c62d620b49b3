"""The shared runner: outcomes recorded once, leases kept alive while work runs."""

from __future__ import annotations

import threading
import time

import pytest

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
    runner = JobRunner(store, lease_s=30, limits=TimeLimits(hard_s=0.5),
                       on_overrun=lambda claim: (overruns.append(claim.job_id),
                                                 release.set()))

    def stuck(claim, checkpoint):  # type: ignore[no-untyped-def]
        release.wait(30)  # no checkpoint: only the watchdog can end it
        return {"late": True}

    assert runner.run(job.id, "d1", stuck) == RunOutcome.SKIPPED  # its late result is dropped
    assert overruns == [job.id]
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
