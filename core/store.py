"""The job store: every read and write of jobs. Status changes go through
`core.transitions.transition`, the one compare-and-set writer."""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import ColumnElement, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.database import single_statement_reads, transaction
from core.dispatch import DispatchPolicy, admit, lock_in_order
from core.errors import (
    IdempotencyConflict,
    JobCanceled,
    JobNotFound,
    QuotaExceeded,
    StoreUnavailable,
    TransitionRefused,
)
from core.job_labels import summarize
from core.metrics import JOBS_FINISHED
from core.models import Batch, Job, JobEvent, utcnow
from core.states import TERMINAL, JobStatus
from core.transitions import (
    CANCELED_ERROR,
    Ending,
    append_event,
    finish_held,
    start_queued,
    transition,
)
from core.views import Claim, EventView, JobView, Page
from core.webhooks import enqueue_for_job_event

log = logging.getLogger(__name__)
I = TypeVar("I")  # noqa: E741
R = TypeVar("R")


class ClaimRequest(NamedTuple):
    job_id: str
    delivery_id: str
    # the tenant the message names: a hint for fair grouping only (the claim reads the row)
    tenant_hint: str = ""


class LostRun(NamedTuple):
    """A run whose lease expired with its worker: the job, the delivery (Celery task id)
    that claimed it, and the worker that held it (None for a claim of an older version)."""

    job_id: str
    kind: str
    delivery_id: str | None
    worker: str | None


class Outcome(NamedTuple):
    """How a claimed run ended: the status to record, and its result or error."""

    claim: Claim
    target: JobStatus
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


def _ending(outcome: Outcome) -> Ending:
    claim = outcome.claim
    return Ending(claim.job_id, claim.lease_token, claim.attempt, outcome.target,
                  outcome.result, outcome.error)


def encode_cursor(created_at: datetime, job_id: str) -> str:
    raw = f"{created_at.isoformat()}|{job_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """Raises ValueError on a cursor this store did not make."""
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        stamp, job_id = raw.decode("ascii").split("|", 1)
        created_at = datetime.fromisoformat(stamp)
        if created_at.tzinfo is None or str(uuid.UUID(job_id)) != job_id:
            raise ValueError(cursor)
        # in UTC, as the store's times are: "09:34+05:30" paged from 09:34 UTC
        return created_at.astimezone(UTC), job_id
    except (ValueError, UnicodeError) as exc:
        raise ValueError("cursor is not valid") from exc


@dataclass(frozen=True)
class NewJob:
    """What a submit stores: one queued job."""

    tenant_id: str
    kind: str
    input: dict[str, Any]
    api_key_id: str | None = None
    webhook_url: str | None = None
    webhook_events: Sequence[str] | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    request_id: str | None = None  # the submitting request's X-Request-ID

    def values(self, now: datetime, *, batch_id: str | None = None,
               batch_index: int | None = None) -> dict[str, Any]:
        """The new `jobs` row's columns (a fresh id)."""
        return {"id": str(uuid.uuid4()), "tenant_id": self.tenant_id,
                "api_key_id": self.api_key_id, "kind": self.kind,
                "status": str(JobStatus.QUEUED), "progress": 0.0, "input": self.input,
                "result": None, "error": None, "attempts": 0, "cancel_requested": False,
                "batch_id": batch_id, "batch_index": batch_index, "dispatched_at": None,
                "idempotency_key": self.idempotency_key, "request_hash": self.request_hash,
                "webhook_url": self.webhook_url,
                "webhook_events": list(self.webhook_events) if self.webhook_events else None,
                "request_id": self.request_id, "summary": summarize(self.kind, self.input),
                "created_at": now, "updated_at": now, "started_at": None, "finished_at": None}

    def row(self, now: datetime, *, batch_id: str | None = None,
            batch_index: int | None = None) -> Job:
        return Job(**self.values(now, batch_id=batch_id, batch_index=batch_index))


