"""Fair dispatch: the job store is the queue of record; the broker and the workers hold only
a small window of each tenant's work.

A tenant may have at most `window(kind)` jobs in flight per kind: dispatched (its message
sent) and not finished, whether waiting in the broker or running. A submit is dispatched at
once while its tenant's window has room and nothing older of theirs waits; otherwise it
waits in the store (the backlog). The dispatcher refills every tenant's window from its
backlog as jobs finish, oldest first, and publishes the tenants' messages interleaved. With
workers that have more threads than one tenant's window, another tenant's job always finds
a free thread, and the worker's micro-batcher (filled round-robin by tenant) puts it in the
next batch: it waits behind at most the batch in progress, not behind the burst. Caps bound
what one tenant may have open (queued or running, dispatched or not) per kind.

This is the shape of Hatchet's group round-robin and BullMQ groups: the database orders
work per group, and a bounded number of messages per group is in flight.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import zip_longest
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Select,
    bindparam,
    exists,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from core.database import transaction
from core.errors import QuotaExceeded
from core.job_labels import JobLabels, message_labels
from core.kinds import KINDS
from core.models import Job, utcnow
from core.states import QUEUE_FOR_KIND, TASK_FOR_KIND, TERMINAL, JobKind, JobStatus

UNBOUNDED = 10**9
T = TypeVar("T")
# A tenant is alone with a kind once no other tenant has had work of it for this long: a
# tenant sending one job after another (each finished before the next is sent) is not gone
# between two of them, and the first tenant's lone window must not fill up again in the gap.
LONE_AFTER_S = 2.0

BACKLOG: ColumnElement[bool] = (Job.status == JobStatus.QUEUED) & Job.dispatched_at.is_(None)
IN_BROKER: ColumnElement[bool] = (Job.status == JobStatus.QUEUED) & \
    Job.dispatched_at.is_not(None)
IN_FLIGHT: ColumnElement[bool] = Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]) & \
    Job.dispatched_at.is_not(None)
OPEN: ColumnElement[bool] = Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING])


@dataclass(frozen=True)
class DispatchPolicy:
    """Per kind: `windows`, the jobs one tenant may have in flight (dispatched and not
    finished); `lone_windows`, the same for a tenant that alone has work of the kind (the
    dispatcher's refills only; never below the window); and `caps`, the jobs one tenant may
    have open (queued or running). A kind not named is unbounded."""

    windows: Mapping[str, int] = field(default_factory=dict)
    caps: Mapping[str, int] = field(default_factory=dict)
    lone_windows: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def declared(cls, windows: Mapping[str, int], caps: Mapping[str, int],
                 lone_windows: Mapping[str, int] | None = None) -> DispatchPolicy:
        """Every declared kind's windows and cap: the value the settings (`windows`,
        `caps`, `lone_windows`) give it, else its declaration's default (`core.kinds`)."""
        lone = lone_windows or {}
        return cls(windows={name: int(windows.get(name, kind.dispatch_window))
                            for name, kind in KINDS.items()},
                   caps={name: int(caps.get(name, kind.max_open_jobs))
                         for name, kind in KINDS.items()},
                   lone_windows={name: int(lone.get(name, kind.lone_dispatch_window
                                                    or kind.dispatch_window))
                                 for name, kind in KINDS.items()})

    def window(self, kind: str) -> int:
        return self.windows.get(kind, UNBOUNDED)

    def lone_window(self, kind: str) -> int:
        return max(self.window(kind), self.lone_windows.get(kind, 0))

    def cap(self, kind: str) -> int:
        return self.caps.get(kind, UNBOUNDED)


class Dispatched(NamedTuple):
    """A job whose message is to be published, with what the message says about it."""

    job_id: str
    kind: str
    labels: JobLabels = JobLabels()


