"""The one writer of job status: a compare-and-set `UPDATE ... WHERE status IN (sources)`.

The event row, and the consequences of a job finishing (its batch completing), are written
in the same transaction, so a status change and its side effects commit together or not at
all. A writer that loses the race gets `False` and must not act as if it had won.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    Update,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from core.metrics import JOBS_FINISHED
from core.models import Batch, Job, JobEvent, utcnow
from core.states import TERMINAL, JobStatus, sources_of
from core.webhooks import enqueue_for_batch, enqueue_for_job_event

JOBS, EVENTS = cast(Table, Job.__table__), cast(Table, JobEvent.__table__)


def transition(session: Session, job_id: str, target: JobStatus, event: str,
               data: dict[str, Any] | Callable[[Row[Any]], dict[str, Any]],
               *where: ColumnElement[bool], returning: Sequence[Any] = (),
               **values: Any) -> Row[Any] | None:
    """Move `job_id` to `target` if its status allows it and `where` holds. Returns the
    updated row's `returning` columns (after `batch_id` and `webhook_url`) when it moved,
    else None. The event's `data` may be computed from that row (a value the UPDATE set)."""
    # Core statements on the tables (no ORM unit of work: this runs twice per job)
    stmt = (update(JOBS)
            .where(Job.id == job_id, Job.status.in_(sources_of(target)), *where)
            .values(status=target, updated_at=utcnow(), **values)
            .returning(Job.batch_id, Job.webhook_url, *returning))
    row = session.execute(stmt).first()
    if row is None:
        return None
    append_event(session, job_id, event,
                 {"status": str(target), **(data(row) if callable(data) else data)})
    if row.webhook_url:
        enqueue_for_job_event(session, job_id, event)
    if target in TERMINAL and row.batch_id:
        complete_batch_if_done(session, row.batch_id)
    return row


_FAIL_QUEUED = (update(JOBS)
                .where(JOBS.c.id == bindparam("r_id"), JOBS.c.status == str(JobStatus.QUEUED))
                .values(status=str(JobStatus.FAILED), error=bindparam("r_error"),
                        finished_at=bindparam("r_now"), updated_at=bindparam("r_now")))


def fail_refused(session: Session, batch_id: str, errors: Mapping[str, dict[str, Any]],
                 webhook: bool) -> None:
    """Fail the batch's items refused as submitted (`errors`: job id -> its error), just
    stored queued in this transaction: one UPDATE and one INSERT of their `failed` events
    for all of them, the batch completed once after. Each through `transition` (an UPDATE,
    an event and a count of the batch's open items apiece) took 5-9 s for a batch of 1,000
    invalid items, holding the embedded store's one writer lock while every other tenant's
    submit waited. `webhook`: whether the items have a webhook to tell."""
    if not errors:
        return
    now = utcnow()
    connection = session.connection()
    connection.execute(_FAIL_QUEUED, [{"r_id": job_id, "r_error": error, "r_now": now}
                                      for job_id, error in errors.items()])
    connection.execute(_NEXT_EVENT, [
        {"event_job": job_id, "event_type": "failed",
         "event_data": {"status": str(JobStatus.FAILED), "error": error}, "event_at": now}
        for job_id, error in errors.items()])
    if webhook:
        for job_id in errors:
            enqueue_for_job_event(session, job_id, "failed")
    complete_batch_if_done(session, batch_id)


def start_queued(session: Session, tokens: Mapping[str, str], lease_s: float,
                 max_attempts: int | None, worker: str = "") -> list[Row[Any]]:
    """Claim many queued jobs at once (`tokens`: job id -> the lease token of the delivery claiming
    it; `worker`: the worker process claiming them all): one UPDATE moves every one that is still
    queued, not canceled and not out of attempts to running, and one INSERT appends their `started`
    events. Returns the moved rows (`id`, `lease_token`, `attempts`, `batch_id`, `webhook_url`,
    `kind`, `input`, `created_at`, `tenant_id`); the others are for `transition`, one by one."""
    if not tokens:
        return []
    now = utcnow()
    capped = max_attempts is not None
    params = {"c_now": now, "c_until": now + timedelta(seconds=lease_s),
              "c_worker": worker or None, **({"c_max_attempts": max_attempts} if capped else {})}
    for index, (job_id, token) in enumerate(tokens.items()):
        params[f"c_id_{index}"], params[f"c_token_{index}"] = job_id, token
    stmt = _claim_statement(len(tokens), capped)
    connection = session.connection()  # Core execution: these statements need no ORM
    rows = list(connection.execute(stmt, params).all())
    if rows:
        connection.execute(_NEXT_EVENT, [
            {"event_job": row.id, "event_type": "started",
             "event_data": {"status": str(JobStatus.RUNNING), "attempt": row.attempts},
             "event_at": now} for row in rows])
        for row in rows:
            if row.webhook_url:
                enqueue_for_job_event(session, row.id, "started")
    return rows


