"""The Celery task class of the app: a job task's Celery state reports its job's outcome.

The job store stays the one writer of job status; what Celery records (the result backend,
and the task events Flower counts) is a report of it, made after the store's word is final:

- succeeded: SUCCESS, returning `{"job_id", "outcome"}`;
- failed: FAILURE with `JobFailure("<error type>: <message>")` (secrets masked). The
  exception is in `throws`: Celery logs one line without a traceback, and since it is not in
  `autoretry_for` and failures are acknowledged, the message is neither retried nor
  redelivered;
- canceled (by this delivery, or before it ran): REVOKED, announced with a `task-revoked`
  event; the task then ends with `Ignore`, which acknowledges the message and records
  nothing else;
- a duplicate delivery of a job another delivery holds: SUCCESS with outcome `skipped`.

A group message (several jobs of one tenant) returns each job's outcome, `{"jobs":
[{"job_id", "outcome"}]}`, as SUCCESS, unless one of its jobs failed: then FAILURE, with a
`JobFailure` that counts the failed jobs, names the first few with their errors, and counts
the others by outcome, so that Flower's failed tasks show every message a failed job was in.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from celery import Task
from celery.exceptions import Ignore

from config.log_redaction import redact
from core.errors import StoreUnavailable
from core.runner import RunOutcome
from core.states import JobStatus
from core.views import JobView

if TYPE_CHECKING:
    from workers.resources import WorkerResources

log = logging.getLogger(__name__)
MESSAGE_MAX = 500
GROUP_FAILURES_NAMED = 3  # a group's failed jobs named in its task's exception, with errors


class JobFailure(Exception):
    """The job failed: its error type and message, as its Celery task's exception."""


def failure_of(job: JobView | None) -> JobFailure:
    error = (job.error if job is not None else None) or {}
    kind = str(error.get("type") or "failed")
    message = redact(str(error.get("message") or "see the job's error"))[:MESSAGE_MAX]
    return JobFailure(f"{kind}: {message}")


class JobTask(Task):  # type: ignore[misc]
    """Every task of the app. `worker` is the process's warm resources: the app's task
    class is this one bound to them (`bound_to`), so tasks reach their store, runners and
    their kind's runtime through `self.worker`, not through an attribute of the app."""

    throws = (JobFailure,)
    worker: WorkerResources

    def report(self, job_id: str, outcome: RunOutcome) -> dict[str, Any]:
        """The task's return value for a run that ended in `outcome`, or the exception that
        makes Celery record FAILURE or REVOKED (see the module docstring)."""
        reply = {"job_id": job_id, "outcome": str(outcome)}
        if outcome == RunOutcome.SUCCEEDED:
            return reply
        job = self._job(job_id)
        status = job.status if job is not None else None
        if outcome == RunOutcome.FAILED or (outcome == RunOutcome.SKIPPED
                                            and status == JobStatus.FAILED):
            raise failure_of(job)
        if outcome == RunOutcome.CANCELED or status == JobStatus.CANCELED:
            self._revoked("the job was canceled")
        return {**reply, "job_status": status}

    def report_group(self, job_ids: Sequence[str],
                     outcomes: Sequence[RunOutcome]) -> dict[str, Any]:
        """The task's return value for a group message's runs, or the JobFailure that
        makes Celery record FAILURE when one of its jobs failed (see the module docstring)."""
        reply = {"jobs": [{"job_id": job_id, "outcome": str(outcome)}
                          for job_id, outcome in zip(job_ids, outcomes, strict=True)]}
        failed = [job_id for job_id, outcome in zip(job_ids, outcomes, strict=True)
                  if outcome == RunOutcome.FAILED]
        if not failed:
            return reply
        named = "; ".join(f"{job_id} {failure_of(self._job(job_id))}"
                          for job_id in failed[:GROUP_FAILURES_NAMED])
        unnamed = len(failed) - GROUP_FAILURES_NAMED
        others = Counter(str(outcome) for outcome in outcomes if outcome != RunOutcome.FAILED)
        raise JobFailure(
            f"{len(failed)} of {len(job_ids)} jobs failed: {named}"
            + (f"; and {unnamed} more" if unnamed > 0 else "")
            + (f" (the others: {', '.join(f'{n} {o}' for o, n in sorted(others.items()))})"
               if others else ""))

    def _job(self, job_id: str) -> JobView | None:
        try:
            view: JobView | None = self.worker.store.get_any(job_id)
            return view
        except StoreUnavailable:  # the report only: the outcome is recorded already
            log.warning("could not read job %s to report its outcome", job_id)
            return None

    def _revoked(self, reason: str) -> None:
        request = self.request
        self.send_event("task-revoked", terminated=False, signum=None, expired=False)
        self.backend.mark_as_revoked(request.id, reason, request=request)
        raise Ignore()


def bound_to(worker: WorkerResources) -> type[JobTask]:
    """The app's task class: JobTask with this process's resources as `worker`."""
    return type("FragranceTask", (JobTask,), {"worker": worker})