@dataclass(frozen=True)
class JobMessage:
    """One broker message for one job or a group of one tenant's jobs of one kind: the task
    to run, its queue, its fresh task id, and the labels operators see
    (`core.job_labels`: headers, Flower's argument text)."""

    task: str
    queue: str
    job_ids: tuple[str, ...]
    task_id: str
    headers: Mapping[str, str] = field(default_factory=dict)
    argsrepr: str | None = None
    kwargsrepr: str | None = None


def group_message_for(jobs: Sequence[Dispatched]) -> JobMessage:
    """One message for these jobs of one tenant and kind (a group of one: the job's own)."""
    kind = jobs[0].kind
    job_kind = JobKind(kind)
    job_ids = tuple(job.job_id for job in jobs)
    headers, argsrepr, kwargsrepr = message_labels(kind, job_ids, [job.labels for job in jobs])
    return JobMessage(TASK_FOR_KIND[job_kind], QUEUE_FOR_KIND[job_kind], job_ids,
                      new_delivery_id(job_ids[0]), headers, argsrepr, kwargsrepr)


def messages_for(jobs: Sequence[Dispatched]) -> list[JobMessage]:
    """What every producer (the API, the dispatcher, maintenance) publishes for `jobs`: each
    tenant's jobs of a kind in groups of up to
    the kind's `message_group`, in their order, the tenants' groups interleaved as the
    jobs were (the first group of each tenant before any second one)."""
    groups: dict[tuple[str, str], list[list[Dispatched]]] = {}
    for job in jobs:
        size = KINDS[job.kind].message_group
        chunks = groups.setdefault((job.labels.tenant_id, job.kind), [[]])
        if len(chunks[-1]) >= size:
            chunks.append([])
        chunks[-1].append(job)
    return [group_message_for(group) for group in _interleaved(list(groups.values()))]


def publish_messages(celery: Any, messages: Sequence[JobMessage]) -> None:
    """Send the messages over one connection with a Celery app (`send_task`: the producer
    never imports the tasks); raises on a broker outage."""
    with celery.producer_or_acquire() as producer:
        for message in messages:
            celery.send_task(message.task, args=list(message.job_ids), queue=message.queue,
                             task_id=message.task_id, producer=producer,
                             headers=dict(message.headers), argsrepr=message.argsrepr,
                             kwargsrepr=message.kwargsrepr)


def _labels(row: Any) -> JobLabels:
    return JobLabels(row.tenant_id, row.request_id, row.summary or "")


def new_delivery_id(job_id: str) -> str:
    """A fresh Celery task id for one publish of the job: unique per message (the claim's
    fencing token) and naming the job, so the broker's contents can be matched to jobs."""
    return f"{job_id}.{uuid.uuid4().hex[:12]}"


def _counted(where: ColumnElement[bool], tenant_id: str | BindParameter[Any],
             kind: str | BindParameter[Any], limit: int | BindParameter[Any] | None = None
             ) -> Any:
    """The number of the tenant's jobs of the kind matching `where` (counting stops at
    `limit`), as a scalar subquery."""
    rows = select(Job.id).where(where, Job.tenant_id == tenant_id, Job.kind == kind)
    if limit is not None:
        rows = rows.limit(limit)
    return select(func.count()).select_from(rows.subquery()).scalar_subquery()


def _count(session: Session, where: ColumnElement[bool], tenant_id: str, kind: str) -> int:
    return int(session.scalar(select(_counted(where, tenant_id, kind))) or 0)


def _others_in_flight(session: Session, tenant_id: str, kind: str) -> bool:
    """Whether another tenant has a job of the kind in flight (a scan of ix_jobs_in_flight,
    which the windows keep small)."""
    return session.scalar(select(Job.id).where(IN_FLIGHT, Job.kind == kind,
                                               Job.tenant_id != tenant_id).limit(1)) is not None