@lru_cache(maxsize=256)
def _claim_statement(count: int, capped: bool) -> Update:
    """`start_queued`'s UPDATE for `count` jobs, built once per count: every job of a claim
    group gets its own lease token (a CASE on the id). Building it per call (its IN list,
    its CASE, its RETURNING, its cache key) was about a tenth of a no-op worker's Python time."""
    ids = [bindparam(f"c_id_{index}", type_=JOBS.c.id.type) for index in range(count)]
    tokens = [bindparam(f"c_token_{index}", type_=JOBS.c.lease_token.type)
              for index in range(count)]
    now = bindparam("c_now", type_=JOBS.c.updated_at.type)
    return (update(JOBS)
            .where(Job.id.in_(ids), Job.status == JobStatus.QUEUED,
                   Job.cancel_requested.is_(False),
                   *([Job.attempts < bindparam("c_max_attempts")] if capped else []))
            .values(status=JobStatus.RUNNING, updated_at=now, attempts=Job.attempts + 1,
                    lease_token=case(*zip(ids, tokens, strict=True), value=Job.id),
                    claimed_by=bindparam("c_worker", type_=JOBS.c.claimed_by.type),
                    lease_expires_at=bindparam("c_until", type_=JOBS.c.lease_expires_at.type),
                    started_at=func.coalesce(Job.started_at, now))
            .returning(Job.id, Job.lease_token, Job.attempts, Job.batch_id, Job.webhook_url,
                       Job.kind, Job.input, Job.created_at, Job.tenant_id))


