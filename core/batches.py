"""Batches: many jobs submitted together, counted, paged and canceled as one.

Status changes still go through `core.transitions` (`fail_refused` for the items refused as
submitted, `cancel_batch_items` for a whole batch at once).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.dispatch import Dispatched, DispatchPolicy, admit
from core.errors import BatchNotFound, IdempotencyConflict
from core.job_labels import JobLabels
from core.models import Batch, Job, JobEvent, utcnow
from core.states import JobStatus
from core.store import NewJob, hold_idempotency_key, refuse_key_of_other_kind
from core.transitions import cancel_batch_items, fail_refused
from core.views import JobView, iso


@dataclass(frozen=True)
class BatchItem:
    """One requested item: a valid payload, or the error that refused it."""

    payload: dict[str, Any]
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class BatchView:
    id: str
    kind: str
    total: int
    counts: dict[str, int]
    created_at: datetime
    completed_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "total": self.total,
                "counts": self.counts, "status": "completed" if self.completed_at else "running",
                "created_at": iso(self.created_at), "completed_at": iso(self.completed_at)}


@dataclass(frozen=True)
class ItemPage:
    items: list[tuple[int, JobView]]
    next_cursor: int | None


@dataclass(frozen=True)
class ItemResult:
    """One line of a batch's results: an item's outcome, in input order."""

    index: int
    job_id: str
    status: str
    result: dict[str, Any] | None
    error: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "job_id": self.job_id, "status": self.status,
                "result": self.result, "error": self.error}


class BatchStore:
    def __init__(self, sessions: sessionmaker[Session],
                 policy: DispatchPolicy | None = None,
                 idempotency_ttl_s: float = 86400.0) -> None:
        self._sessions, self._policy = sessions, policy or DispatchPolicy()
        self._idempotency_ttl_s = idempotency_ttl_s

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def create(self, *, tenant_id: str, kind: str, items: Sequence[BatchItem],
               webhook_url: str | None = None,
               webhook_events: Sequence[str] | None = None,
               api_key_id: str | None = None, idempotency_key: str | None = None,
               request_hash: str | None = None,
               request_id: str | None = None) -> tuple[BatchView, list[Dispatched]]:
        """Store the batch and one job per item; refused items fail at once, alone.
        Returns the batch and the jobs to publish now (the rest wait in the backlog for
        their turn). Raises QuotaExceeded, storing nothing, when the valid items would take
        the tenant over its cap, and IntegrityError when another batch of the tenant holds
        `idempotency_key` (see `create_once`)."""
        batch_id = str(uuid.uuid4())
        now = utcnow()
        rows = [NewJob(tenant_id, kind, item.payload, api_key_id=api_key_id,
                       webhook_url=webhook_url, webhook_events=webhook_events,
                       request_id=request_id).values(now + timedelta(microseconds=index),
                                                     batch_id=batch_id, batch_index=index)
                for index, item in enumerate(items)]
        valid = [row for row, item in zip(rows, items, strict=True) if not item.error]
        with self._session() as session:
            if idempotency_key:
                hold_idempotency_key(session, Job, tenant_id, idempotency_key,
                                     self._idempotency_ttl_s, "a job")
            refused = next((v for v in admit(session, valid, self._policy, now) if v), None)
            if refused is not None:
                raise refused
            session.add(Batch(id=batch_id, tenant_id=tenant_id, api_key_id=api_key_id,
                              kind=kind, total=len(items),
                              webhook_url=webhook_url, created_at=now,
                              webhook_events=list(webhook_events) if webhook_events else None,
                              idempotency_key=idempotency_key, request_hash=request_hash))
            session.flush()
            session.execute(insert(Job), rows)
            session.execute(insert(JobEvent), [
                {"job_id": row["id"], "seq": 1, "type": "queued", "data": {"status": "queued"},
                 "created_at": now} for row in rows])
            fail_refused(session, batch_id, {row["id"]: item.error for row, item
                                             in zip(rows, items, strict=True) if item.error},
                         webhook=bool(webhook_url))
        return self.get(tenant_id, batch_id), [
            Dispatched(row["id"], kind, JobLabels(tenant_id, request_id, row["summary"]))
            for row in valid if row["dispatched_at"] is not None]

    def create_once(self, *, tenant_id: str, idempotency_key: str, request_hash: str,
                    **create: Any) -> tuple[BatchView, list[Dispatched], bool]:
        """`create` at most once per (tenant, key) within the idempotency TTL. Returns
        (batch, jobs to publish, created); a replay returns the first batch, nothing to
        publish and created False. Raises IdempotencyConflict when the key came with
        another body."""
        existing = self._find_idempotent(tenant_id, idempotency_key, request_hash)
        if existing is not None:
            return existing, [], False
        try:
            batch, to_publish = self.create(tenant_id=tenant_id, idempotency_key=idempotency_key,
                                            request_hash=request_hash, **create)
        except IntegrityError:  # a concurrent submit with the same key won
            existing = self._find_idempotent(tenant_id, idempotency_key, request_hash)
            if existing is None:
                raise
            return existing, [], False
        return batch, to_publish, True

    def _find_idempotent(self, tenant_id: str, key: str, request_hash: str) -> BatchView | None:
        with self._session() as session:
            batch = session.scalar(select(Batch).where(Batch.tenant_id == tenant_id,
                                                       Batch.idempotency_key == key))
            if batch is None:
                refuse_key_of_other_kind(session, Job, tenant_id, key,
                                         self._idempotency_ttl_s, "a job")
                return None
            if batch.created_at < utcnow() - timedelta(seconds=self._idempotency_ttl_s):
                batch.idempotency_key = None  # expired: the key is free for a new batch
                return None
            if batch.request_hash != request_hash:
                raise IdempotencyConflict(
                    f"Idempotency-Key {key!r} was already used with a different request")
            batch_id = batch.id
        return self.get(tenant_id, batch_id)

    def get(self, tenant_id: str, batch_id: str) -> BatchView:
        """Raises BatchNotFound for an unknown batch or another tenant's."""
        with self._session() as session:
            batch = session.get(Batch, batch_id)
            if batch is None or batch.tenant_id != tenant_id:
                raise BatchNotFound(batch_id)
            rows = session.execute(select(Job.status, func.count()).where(
                Job.batch_id == batch_id).group_by(Job.status))
            counts = {str(status): 0 for status in JobStatus}
            counts.update({status: count for status, count in rows})
            return BatchView(batch.id, batch.kind, batch.total, counts, batch.created_at,
                             batch.completed_at)

    def items(self, tenant_id: str, batch_id: str, *, status: str | None = None,
              limit: int = 100, after: int = -1) -> ItemPage:
        self.get(tenant_id, batch_id)
        query = select(Job).where(Job.batch_id == batch_id, Job.batch_index > after)
        if status:
            query = query.where(Job.status == status)
        query = query.order_by(Job.batch_index).limit(limit + 1)
        with self._session() as session:
            rows = list(session.scalars(query))
        page = [(job.batch_index or 0, JobView.of(job)) for job in rows[:limit]]
        return ItemPage(page, page[-1][0] if len(rows) > limit else None)

    def results(self, tenant_id: str, batch_id: str, *, after: int = -1,
                limit: int = 200) -> list[ItemResult]:
        """Up to `limit` items after index `after`, in input order, with their outcome.
        An unknown batch or another tenant's has none: `get` it first for a 404."""
        query = (select(Job.batch_index, Job.id, Job.status, Job.result, Job.error)
                 .where(Job.batch_id == batch_id, Job.tenant_id == tenant_id,
                        Job.batch_index > after)
                 .order_by(Job.batch_index).limit(limit))
        with self._session() as session:
            rows = session.execute(query).all()
        return [ItemResult(index or 0, job_id, status, result, error)
                for index, job_id, status, result, error in rows]

    def cancel(self, tenant_id: str, batch_id: str) -> BatchView:
        """Cancel every queued item now and ask running ones to stop; finished ones stay.
        An item canceled here reads like a job canceled alone (`CANCELED_ERROR`); one a
        worker claimed meanwhile is running, and is asked to stop like the others."""
        self.get(tenant_id, batch_id)
        with self._session() as session:
            cancel_batch_items(session, batch_id)
        return self.get(tenant_id, batch_id)