def _admission_counts(session: Session, tenant_id: str, kind: str,
                      cap: int) -> tuple[int, bool, int]:
    """In one round trip: the tenant's open jobs of the kind (counted up to `cap` + 1),
    whether it has a backlog, and its jobs in flight."""
    capped = cap < UNBOUNDED
    params = {"a_tenant": tenant_id, "a_kind": kind, **({"a_limit": cap + 1} if capped else {})}
    row = session.execute(_admission_statement(capped), params).one()
    return int(row[0] or 0), bool(row[1]), int(row[2] or 0)


@lru_cache(maxsize=2)
def _admission_statement(capped: bool) -> Select[Any]:
    """`_admission_counts`' statement, built once (the tenant, the kind and the cap bound):
    a submit's group commit runs it for every tenant in the group."""
    tenant = bindparam("a_tenant", type_=Job.__table__.c.tenant_id.type)
    kind = bindparam("a_kind", type_=Job.__table__.c.kind.type)
    backlog = exists().where(BACKLOG, Job.tenant_id == tenant, Job.kind == kind)
    open_jobs = _counted(OPEN, tenant, kind, bindparam("a_limit")) if capped else literal(0)
    return select(open_jobs, backlog, _counted(IN_FLIGHT, tenant, kind))


def admit(session: Session, rows: Sequence[dict[str, Any]], policy: DispatchPolicy,
          now: datetime) -> list[QuotaExceeded | None]:
    """In the insert's transaction, for each new `jobs` row: QuotaExceeded in its place when
    its tenant's cap is reached (the row must not be stored), else None, with the row's
    `dispatched_at` set when it may go to the broker at once."""
    verdicts: list[QuotaExceeded | None] = [None] * len(rows)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        groups[(row["tenant_id"], row["kind"])].append(index)
    # a row stored finished already (a cached search's answer) never holds a place under
    # the cap: checking it needs no lock
    opening = sorted({(row["tenant_id"], row["kind"]) for row in rows
                      if row["status"] not in TERMINAL})
    if opening:
        _lock_admission(session, opening)
    for (tenant_id, kind), indexes in groups.items():
        cap, window = policy.cap(kind), policy.window(kind)
        open_jobs, backlog, in_flight = _admission_counts(session, tenant_id, kind, cap)
        room = cap - open_jobs if cap < UNBOUNDED else len(indexes)
        for index in indexes[max(room, 0):]:
            verdicts[index] = QuotaExceeded(kind, cap)
        accepted = indexes[:max(room, 0)]
        free = len(accepted) if window >= UNBOUNDED else (
            0 if backlog else window - in_flight)
        for index in accepted[:max(free, 0)]:
            rows[index]["dispatched_at"] = now
    return verdicts


def _lock_admission(session: Session, pairs: Sequence[tuple[str, str]]) -> None:
    """Admit jobs of these (tenant, kind) pairs one transaction at a time, until commit.
    Admission counts, then inserts: two transactions admitting jobs of one tenant and kind
    at once (two API processes, or an Idempotency-Key submit beside a group commit) would
    each count without the other's rows and pass the cap together (24 concurrent submits
    under a cap of 3 stored 6). A lock per pair (`lock_in_order`), taken in sorted order."""
    lock_in_order(session, [("admit", tenant_id, kind) for tenant_id, kind in pairs])


