"""The shared job runner: claim, run a pipeline with checkpoints, record the outcome once.

Tasks call `JobRunner.run` with a `work` callable. The runner owns the lifecycle; the work
only computes. Exactly-once results rest on the store's fenced transitions: a duplicate
delivery loses the claim and returns SKIPPED.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any

from core.errors import JobCanceled, StoreUnavailable
from core.metrics import JOB_QUEUE_SECONDS, JOB_RUN_SECONDS, JOBS_FINISHED
from core.models import utcnow
from core.states import JobStatus
from core.store import JobStore
from core.views import Claim

log = logging.getLogger(__name__)


class JobInputError(ValueError):
    """The job's input cannot be processed; retrying will not help."""


class JobFailed(Exception):
    """The pipeline ran and refused the job with a structured reason (kept as the error)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "job failed"))
        self.error = error


class RunOutcome(StrEnum):
    SKIPPED = "skipped"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class Checkpoint:
    """Handed to the work: report progress, and stop here if cancel was requested."""

    def __init__(self, store: JobStore, claim: Claim, lease_s: float) -> None:
        self._store, self._claim, self._lease_s = store, claim, lease_s

    def __call__(self, progress: float | None = None,
                 data: dict[str, Any] | None = None) -> None:
        """Raises JobCanceled when the job should stop. Without `progress` it only checks."""
        self._store.checkpoint(self._claim, progress, data, lease_s=self._lease_s)


Work = Callable[[Claim, Checkpoint], dict[str, Any]]


class LeaseKeeper:
    """One heartbeat thread per runner: every `lease_s / 3` it extends the lease of each job
    running in this process, so a lease can be short (a dead worker's job is taken over
    soon) while a long computation between checkpoints keeps its job."""

    def __init__(self, store: JobStore, lease_s: float) -> None:
        self._store, self._lease_s = store, lease_s
        self._claims: dict[str, Claim] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._claims)

    @contextmanager
    def holding(self, claim: Claim) -> Iterator[None]:
        with self._lock:
            self._claims[claim.job_id] = claim
            if self._thread is None:
                self._thread = threading.Thread(target=self._beat, name="lease-keeper",
                                                daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._claims.pop(claim.job_id, None)

    def _beat(self) -> None:
        while True:
            time.sleep(self._lease_s / 3)
            with self._lock:
                claims = list(self._claims.values())
            for claim in claims:
                try:
                    self._store.extend_lease(claim, self._lease_s)
                except StoreUnavailable:  # the next beat tries again
                    log.warning("could not extend the lease of job %s", claim.job_id)


class JobRunner:
    def __init__(self, store: JobStore, lease_s: float) -> None:
        self._store, self._lease_s = store, lease_s
        self._leases = LeaseKeeper(store, lease_s)

    @property
    def running(self) -> int:
        """Jobs this runner is running now."""
        return self._leases.running

    def run(self, job_id: str, delivery_id: str, work: Work) -> RunOutcome:
        """Run `work` for the job unless another delivery owns it or it is finished.

        Raises StoreUnavailable when the outcome could not be recorded (retry the task).
        """
        claim = self._store.claim(job_id, delivery_id, self._lease_s)
        if claim is None:
            log.info("job %s not claimable by delivery %s; skipped", job_id, delivery_id)
            return RunOutcome.SKIPPED
        self._observe_queue_time(claim)
        started = time.perf_counter()
        with self._leases.holding(claim):
            target, fields = self._execute(claim, work)
        JOB_RUN_SECONDS.labels(claim.kind).observe(time.perf_counter() - started)
        if not self._store.finish(claim, target, **fields):
            log.warning("job %s lost its lease before finishing; outcome dropped", job_id)
            return RunOutcome.SKIPPED
        JOBS_FINISHED.labels(claim.kind, str(target)).inc()
        return RunOutcome(str(target))

    def _execute(self, claim: Claim, work: Work) -> tuple[JobStatus, dict[str, Any]]:
        try:
            result = work(claim, Checkpoint(self._store, claim, self._lease_s))
        except JobCanceled:
            return JobStatus.CANCELED, {"error": {"type": "canceled",
                                                  "message": "canceled by request"}}
        except StoreUnavailable:
            raise
        except JobFailed as exc:
            return JobStatus.FAILED, {"error": exc.error}
        except JobInputError as exc:
            return JobStatus.FAILED, {"error": {"type": "invalid_input", "message": str(exc)}}
        except Exception as exc:
            log.exception("job %s failed", claim.job_id)
            return JobStatus.FAILED, {"error": {"type": type(exc).__name__,
                                                "message": str(exc)[:2000]}}
        return JobStatus.SUCCEEDED, {"result": result}

    def _observe_queue_time(self, claim: Claim) -> None:
        if claim.attempt == 1:
            JOB_QUEUE_SECONDS.labels(claim.kind).observe(
                (utcnow() - claim.created_at).total_seconds())