def cancel_batch_items(session: Session, batch_id: str) -> None:
    """Cancel every queued item of a batch now and ask its running ones to stop (the runner
    records them canceled); finished ones stay. A few statements whatever the batch's size.

    Lock order is the workers': the item rows first, in id order (as a claim or a finish
    of many jobs locks them), the batch row last (as a finisher completing the batch does),
    so a cancel racing the workers on the same batch cannot deadlock with them."""
    now = utcnow()
    open_items = (Job.batch_id == batch_id,
                  Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
    session.execute(select(Job.id).where(*open_items).order_by(Job.id).with_for_update())
    connection = session.connection()  # Core execution: these statements need no ORM
    canceled = connection.execute(
        update(JOBS).where(Job.batch_id == batch_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.CANCELED, cancel_requested=True, finished_at=now,
                updated_at=now, error=CANCELED_ERROR)
        .returning(Job.id, Job.webhook_url, Job.kind)).all()
    for kind in {row.kind for row in canceled}:
        JOBS_FINISHED.labels(kind, str(JobStatus.CANCELED)).inc(
            sum(row.kind == kind for row in canceled))
    if canceled:
        connection.execute(_NEXT_EVENT, [
            {"event_job": row.id, "event_type": "canceled", "event_at": now,
             "event_data": {"status": str(JobStatus.CANCELED), "by": "batch"}}
            for row in canceled])
        for row in canceled:
            if row.webhook_url:
                enqueue_for_job_event(session, row.id, "canceled")
    connection.execute(update(JOBS).where(Job.batch_id == batch_id,
                                          Job.status == JobStatus.RUNNING)
                       .values(cancel_requested=True, updated_at=now))
    complete_batch_if_done(session, batch_id)


class Ending(NamedTuple):
    """How one claimed run ended, for `finish_held`."""

    job_id: str
    lease_token: str
    attempt: int
    target: JobStatus
    result: dict[str, Any] | None
    error: dict[str, Any] | None


CANCELED_ERROR = {"type": "canceled", "message": "canceled by request"}


def finish_held(session: Session,
                endings: Sequence[Ending]) -> dict[tuple[str, str], JobStatus]:
    """Record many runs' outcomes at once; returns the status recorded per (job id, lease
    token), for the runs whose lease still held (the others are left alone: their outcome
    is dropped). A success whose cancel was requested meanwhile is recorded as canceled.

    Three statements whatever the count: lock the held rows and read what they hold (a
    no-op UPDATE … RETURNING: row locks on PostgreSQL, the write lock on SQLite), one
    executemany UPDATE, one executemany INSERT of the events; then the webhooks of
    subscribed jobs and the batches that may be complete, in batch id order."""
    assert all(ending.target in TERMINAL for ending in endings)
    now = utcnow()
    wanted = {(ending.job_id, ending.lease_token): ending for ending in endings}
    ids = [ending.job_id for ending in endings]
    connection = session.connection()  # Core execution: these statements need no ORM
    held = [row for row in connection.execute(_HOLD, {"h_ids": ids, "h_now": now}).all()
            if (row.id, row.lease_token) in wanted]
    if not held:
        return {}
    writes, events, recorded = [], [], {}
    for row in held:
        ending = wanted[(row.id, row.lease_token)]
        target, result, error = ending.target, ending.result, ending.error
        if target == JobStatus.SUCCEEDED and row.cancel_requested:
            target, result, error = JobStatus.CANCELED, None, CANCELED_ERROR
        recorded[(row.id, row.lease_token)] = target
        writes.append({"b_id": row.id, "b_status": str(target), "b_result": result,
                       "b_error": error, "b_succeeded": target == JobStatus.SUCCEEDED})
        events.append({"event_job": row.id, "event_type": str(target), "event_at": now,
                       "event_data": {"status": str(target), "attempt": ending.attempt,
                                      **({"error": error} if error else {})}})
    connection.execute(_FINISH, [{**write, "b_now": now} for write in writes])
    connection.execute(_NEXT_EVENT, events)
    for row in held:
        if row.webhook_url:
            enqueue_for_job_event(session, row.id, str(recorded[(row.id, row.lease_token)]))
    for batch_id in sorted({row.batch_id for row in held if row.batch_id}):
        complete_batch_if_done(session, batch_id)
    return recorded


# lock the running rows of many jobs and read what they hold (`finish_held`'s first step)
_HOLD = (update(JOBS)
         .where(Job.id.in_(bindparam("h_ids", expanding=True)), Job.status == JobStatus.RUNNING)
         .values(updated_at=bindparam("h_now", type_=JOBS.c.updated_at.type))
         .returning(Job.id, Job.lease_token, Job.cancel_requested, Job.batch_id,
                    Job.webhook_url))

# one finished run, for an executemany: the lease is cleared, progress 1.0 on success
_FINISH = (update(JOBS).where(Job.id == bindparam("b_id"))
           .values(status=bindparam("b_status"),
                   result=bindparam("b_result", type_=JOBS.c.result.type),
                   error=bindparam("b_error", type_=JOBS.c.error.type),
                   progress=case((bindparam("b_succeeded"), 1.0), else_=Job.progress),
                   finished_at=bindparam("b_now"), updated_at=bindparam("b_now"),
                   lease_token=None, lease_expires_at=None))

# the next event of many jobs in one executemany INSERT (seq computed per row, as below)
_NEXT_EVENT = insert(EVENTS).values(
    job_id=bindparam("event_job"),
    seq=select(func.coalesce(func.max(JobEvent.seq), 0) + 1)
    .where(JobEvent.job_id == bindparam("event_job")).scalar_subquery(),
    type=bindparam("event_type"), data=bindparam("event_data", type_=EVENTS.c.data.type),
    created_at=bindparam("event_at"))


def append_event(session: Session, job_id: str, event: str, data: dict[str, Any],
                 seq: int | None = None) -> None:
    """Append the job's next event (or event `seq`, when the caller knows it: the first).
    One statement: the next seq is computed inside the INSERT; the row lock taken by the
    UPDATE orders concurrent appends to one job."""
    next_seq = seq if seq is not None else (
        select(func.coalesce(func.max(JobEvent.seq), 0) + 1)
        .where(JobEvent.job_id == job_id).scalar_subquery())
    session.execute(insert(EVENTS).values(job_id=job_id, seq=next_seq, type=event, data=data,
                                          created_at=utcnow()))


def complete_batch_if_done(session: Session, batch_id: str) -> bool:
    """Stamp the batch complete once every item is final (exactly once: compare-and-set)."""
    session.flush()
    # Lock the batch row so concurrent finishers of one batch count one after the other.
    # FOR NO KEY UPDATE, not FOR UPDATE: a finisher already holds a KEY SHARE lock on this
    # row (PostgreSQL's foreign-key check when a job row is updated twice in a
    # transaction), and two finishers each holding one and each asking FOR UPDATE deadlock.
    session.execute(select(Batch.id).where(Batch.id == batch_id)
                    .with_for_update(key_share=True))  # renders FOR NO KEY UPDATE
    open_items = session.scalar(select(func.count()).select_from(Job).where(
        Job.batch_id == batch_id, Job.status.not_in([str(s) for s in TERMINAL])))
    if open_items:
        return False
    stamped = session.execute(update(Batch).where(Batch.id == batch_id,
                                                  Batch.completed_at.is_(None))
                              .values(completed_at=utcnow()).returning(Batch.id)).first()
    if stamped is None:
        return False
    batch = session.execute(select(Batch).where(Batch.id == batch_id)
                            .execution_options(populate_existing=True)).scalar_one()
    counts = dict(session.execute(select(Job.status, func.count())
                                  .where(Job.batch_id == batch_id).group_by(Job.status)).all())
    enqueue_for_batch(session, batch, {str(k): int(v) for k, v in counts.items()})
    return True
