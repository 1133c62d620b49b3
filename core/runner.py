"""The shared job runner: claim, run a pipeline with checkpoints, record the outcome once.

Tasks call `JobRunner.run` with a `work` callable. The runner owns the lifecycle; the work
only computes. Exactly-once results rest on the store's fenced transitions: a duplicate
delivery loses the claim and returns SKIPPED.

Time limits are the runner's, whatever the worker pool (`solo` and `threads` pools cannot
interrupt a task; `prefork` kills it). Past the soft limit the job's next checkpoint raises
JobTimedOut and the job fails with a `time_limit` error (a training run saves its step
first). Past the hard limit the watchdog records that failure itself, stops extending the
lease, and calls `on_overrun` (the worker exits, so a stuck computation cannot hold it).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from core.batching import MicroBatcher, PriorityGate
from core.errors import JobCanceled, StoreUnavailable
from core.metrics import (
    CLAIM_BATCH_SIZE,
    FINISH_BATCH_SIZE,
    JOB_QUEUE_SECONDS,
    JOB_RUN_SECONDS,
    JOBS_FINISHED,
    JOBS_IN_FLIGHT,
)
from core.models import utcnow
from core.states import JobStatus
from core.store import ClaimRequest, JobStore, Outcome
from core.transitions import CANCELED_ERROR
from core.views import Claim

log = logging.getLogger(__name__)
WATCH_INTERVAL_S = 1.0


class JobInputError(ValueError):
    """The job's input cannot be processed; retrying will not help."""


class JobFailed(Exception):
    """The pipeline ran and refused the job with a structured reason (kept as the error)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error.get("message", "job failed"))
        self.error = error


class JobTimedOut(Exception):
    """Raised at a checkpoint past the job's soft time limit."""


class RunOutcome(StrEnum):
    SKIPPED = "skipped"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


@dataclass(frozen=True)
class TimeLimits:
    """Seconds a job may run (per attempt); None: no limit."""

    soft_s: float | None = None
    hard_s: float | None = None


def time_limit_error(kind: str, seconds: float | None) -> dict[str, Any]:
    return {"type": "time_limit",
            "message": f"the job ran past its {kind} time limit of {seconds:g} s"}


class Checkpoint:
    """Handed to the work: report progress, and stop here if cancel was requested or the
    soft time limit has passed."""

    def __init__(self, store: JobStore, claim: Claim, lease_s: float,
                 soft_deadline: float | None = None) -> None:
        self._store, self._claim, self._lease_s = store, claim, lease_s
        self._soft_deadline = soft_deadline

    def __call__(self, progress: float | None = None,
                 data: dict[str, Any] | None = None) -> None:
        """Raises JobCanceled when the job should stop, JobTimedOut past its soft limit.
        Without `progress` it only checks."""
        if self._soft_deadline is not None and time.monotonic() > self._soft_deadline:
            raise JobTimedOut(self._claim.job_id)
        self._store.checkpoint(self._claim, progress, data, lease_s=self._lease_s)


Work = Callable[[Claim, Checkpoint], dict[str, Any]]


@dataclass
class _Watched:
    claim: Claim
    hard_deadline: float | None


class Watchdog:
    """One thread per runner: every `lease_s / 3` it extends the lease of each job running
    in this process, so a lease can be short (a dead worker's job is taken over soon) while
    a long computation between checkpoints keeps its job; and it hands a job past its hard
    deadline to `overrun` instead."""

    def __init__(self, store: JobStore, lease_s: float,
                 overrun: Callable[[Claim], None]) -> None:
        self._store, self._lease_s, self._overrun = store, lease_s, overrun
        self._watched: dict[str, _Watched] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._watched)

    @contextmanager
    def holding(self, claim: Claim, hard_deadline: float | None) -> Iterator[None]:
        with self._lock:
            self._watched[claim.job_id] = _Watched(claim, hard_deadline)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="job-watchdog",
                                                daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._watched.pop(claim.job_id, None)

    def _watch(self) -> None:
        """Extend the held leases and expire overruns until nothing is held (the next
        `holding` starts the thread again: a runner no longer used keeps no thread)."""
        last_beat = time.monotonic()
        while True:
            time.sleep(min(WATCH_INTERVAL_S, self._lease_s / 3))
            with self._lock:
                if not self._watched:
                    self._thread = None
                    return
            self._expire_overruns()
            if time.monotonic() - last_beat >= self._lease_s / 3:
                last_beat = time.monotonic()
                self._extend_leases()

    def _expire_overruns(self) -> None:
        now = time.monotonic()
        with self._lock:
            overrun = [w.claim for w in self._watched.values()
                       if w.hard_deadline is not None and now > w.hard_deadline]
            for claim in overrun:
                del self._watched[claim.job_id]
        for claim in overrun:
            try:
                self._overrun(claim)
            except Exception:  # the lease lapses and maintenance takes the job back
                log.exception("handling the overrun of job %s failed", claim.job_id)

    def _extend_leases(self) -> None:
        with self._lock:
            claims = [w.claim for w in self._watched.values()]
        for claim in claims:
            try:
                self._store.extend_lease(claim, self._lease_s)
            except StoreUnavailable:  # the next beat tries again
                log.warning("could not extend the lease of job %s", claim.job_id)


