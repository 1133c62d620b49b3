"""The API's JSON as typed dictionaries (what `GET /openapi.json` documents)."""

from __future__ import annotations

from typing import Any, Literal, TypedDict

JobStatus = Literal["queued", "running", "succeeded", "failed", "canceled"]
TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "canceled"})


class Job(TypedDict):
    id: str
    kind: Literal["search", "recipe", "training"]
    status: JobStatus
    progress: float
    input: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    cancel_requested: bool
    created_at: str
    started_at: str | None
    finished_at: str | None
    batch_id: str | None


class JobPage(TypedDict):
    items: list[Job]
    next_cursor: str | None


class JobEvent(TypedDict):
    """The data of one event of `GET /jobs/{id}/events`."""

    job_id: str
    seq: int
    type: str
    data: dict[str, Any]
    created_at: str


class Batch(TypedDict):
    id: str
    kind: str
    total: int
    status: Literal["running", "completed"]
    counts: dict[str, int]
    created_at: str
    completed_at: str | None


class BatchResult(TypedDict):
    """One line of `GET /batches/{id}/results`: an item's outcome, in input order."""

    index: int
    job_id: str
    status: JobStatus
    result: dict[str, Any] | None
    error: dict[str, Any] | None


class WebhookMessage(TypedDict):
    """A verified webhook: `type` is job.started, job.progress, job.completed or
    batch.completed; `data` the job (or the batch) at that moment."""

    id: str
    type: str
    timestamp: str
    data: dict[str, Any]
