"""The job lifecycle: states, the one transition table, and what producers and workers need
to know of the kinds (declared in `core.kinds`): task names and queues.

`queued -> running -> succeeded | failed | canceled`, and `queued -> canceled | failed`
(a batch item whose input was refused fails without running).
`running -> running` is a new attempt (redelivery or reclaim after a lost worker);
`running -> queued` is the maintenance task handing a lost job back to the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from core.kinds import KINDS
from core.kinds import JobKind as JobKind  # where most of the code has always found it


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


TERMINAL: frozenset[JobStatus] = frozenset(
    {JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED}
)

TRANSITIONS: Mapping[JobStatus, frozenset[JobStatus]] = MappingProxyType({
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.CANCELED, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({
        JobStatus.RUNNING, JobStatus.QUEUED,
        JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED,
    }),
    JobStatus.SUCCEEDED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELED: frozenset(),
})

# Stable task names and queues: the API publishes by name, workers consume by queue.
TASK_FOR_KIND: Mapping[str, str] = MappingProxyType(
    {name: kind.task for name, kind in KINDS.items()})
QUEUE_FOR_KIND: Mapping[str, str] = MappingProxyType(
    {name: kind.queue for name, kind in KINDS.items()})
# the queues of no kind: webhook senders, and maintenance (dispatch and recovery)
SERVICE_QUEUES: tuple[str, ...] = ("webhooks", "maintenance")
QUEUES: tuple[str, ...] = (*QUEUE_FOR_KIND.values(), *SERVICE_QUEUES)
# Workers publish a job id here (Redis pub/sub on the broker) when the job changed state, so
# API processes waiting on it look now instead of at their next poll.
NOTIFY_CHANNEL = "fragrance:job-events"


def can_transition(source: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[source]


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Every state from which `target` may be entered (the CAS `WHERE status IN (...)`)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)