class JobRunner:
    """Runs jobs of one kind in this process. Claims and outcomes of the jobs its threads
    run at the same time are written in groups (one transaction each: `claim_many`,
    `finish_many`); a job the database refuses inside a group fails alone. `on_recorded`
    hears the ids of the jobs each group (or an overrun) finished, once it has committed."""

    def __init__(self, store: JobStore, lease_s: float, limits: TimeLimits = TimeLimits(),
                 on_overrun: Callable[[Claim], None] | None = None,
                 max_attempts: int | None = None, group_max: int = 64,
                 express_slots: int = 0, gate: PriorityGate | None = None,
                 worker: str = "",
                 on_recorded: Callable[[Sequence[str]], None] | None = None) -> None:
        self._store, self._lease_s, self._limits = store, lease_s, limits
        self._on_overrun, self._max_attempts = on_overrun, max_attempts
        self._on_recorded = on_recorded
        self._gate = gate
        self._watchdog = Watchdog(store, lease_s, self._overran)
        # max_wait_s=0: a job alone is written at once; under load the groups grow. A
        # tenant with one job here while another keeps the groups busy writes its own
        # claim and finish beside the group in progress (the express path), not behind it.
        self._claims: MicroBatcher[ClaimRequest, Claim | None] = MicroBatcher(
            lambda requests: store.claim_many(requests, lease_s, max_attempts, worker),
            max_batch=group_max, max_wait_s=0, on_batch=CLAIM_BATCH_SIZE.observe,
            fair_key=lambda request: request.tenant_hint, express_slots=express_slots,
            gate=gate, name="claim-group")
        self._finishes: MicroBatcher[Outcome, JobStatus | None] = MicroBatcher(
            self._finish_group, max_batch=group_max, max_wait_s=0,
            on_batch=FINISH_BATCH_SIZE.observe,
            fair_key=lambda outcome: outcome.claim.tenant_id, express_slots=express_slots,
            gate=gate, name="finish-group")

    @property
    def running(self) -> int:
        """Jobs this runner is running now."""
        return self._watchdog.running

    def run(self, job_id: str, delivery_id: str, work: Work, tenant_hint: str = "") -> RunOutcome:
        """Run `work` for the job unless another delivery owns it or it is finished.
        `tenant_hint` (the tenant its message names) only groups the claim fairly and, with
        a `gate`, gives a light tenant's job priority in this process.

        Raises StoreUnavailable when the outcome could not be recorded (retry the task).
        """
        with self._gate.running(tenant_hint) if self._gate else nullcontext():
            return self._run(job_id, delivery_id, work, tenant_hint)

    def _run(self, job_id: str, delivery_id: str, work: Work, tenant_hint: str) -> RunOutcome:
        claim = self._claims.submit(ClaimRequest(job_id, delivery_id, tenant_hint))
        if claim is None:
            log.info("job %s not claimable by delivery %s; skipped", job_id, delivery_id)
            return RunOutcome.SKIPPED
        self._observe_queue_time(claim)
        started = time.monotonic()
        with self._watchdog.holding(claim, self._deadline(started, self._limits.hard_s)), \
                JOBS_IN_FLIGHT.labels(claim.kind).track_inprogress():
            outcome = self._execute(claim, work, self._deadline(started, self._limits.soft_s))
        JOB_RUN_SECONDS.labels(claim.kind).observe(time.monotonic() - started)
        recorded = self._finishes.submit(outcome)
        if recorded is None:
            log.warning("job %s lost its lease before finishing; outcome dropped", job_id)
            return RunOutcome.SKIPPED
        JOBS_FINISHED.labels(claim.kind, str(recorded)).inc()
        return RunOutcome(str(recorded))

    def _finish_group(self, outcomes: Sequence[Outcome]) -> list[JobStatus | Exception | None]:
        recorded = self._store.finish_many(outcomes)
        self._announce([outcome.claim.job_id for outcome, status in zip(outcomes, recorded,
                                                                          strict=True)
                        if isinstance(status, JobStatus)])
        return recorded

    def _announce(self, job_ids: Sequence[str]) -> None:
        if job_ids and self._on_recorded is not None:
            self._on_recorded(job_ids)

    @staticmethod
    def _deadline(started: float, limit_s: float | None) -> float | None:
        return None if limit_s is None else started + limit_s

    def _execute(self, claim: Claim, work: Work, soft_deadline: float | None) -> Outcome:
        try:
            result = work(claim, Checkpoint(self._store, claim, self._lease_s, soft_deadline))
        except JobCanceled:
            return Outcome(claim, JobStatus.CANCELED, error=CANCELED_ERROR)
        except JobTimedOut:
            return Outcome(claim, JobStatus.FAILED,
                           error=time_limit_error("soft", self._limits.soft_s))
        except StoreUnavailable:
            raise
        except JobFailed as exc:
            return Outcome(claim, JobStatus.FAILED, error=exc.error)
        except JobInputError as exc:
            return Outcome(claim, JobStatus.FAILED,
                           error={"type": "invalid_input", "message": str(exc)})
        except Exception as exc:
            log.exception("job %s failed", claim.job_id)
            return Outcome(claim, JobStatus.FAILED, error={"type": type(exc).__name__,
                                                           "message": str(exc)[:2000]})
        return Outcome(claim, JobStatus.SUCCEEDED, result=result)

    def _overran(self, claim: Claim) -> None:
        """The hard limit passed: fail the job now (the stuck work's own outcome will lose
        the fenced write), then let the worker act (it exits)."""
        log.error("job %s ran past its hard time limit of %s s", claim.job_id,
                  self._limits.hard_s)
        if self._store.finish(claim, JobStatus.FAILED,
                              error=time_limit_error("hard", self._limits.hard_s)):
            JOBS_FINISHED.labels(claim.kind, str(JobStatus.FAILED)).inc()
            self._announce([claim.job_id])
        if self._on_overrun is not None:
            self._on_overrun(claim)

    def _observe_queue_time(self, claim: Claim) -> None:
        if claim.attempt == 1:
            JOB_QUEUE_SECONDS.labels(claim.kind).observe(
                (utcnow() - claim.created_at).total_seconds())