def lock_in_order(session: Session, names: Sequence[tuple[str, ...]]) -> None:
    """Hold a lock per name until the transaction ends, in the names' order (the callers
    sort them: no deadlock between two transactions). PostgreSQL: transaction-scoped
    advisory locks, in a statement of their own so that what follows sees what the last
    holder committed. SQLite: its one write lock, taken by a write that changes nothing
    (first in the transaction: a deferred one that read first could not take it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_advisory_lock_statement(len(names)),
                        {f"l_key_{index}": _lock_key(name) for index, name in enumerate(names)})
    else:
        session.execute(_TAKE_WRITE_LOCK)


def _lock_key(name: tuple[str, ...]) -> int:
    """A name's advisory lock key: 64 bits of a hash, stable across processes."""
    digest = hashlib.blake2b("\x1f".join(name).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@lru_cache(maxsize=16)
def _advisory_lock_statement(count: int) -> Select[Any]:
    """`SELECT pg_advisory_xact_lock(:l_key_0), ...`: PostgreSQL evaluates a select list
    left to right, so the locks are taken in the keys' order."""
    return select(*[func.pg_advisory_xact_lock(bindparam(f"l_key_{index}", type_=BigInteger))
                    for index in range(count)])


_TAKE_WRITE_LOCK = update(Job).where(literal(False)).values(id=Job.id)


class Company:
    """When the dispatcher last saw more than one tenant with work of each kind. A tenant
    gets its kind's lone window only after `lone_after_s` without company (from the start,
    none has been seen)."""

    def __init__(self, lone_after_s: float = LONE_AFTER_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._lone_after_s, self._clock = lone_after_s, clock
        self._seen: dict[str, float] = {}

    def alone(self, kind: str, others_now: bool) -> bool:
        """Whether a tenant alone with `kind` now (`others_now` false) has been for long
        enough; records the company when there is some."""
        if others_now:
            self._seen[kind] = self._clock()
            return False
        seen = self._seen.get(kind)
        return seen is None or self._clock() - seen >= self._lone_after_s


def refill(session: Session, policy: DispatchPolicy, company: Company) -> list[Dispatched]:
    """Fill every tenant's window from its backlog, oldest first; returns the jobs to
    publish, tenants interleaved (the caller publishes after the commit)."""
    now = utcnow()
    per_tenant: list[list[Dispatched]] = []
    pairs = _backlog_pairs(session)
    tenants_waiting = Counter(kind for _, kind in pairs)
    for tenant_id, kind in pairs:
        window, lone_window = policy.window(kind), policy.lone_window(kind)
        if lone_window > window and company.alone(kind, tenants_waiting[kind] > 1 or (
                _others_in_flight(session, tenant_id, kind))):
            window = lone_window
        free = window - _count(session, IN_FLIGHT, tenant_id, kind)
        if free > 0:
            per_tenant.append(_dispatch_oldest(session, tenant_id, kind, min(free, 10_000),
                                               now))
    return list(_interleaved(per_tenant))


# The (tenant, kind) pairs with a backlog, longest waiting first, by a loose index scan of
# ix_jobs_backlog: one index probe per pair, where a GROUP BY reads every waiting job (3 ms
# of PostgreSQL a refill with 10,000 waiting, and the dispatcher refills up to 50 times a
# second while jobs finish).
_BACKLOG_PAIRS = text("""
WITH RECURSIVE pairs(tenant_id, kind) AS (
    (SELECT tenant_id, kind FROM jobs
     WHERE status = 'queued' AND dispatched_at IS NULL
     ORDER BY tenant_id, kind LIMIT 1)
    UNION ALL
    SELECT next.tenant_id, next.kind FROM pairs, LATERAL (
        SELECT tenant_id, kind FROM jobs
        WHERE status = 'queued' AND dispatched_at IS NULL
          AND (tenant_id, kind) > (pairs.tenant_id, pairs.kind)
        ORDER BY tenant_id, kind LIMIT 1) AS next
)
SELECT tenant_id, kind FROM pairs
ORDER BY (SELECT created_at FROM jobs
          WHERE status = 'queued' AND dispatched_at IS NULL
            AND jobs.tenant_id = pairs.tenant_id AND jobs.kind = pairs.kind
          ORDER BY created_at LIMIT 1)
""")


def _on_postgresql(session: Session) -> bool:
    """PostgreSQL has row locks to skip and lateral joins; SQLite (`make run`) has neither."""
    return session.get_bind().dialect.name == "postgresql"


def _backlog_pairs(session: Session) -> list[tuple[str, str]]:
    """(tenant id, kind) of every backlog, the one whose oldest job waits longest first."""
    if _on_postgresql(session):
        return [(row.tenant_id, row.kind) for row in session.execute(_BACKLOG_PAIRS)]
    return [(row.tenant_id, row.kind) for row in session.execute(
        select(Job.tenant_id, Job.kind).where(BACKLOG).group_by(Job.tenant_id, Job.kind)
        .order_by(func.min(Job.created_at)))]


def _dispatch_oldest(session: Session, tenant_id: str, kind: str, count: int,
                     now: datetime) -> list[Dispatched]:
    """The tenant's oldest waiting jobs of `kind`, those of no batch first: an interactive
    submit waited behind its own tenant's batch of a thousand briefs (30 s and more)."""
    ids: list[str] = []
    for batched in (False, True):
        oldest = (select(Job.id).where(BACKLOG, Job.tenant_id == tenant_id, Job.kind == kind,
                                       Job.batch_id.is_not(None) if batched
                                       else Job.batch_id.is_(None))
                  .order_by(Job.created_at, Job.id).limit(count - len(ids)))
        if _on_postgresql(session):
            oldest = oldest.with_for_update(skip_locked=True)
        ids += session.scalars(oldest)
        if len(ids) >= count:
            break
    if not ids:
        return []
    won = session.execute(update(Job).where(Job.id.in_(ids), BACKLOG)
                          .values(dispatched_at=now)
                          .returning(Job.id, Job.tenant_id, Job.request_id, Job.summary)).all()
    order = {job_id: position for position, job_id in enumerate(ids)}
    return [Dispatched(row.id, kind, _labels(row))
            for row in sorted(won, key=lambda row: order[row.id])]


def _interleaved(lists: list[list[T]]) -> Iterator[T]:
    for round_ in zip_longest(*lists):
        yield from (item for item in round_ if item is not None)


def overdue(session: Session, older_than_s: float, limit: int = 5000) -> list[tuple[str, str]]:
    """(job id, kind) of jobs dispatched more than `older_than_s` ago and still queued: their
    message is late or lost (the caller checks the broker before publishing again)."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    return [(job_id, kind) for job_id, kind in session.execute(
        select(Job.id, Job.kind).where(IN_BROKER, Job.dispatched_at < cutoff)
        .order_by(Job.dispatched_at).limit(limit))]


def redispatch(session: Session, job_ids: Sequence[str]) -> list[Dispatched]:
    """Stamp these still-queued jobs dispatched now (their lost message is being replaced)."""
    if not job_ids:
        return []
    return [Dispatched(row.id, row.kind, _labels(row)) for row in session.execute(
        update(Job).where(Job.id.in_(list(job_ids)), Job.status == JobStatus.QUEUED)
        .values(dispatched_at=utcnow())
        .returning(Job.id, Job.kind, Job.tenant_id, Job.request_id, Job.summary))]


class DispatchQueue:
    """The dispatcher's and maintenance's view of the backlog (one transaction a call)."""

    def __init__(self, sessions: sessionmaker[Session], policy: DispatchPolicy,
                 company: Company | None = None) -> None:
        self._sessions, self.policy = sessions, policy
        self._company = company or Company()

    def refill(self) -> list[Dispatched]:
        with transaction(self._sessions) as session:
            return refill(session, self.policy, self._company)

    def overdue(self, older_than_s: float) -> list[tuple[str, str]]:
        with transaction(self._sessions) as session:
            return overdue(session, older_than_s)

    def redispatch(self, job_ids: Sequence[str]) -> list[Dispatched]:
        with transaction(self._sessions) as session:
            return redispatch(session, job_ids)

    def backlog(self) -> dict[str, int]:
        """Jobs waiting in the store for their turn, per kind."""
        with transaction(self._sessions) as session:
            return {kind: int(count) for kind, count in session.execute(
                select(Job.kind, func.count()).where(BACKLOG).group_by(Job.kind))}
