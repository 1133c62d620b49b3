"""Plain, JSON-safe views of stored rows (what the edges hand out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.job_labels import JobLabels
from core.models import Job, JobEvent


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class JobView:
    id: str
    kind: str
    status: str
    progress: float
    input: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    batch_id: str | None
    tenant_id: str
    dispatched: bool = False  # its message went to the broker (see core.dispatch)
    request_id: str | None = None
    summary: str | None = None

    @classmethod
    def of(cls, job: Job) -> JobView:
        return cls(
            id=job.id, kind=job.kind, status=job.status, progress=job.progress,
            input=job.input, result=job.result, error=job.error, attempts=job.attempts,
            cancel_requested=job.cancel_requested, created_at=job.created_at,
            started_at=job.started_at, finished_at=job.finished_at, batch_id=job.batch_id,
            tenant_id=job.tenant_id, dispatched=job.dispatched_at is not None,
            request_id=job.request_id, summary=job.summary,
        )

    @classmethod
    def of_values(cls, row: Mapping[str, Any]) -> JobView:
        """From a `jobs` row's column values (as inserted)."""
        values: dict[str, Any] = {name: row.get(name) for name in cls.__dataclass_fields__
                                  if name != "dispatched"}
        return cls(**values, dispatched=row.get("dispatched_at") is not None)

    @property
    def labels(self) -> JobLabels:
        """What the job's broker messages tell operators about it."""
        return JobLabels(self.tenant_id, self.request_id, self.summary or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "kind": self.kind, "status": self.status,
            "progress": self.progress, "input": self.input, "result": self.result,
            "error": self.error, "attempts": self.attempts,
            "cancel_requested": self.cancel_requested,
            "created_at": iso(self.created_at), "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at), "batch_id": self.batch_id,
        }


@dataclass(frozen=True)
class EventView:
    job_id: str
    seq: int
    type: str
    data: dict[str, Any]
    created_at: datetime

    @classmethod
    def of(cls, event: JobEvent) -> EventView:
        return cls(event.job_id, event.seq, event.type, event.data, event.created_at)

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "seq": self.seq, "type": self.type,
                "data": self.data, "created_at": iso(self.created_at)}


@dataclass(frozen=True)
class Page:
    items: list[JobView]
    next_cursor: str | None


@dataclass(frozen=True)
class Claim:
    """A won claim on a job: its input and the lease token that fences later writes."""

    job_id: str
    kind: str
    input: dict[str, Any]
    lease_token: str
    attempt: int
    created_at: datetime
    tenant_id: str = ""
    batch_id: str | None = None
