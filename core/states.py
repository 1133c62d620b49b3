"""The job lifecycle: states, kinds and the one transition table.

`queued -> running -> succeeded | failed | canceled`, and `queued -> canceled | failed`
(a batch item whose input was refused fails without running).
`running -> running` is a new attempt (redelivery or reclaim after a lost worker);
`running -> queued` is the maintenance task handing a lost job back to the queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class JobKind(StrEnum):
    SEARCH = "search"
    RECIPE = "recipe"
    TRAINING = "training"


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
TASK_FOR_KIND: Mapping[JobKind, str] = MappingProxyType({
    JobKind.SEARCH: "search.run",
    JobKind.RECIPE: "recipe.generate",
    JobKind.TRAINING: "training.run",
})
QUEUE_FOR_KIND: Mapping[JobKind, str] = MappingProxyType({
    JobKind.SEARCH: "search",
    JobKind.RECIPE: "recipe",
    JobKind.TRAINING: "training",
})
QUEUES: tuple[str, ...] = ("search", "recipe", "training", "webhooks", "maintenance")
# Workers publish a job id here (Redis pub/sub on the broker) when the job changed state, so
# API processes waiting on it look now instead of at their next poll.
NOTIFY_CHANNEL = "fragrance:job-events"


def can_transition(source: JobStatus, target: JobStatus) -> bool:
    return target in TRANSITIONS[source]


def sources_of(target: JobStatus) -> frozenset[JobStatus]:
    """Every state from which `target` may be entered (the CAS `WHERE status IN (...)`)."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)
