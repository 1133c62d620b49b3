"""The shared runner: outcomes recorded once, leases kept alive while work runs."""

from __future__ import annotations

import threading
import time

import pytest

from core.runner import JobFailed, JobRunner, RunOutcome
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