def refuse_key_of_other_kind(session: Session, model: type[Job] | type[Batch],
                             tenant_id: str, key: str, ttl_s: float, what: str) -> None:
    """An Idempotency-Key is one request's, whatever its endpoint: a key a tenant used for
    a batch (or a job) within the TTL is a conflict for a job (or a batch), not a new one."""
    used = session.scalar(select(model.created_at).where(
        model.tenant_id == tenant_id, model.idempotency_key == key))
    if used is not None and used >= utcnow() - timedelta(seconds=ttl_s):
        raise IdempotencyConflict(f"Idempotency-Key {key!r} was already used for {what}")


def hold_idempotency_key(session: Session, model: type[Job] | type[Batch], tenant_id: str,
                         key: str, ttl_s: float, what: str) -> None:
    """In the transaction that stores a keyed job (or batch): lock the tenant's key until
    commit, then refuse it if a batch (or job) holds it. Each table's unique key keeps two
    jobs (or two batches) from sharing it; the lock keeps a job and a batch submitted with
    it at the same moment from each finding the other's table empty (both were stored)."""
    lock_in_order(session, [("idempotency", tenant_id, key)])
    refuse_key_of_other_kind(session, model, tenant_id, key, ttl_s, what)


class JobStore:
    """Persistence of jobs and their events. Thread-safe: one session per call. New jobs
    are admitted by `policy` (core.dispatch): refused over the tenant's cap, dispatched at
    once or left in the backlog."""

    def __init__(self, sessions: sessionmaker[Session], idempotency_ttl_s: float = 86400.0,
                 policy: DispatchPolicy | None = None) -> None:
        self._sessions, self._idempotency_ttl_s = sessions, idempotency_ttl_s
        self._reads = single_statement_reads(sessions)
        self.policy = policy or DispatchPolicy()

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    # ---- submit and read ----------------------------------------------------------------
    def create(self, *, tenant_id: str, kind: str, input: dict[str, Any],
               batch_id: str | None = None, idempotency_key: str | None = None,
               request_hash: str | None = None, webhook_url: str | None = None,
               webhook_events: Sequence[str] | None = None,
               api_key_id: str | None = None,
               request_id: str | None = None) -> tuple[JobView, bool]:
        """Store a new queued job. Returns (job, created); created is False on an
        idempotent replay. Raises IdempotencyConflict when the key carried another body,
        QuotaExceeded over the tenant's cap."""
        if idempotency_key:
            existing = self._find_idempotent(tenant_id, idempotency_key, request_hash)
            if existing:
                return existing, False
        new = NewJob(tenant_id, kind, input, api_key_id=api_key_id, webhook_url=webhook_url,
                     webhook_events=webhook_events, idempotency_key=idempotency_key,
                     request_hash=request_hash, request_id=request_id)
        try:
            (outcome,) = self._insert([new.values(utcnow(), batch_id=batch_id)],
                                      keyed=idempotency_key)
        except IntegrityError:
            existing = self._find_idempotent(tenant_id, idempotency_key or "", request_hash)
            if existing is None:
                raise
            return existing, False
        if isinstance(outcome, QuotaExceeded):
            raise outcome
        return outcome, True

    def create_many(self, jobs: Sequence[NewJob]) -> list[JobView | QuotaExceeded]:
        """Store new queued jobs in one transaction (the API's group commit), in order; a
        job over its tenant's cap is QuotaExceeded in its place, not stored. Jobs with an
        Idempotency-Key go through `create`: a replay is no new row."""
        if any(job.idempotency_key for job in jobs):
            raise ValueError("create_many takes no idempotency keys; use create")
        now = utcnow()  # a microsecond apart: the group keeps its order (paging, dispatch)
        return self._insert([job.values(now + timedelta(microseconds=index))
                             for index, job in enumerate(jobs)])

    def create_answered(self, job: NewJob, result: dict[str, Any]) -> tuple[JobView, bool]:
        """Store a job that is answered already (a cached search): admitted like any job,
        and written succeeded with the events of a run (queued, started, succeeded) and
        their webhooks, in one transaction. Returns (job, created): with an Idempotency-Key
        used before, the first job and False, as `create`. Raises IdempotencyConflict,
        QuotaExceeded over the tenant's cap."""
        key = job.idempotency_key
        if key and (existing := self._find_idempotent(job.tenant_id, key, job.request_hash)):
            return existing, False
        try:
            return self._create_answered(job, result), True
        except IntegrityError:  # the same key, submitted at the same moment
            existing = self._find_idempotent(job.tenant_id, key or "", job.request_hash)
            if existing is None:
                raise
            return existing, False

    def _create_answered(self, job: NewJob, result: dict[str, Any]) -> JobView:
        now = utcnow()
        row = {**job.values(now), "status": str(JobStatus.SUCCEEDED), "progress": 1.0,
               "result": result, "attempts": 1, "started_at": now, "finished_at": now}
        run = {"attempt": 1, "cached": True}
        events = [("queued", {"status": "queued"}), ("started", {"status": "running", **run}),
                  ("succeeded", {"status": "succeeded", **run})]
        with self._session() as session:
            if job.idempotency_key:
                hold_idempotency_key(session, Batch, job.tenant_id, job.idempotency_key,
                                     self._idempotency_ttl_s, "a batch")
            (verdict,) = admit(session, [row], self.policy, now)
            if verdict:
                raise verdict
            session.execute(insert(Job), [row])
            session.execute(insert(JobEvent), [
                {"job_id": row["id"], "seq": seq, "type": event, "data": data,
                 "created_at": now} for seq, (event, data) in enumerate(events, start=1)])
            if job.webhook_url:
                for event, _ in events:
                    enqueue_for_job_event(session, row["id"], event)
        return JobView.of_values(row)

    def _insert(self, rows: list[dict[str, Any]],
                keyed: str | None = None) -> list[JobView | QuotaExceeded]:
        """One transaction: admission, the admitted rows and their first event (Core
        inserts, one statement each for the whole group); the one row of a `keyed` submit
        holds its Idempotency-Key first (`hold_idempotency_key`)."""
        with self._session() as session:
            if keyed:
                hold_idempotency_key(session, Batch, rows[0]["tenant_id"], keyed,
                                     self._idempotency_ttl_s, "a batch")
            verdicts = admit(session, rows, self.policy, rows[0]["created_at"])
            stored = [row for row, verdict in zip(rows, verdicts, strict=True) if not verdict]
            if stored:
                session.execute(insert(Job), stored)
                session.execute(insert(JobEvent), [
                    {"job_id": row["id"], "seq": 1, "type": "queued",
                     "data": {"status": "queued"}, "created_at": row["created_at"]}
                    for row in stored])
        return [verdict or JobView.of_values(row)
                for row, verdict in zip(rows, verdicts, strict=True)]

    def _find_idempotent(self, tenant_id: str, key: str,
                         request_hash: str | None) -> JobView | None:
        with self._session() as session:
            job = session.scalar(select(Job).where(Job.tenant_id == tenant_id,
                                                   Job.idempotency_key == key))
            if job is None:
                refuse_key_of_other_kind(session, Batch, tenant_id, key,
                                         self._idempotency_ttl_s, "a batch")
                return None
            if job.created_at < utcnow() - timedelta(seconds=self._idempotency_ttl_s):
                job.idempotency_key = None  # expired: the key is free for a new job
                return None
            if job.request_hash != request_hash:
                raise IdempotencyConflict(
                    f"Idempotency-Key {key!r} was already used with a different request")
            return JobView.of(job)

    def get(self, tenant_id: str, job_id: str) -> JobView:
        """Raises JobNotFound for an unknown id or another tenant's job."""
        with transaction(self._reads) as session:
            job = session.get(Job, job_id)
            if job is None or job.tenant_id != tenant_id:
                raise JobNotFound(job_id)
            return JobView.of(job)

    def get_any(self, job_id: str) -> JobView | None:
        with transaction(self._reads) as session:
            job = session.get(Job, job_id)
            return None if job is None else JobView.of(job)

    def owned_job_ids(self, tenant_id: str, job_ids: Sequence[str]) -> set[str]:
        """Which of `job_ids` are this tenant's jobs."""
        if not job_ids:
            return set()
        with self._session() as session:
            return set(session.scalars(select(Job.id).where(Job.tenant_id == tenant_id,
                                                            Job.id.in_(list(job_ids)))))

    def page(self, tenant_id: str, *, status: str | None = None, kind: str | None = None,
             limit: int = 50, cursor: str | None = None) -> Page:
        """Newest first, keyset-paginated on (created_at, id)."""
        query = select(Job).where(Job.tenant_id == tenant_id)
        if status:
            query = query.where(Job.status == status)
        if kind:
            query = query.where(Job.kind == kind)
        if cursor:
            created_at, last_id = decode_cursor(cursor)
            query = query.where(tuple_(Job.created_at, Job.id) < tuple_(created_at, last_id))
        query = query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)
        with self._session() as session:
            rows = list(session.scalars(query))
        items = [JobView.of(job) for job in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(rows[limit - 1].created_at, rows[limit - 1].id)
                    if more else None)

    def events(self, tenant_id: str, job_id: str, after_seq: int = 0) -> list[EventView]:
        self.get(tenant_id, job_id)
        with self._session() as session:
            rows = session.scalars(select(JobEvent)
                                   .where(JobEvent.job_id == job_id, JobEvent.seq > after_seq)
                                   .order_by(JobEvent.seq))
            return [EventView.of(event) for event in rows]

    def last_event_seq(self, tenant_id: str, job_id: str) -> tuple[JobView, int]:
        """The job and the sequence number of its latest event (0: none yet). Raises
        JobNotFound for an unknown id or another tenant's job."""
        job = self.get(tenant_id, job_id)
        with self._session() as session:
            last = session.scalar(select(func.max(JobEvent.seq))
                                  .where(JobEvent.job_id == job_id))
            return job, int(last or 0)

    def events_of_many(self, job_ids: Sequence[str], after_id: int) -> list[tuple[int, EventView]]:
        """Events of several jobs with a global id above `after_id` (for stream fan-out)."""
        if not job_ids:
            return []
        with self._session() as session:
            rows = session.scalars(select(JobEvent).where(JobEvent.job_id.in_(job_ids),
                                                          JobEvent.id > after_id)
                                   .order_by(JobEvent.id))
            return [(event.id, EventView.of(event)) for event in rows]

    def last_event_id(self) -> int:
        with self._session() as session:
            return int(session.scalar(select(func.max(JobEvent.id))) or 0)

    # ---- worker side --------------------------------------------------------------------
    def claim(self, job_id: str, delivery_id: str, lease_s: float,
              max_attempts: int | None = None, worker: str = "") -> Claim | None:
        """Win the right to run a job, or None (finished, canceled, or leased elsewhere).

        A queued job, a running job whose lease expired, or a running job leased to this
        same delivery (a redelivered message or a task retry) can be claimed. A job that
        already had `max_attempts` attempts (it keeps killing its workers) fails instead.
        """
        with self._session() as session:
            return self._claim_in(session, ClaimRequest(job_id, delivery_id), lease_s,
                                  max_attempts, worker)

    def claim_many(self, requests: Sequence[ClaimRequest], lease_s: float,
                   max_attempts: int | None = None,
                   worker: str = "") -> list[Claim | Exception | None]:
        """`claim` for many jobs (`worker`: the worker process claiming them all, its Celery
        hostname, kept with the lease: `requeue_lost` names it): the queued ones in one transaction
        of two statements (`core.transitions.start_queued`), the rest (a redelivery, an expired
        lease, a canceled or exhausted job) one by one in a second transaction, in job id order. A
        request the database refuses fails alone, in its place; a store outage fails them all
        (StoreUnavailable)."""
        tokens = {request.job_id: request.delivery_id for request in requests}
        try:
            with self._session() as session:
                started = {(row.id, row.lease_token): row
                           for row in start_queued(session, tokens, lease_s, max_attempts,
                                                   worker)}
        except StoreUnavailable:
            raise
        except Exception as exc:  # refused as a group: one by one, below
            log.warning("a group of %d claims was refused (%s); claiming one by one",
                        len(requests), type(exc).__name__)
            started = {}
        claims: list[Claim | Exception | None] = [None] * len(requests)
        rest: list[int] = []
        for index, request in enumerate(requests):
            if (row := started.get((request.job_id, request.delivery_id))) is not None:
                claims[index] = Claim(row.id, row.kind, row.input, row.lease_token,
                                      row.attempts, row.created_at, row.tenant_id,
                                      row.batch_id)
            else:
                rest.append(index)
        if rest:
            one_by_one = self._each_in_one_transaction(
                [requests[i] for i in rest],
                lambda session, request: self._claim_in(session, request, lease_s,
                                                         max_attempts, worker),
                order=lambda request: request.job_id)
            for index, claim in zip(rest, one_by_one, strict=True):
                claims[index] = claim
        return claims

    def _claim_in(self, session: Session, request: ClaimRequest, lease_s: float,
                  max_attempts: int | None, worker: str = "") -> Claim | None:
        job_id, delivery_id = request.job_id, request.delivery_id
        now = utcnow()
        reclaimable = (Job.status == JobStatus.QUEUED) | (
            (Job.status == JobStatus.RUNNING)
            & ((Job.lease_token == delivery_id) | (Job.lease_expires_at < now)))
        # the usual case in one statement: the attempt counted by the UPDATE itself
        won = transition(
            session, job_id, JobStatus.RUNNING, "started", lambda row: {"attempt": row.attempts},
            reclaimable, Job.cancel_requested.is_(False),
            *([Job.attempts < max_attempts] if max_attempts is not None else []),
            returning=(Job.attempts, Job.kind, Job.input, Job.created_at, Job.tenant_id),
            attempts=Job.attempts + 1, lease_token=delivery_id, claimed_by=worker or None,
            lease_expires_at=now + timedelta(seconds=lease_s),
            started_at=func.coalesce(Job.started_at, now))
        if won is not None:
            return Claim(job_id, won.kind, won.input, delivery_id, won.attempts,
                         won.created_at, won.tenant_id, won.batch_id)
        # not claimable: finished, leased elsewhere, canceled before it ran, or out of tries.
        # A cancel requested while it ran and its worker was lost (requeued, or its message
        # delivered again) ends it now, as any cancel does: with CANCELED_ERROR, lease cleared
        if (ended := transition(session, job_id, JobStatus.CANCELED, "canceled",
                                {"error": CANCELED_ERROR}, Job.cancel_requested.is_(True),
                                reclaimable, returning=(Job.kind,), error=CANCELED_ERROR,
                                finished_at=now, lease_token=None,
                                lease_expires_at=None)) is not None:
            JOBS_FINISHED.labels(ended.kind, str(JobStatus.CANCELED)).inc()
            return None
        attempt = (session.scalar(select(Job.attempts).where(Job.id == job_id)) or 0) + 1
        if max_attempts is not None and attempt > max_attempts:
            error = {"type": "too_many_attempts",
                     "message": f"the job was started {attempt - 1} times without "
                                "finishing (its workers were lost)"}
            if (ended := transition(session, job_id, JobStatus.FAILED, "failed",
                                    {"error": error}, reclaimable, returning=(Job.kind,),
                                    error=error, finished_at=now, lease_token=None,
                                    lease_expires_at=None)) is not None:
                JOBS_FINISHED.labels(ended.kind, str(JobStatus.FAILED)).inc()
        return None

    def _each_in_one_transaction(self, items: Sequence[I], write: Callable[[Session, I], R],
                                 order: Callable[[I], Any]) -> list[R | Exception]:
        """`write` every item in one transaction, in `order`; results in the items' order.
        If the database refuses the group, each item is written again in its own
        transaction, so the one it refuses fails alone (its exception in its place).
        StoreUnavailable (an outage) is raised for the group."""
        ordered = sorted(range(len(items)), key=lambda index: order(items[index]))
        results: list[R | Exception] = [None] * len(items)  # type: ignore[list-item]
        try:
            with self._session() as session:
                for index in ordered:
                    results[index] = write(session, items[index])
            return results
        except StoreUnavailable:
            raise
        except Exception as exc:
            if len(items) == 1:
                return [exc]
            log.warning("a group of %d writes was refused (%s); writing them one by one",
                        len(items), type(exc).__name__)
        for index in ordered:
            try:
                with self._session() as session:
                    results[index] = write(session, items[index])
            except StoreUnavailable:
                raise
            except Exception as exc:
                results[index] = exc
        return results

    def checkpoint(self, claim: Claim, progress: float | None,
                   data: dict[str, Any] | None = None, lease_s: float | None = None) -> None:
        """Record progress and extend the lease; raises JobCanceled if cancel was asked.
        With `progress=None` it only checks (a read, no write)."""
        if progress is None:
            with self._session() as session:
                row = session.execute(select(Job.lease_token, Job.status, Job.cancel_requested)
                                      .where(Job.id == claim.job_id)).first()
            if row is None or row.lease_token != claim.lease_token or \
                    row.status != "running" or row.cancel_requested:
                raise JobCanceled(claim.job_id)
            return
        values: dict[str, Any] = {"progress": round(max(0.0, min(1.0, progress)), 4),
                                  "updated_at": utcnow()}
        if lease_s:
            values["lease_expires_at"] = utcnow() + timedelta(seconds=lease_s)
        with self._session() as session:
            job = session.get(Job, claim.job_id)
            if job is None or job.lease_token != claim.lease_token or job.status != "running":
                raise JobCanceled(claim.job_id)
            if job.cancel_requested:
                raise JobCanceled(claim.job_id)
            session.execute(update(Job).where(Job.id == claim.job_id).values(**values))
            if data is not None:
                append_event(session, claim.job_id, "progress",
                             {"progress": values["progress"], **data})
                if job.webhook_url:
                    enqueue_for_job_event(session, claim.job_id, "progress")

    def extend_lease(self, claim: Claim, lease_s: float) -> bool:
        """Push the lease of a running claim forward (a heartbeat, not a status change);
        False when the claim no longer holds the job."""
        with self._session() as session:
            moved = session.execute(update(Job).where(
                Job.id == claim.job_id, Job.lease_token == claim.lease_token,
                Job.status == JobStatus.RUNNING)
                .values(lease_expires_at=utcnow() + timedelta(seconds=lease_s)))
            return bool(moved.rowcount)  # type: ignore[attr-defined]

    def finish(self, claim: Claim, target: JobStatus, *, result: dict[str, Any] | None = None,
               error: dict[str, Any] | None = None) -> JobStatus | None:
        """Record the outcome of a claimed run: the status recorded, or None if the lease
        was lost meanwhile. A success whose cancel was requested while it ran is recorded
        as canceled (the cancel wins; the result is dropped)."""
        with self._session() as session:
            return self._finish_in(session, Outcome(claim, target, result, error))

    def finish_many(self, outcomes: Sequence[Outcome]) -> list[JobStatus | Exception | None]:
        """`finish` for many claims in one transaction of a few statements
        (`core.transitions.finish_held`). If the database refuses the group, each is written
        alone (ordered by batch, then job: the lock order), so a refused one fails in its
        place; an outage fails them all (StoreUnavailable)."""
        try:
            with self._session() as session:
                recorded = finish_held(session, [_ending(outcome) for outcome in outcomes])
        except StoreUnavailable:
            raise
        except Exception as exc:
            log.warning("a group of %d outcomes was refused (%s); writing them one by one",
                        len(outcomes), type(exc).__name__)
            return self._each_in_one_transaction(
                outcomes, self._finish_in,
                order=lambda outcome: (outcome.claim.batch_id or "", outcome.claim.job_id))
        return [recorded.get((outcome.claim.job_id, outcome.claim.lease_token))
                for outcome in outcomes]

    @staticmethod
    def _finish_in(session: Session, outcome: Outcome) -> JobStatus | None:
        """One outcome, by the same writer as a group's (`finish_held`)."""
        return finish_held(session, [_ending(outcome)]).get(
            (outcome.claim.job_id, outcome.claim.lease_token))

    def release(self, claim: Claim, reason: str) -> bool:
        """Hand a claimed job back to the queue (e.g. the worker is shutting down)."""
        with self._session() as session:
            return transition(session, claim.job_id, JobStatus.QUEUED, "requeued",
                              {"reason": reason}, Job.lease_token == claim.lease_token,
                              Job.status == JobStatus.RUNNING, lease_token=None,
                              lease_expires_at=None, dispatched_at=None) is not None

    # ---- cancel -------------------------------------------------------------------------
    def request_cancel(self, tenant_id: str, job_id: str) -> JobView:
        """Cancel a queued job now; ask a running one to stop at its next checkpoint.

        Raises JobNotFound, or TransitionRefused for a job that was finished already
        (canceled included: the call that canceled it answered with the canceled job).
        """
        job = self.get(tenant_id, job_id)
        if job.status in TERMINAL:
            raise TransitionRefused(job_id, job.status, "cancel")
        with self._session() as session:
            canceled_now = job.status == JobStatus.QUEUED and transition(
                session, job_id, JobStatus.CANCELED, "canceled", {"by": "client"},
                Job.status == JobStatus.QUEUED, cancel_requested=True, finished_at=utcnow(),
                error=CANCELED_ERROR)  # the same error as a running job canceled
            if not canceled_now:
                session.execute(update(Job).where(Job.id == job_id,
                                                  Job.status == JobStatus.RUNNING)
                                .values(cancel_requested=True, updated_at=utcnow()))
        if canceled_now:  # a running one is counted by its worker when it stops
            JOBS_FINISHED.labels(job.kind, str(JobStatus.CANCELED)).inc()
        job = self.get(tenant_id, job_id)
        if job.status in TERMINAL and job.status != JobStatus.CANCELED:
            raise TransitionRefused(job_id, job.status, "cancel")
        return job

    # ---- maintenance --------------------------------------------------------------------
    def requeue_lost(self) -> list[LostRun]:
        """Running jobs whose lease expired (their worker died) go back to the backlog (the
        dispatcher publishes them in their tenant's turn). Returns the runs lost."""
        return self._requeue_runs("lease expired (worker lost)",
                                  Job.lease_expires_at < utcnow())

    def requeue_runs_of(self, worker: str) -> list[LostRun]:
        """Running jobs claimed by `worker` go back to the backlog now, leases or not. Only for
        a worker process starting under the name of one that is gone (a supervisor restarting
        a killed worker), before it claims anything: its predecessor's jobs need not wait
        for their leases to lapse. Returns the runs released."""
        if not worker:
            return []
        return self._requeue_runs("its worker restarted", Job.claimed_by == worker)

    def _requeue_runs(self, reason: str, *which: ColumnElement[bool]) -> list[LostRun]:
        with self._session() as session:
            lost = [LostRun(*row) for row in session.execute(
                select(Job.id, Job.kind, Job.lease_token, Job.claimed_by).where(
                    Job.status == JobStatus.RUNNING, *which).order_by(Job.id))]
            return [run for run in lost
                    if transition(session, run.job_id, JobStatus.QUEUED, "requeued",
                                  {"reason": reason}, *which, lease_token=None,
                                  lease_expires_at=None, claimed_by=None, dispatched_at=None)]

    def oldest_queued(self) -> dict[str, datetime]:
        """Per kind, when the oldest job still queued was submitted (in the broker or in
        the backlog); kinds with nothing queued are absent."""
        with self._session() as session:
            rows = session.execute(select(Job.kind, func.min(Job.created_at))
                                   .where(Job.status == JobStatus.QUEUED).group_by(Job.kind))
            return {kind: created_at for kind, created_at in rows if created_at is not None}

    def counts_by_status(self) -> dict[tuple[str, str], int]:
        with self._session() as session:
            rows = session.execute(select(Job.kind, Job.status, func.count())
                                   .group_by(Job.kind, Job.status))
            return {(kind, status): count for kind, status, count in rows}

    def ping(self, connections: int = 1) -> None:
        """Check the database answers, on `connections` pooled connections opened at once
        (a worker opens those its claim and finish groups will use before its first job,
        so no job waits for a connection to be made)."""
        with ExitStack() as opened:
            for _ in range(connections):
                opened.enter_context(self._session()).execute(select(1))
