"""The webhook outbox as a work list: claiming the due head of many streams at once with a
lease (one sender per message, a stream's messages in order; a batch's `batch.completed`
after its items' messages), recording the attempts."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.orm import Session, aliased, sessionmaker

from core.database import transaction
from core.errors import BatchNotFound, DeliveryInFlight, DeliveryNotFound, JobNotFound
from core.metrics import WEBHOOK_ATTEMPT_SECONDS, WEBHOOK_ATTEMPTS, WEBHOOK_DELIVERY_SECONDS
from core.models import ApiKey, Batch, Job, WebhookAttempt, WebhookDelivery, utcnow
from core.views import iso
from core.webhooks import (
    DEAD,
    DELIVERED,
    PENDING,
    RETRYABLE_STATUS,
    batch_stream,
    mark_outbox_written,
    next_attempt_at,
    signing_secrets,
)

_OUTCOME = {DELIVERED: "delivered", PENDING: "retry", DEAD: "dead"}


@dataclass(frozen=True)
class OutgoingMessage:
    id: str
    url: str
    payload: dict[str, Any]
    attempt: int  # the message's attempt number: 1, 2, 3, ... across redeliveries
    budget_attempt: int  # its place in the current retry budget (1: first since queued
    # or redelivered): what the backoff schedule and the dead-letter verdict count
    secrets: tuple[str, ...]
    created_at: datetime | None = None  # when it entered the outbox
    tenant_id: str = ""  # whose message (a tenant's messages share its senders' turns)


@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt gave: a status code, or an error (timeout, refused...)."""

    status_code: int | None
    error: str | None
    duration_ms: float
    retry_after_s: float | None = None  # the receiver's Retry-After; if busy, the postponement
    busy: bool = False  # not attempted: the receiver's host is at its concurrency limit
    permanent: bool = False  # e.g. the URL is refused by policy: retrying cannot help

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.permanent:
            return False
        return self.status_code is None or self.status_code in RETRYABLE_STATUS


def _observe(outcomes: Sequence[tuple[OutgoingMessage, AttemptResult]],
             statuses: Sequence[str], now: datetime) -> None:
    """Metrics of recorded attempts (a busy receiver's postponed sends are no attempts)."""
    for (message, result), status in zip(outcomes, statuses, strict=True):
        if result.busy:
            continue
        WEBHOOK_ATTEMPTS.labels(_OUTCOME[status]).inc()
        WEBHOOK_ATTEMPT_SECONDS.observe(result.duration_ms / 1000)
        if status == DELIVERED and message.created_at is not None:
            WEBHOOK_DELIVERY_SECONDS.observe(max((now - message.created_at).total_seconds(),
                                                 0.0))


def _by_columns(updates: Sequence[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """Updates grouped by the parameters they set (one executemany per shape)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        groups.setdefault(tuple(sorted(values)), []).append(values)
    return groups


@lru_cache(maxsize=16)
def _update_by_id(parameters: tuple[str, ...]) -> Any:
    """`UPDATE webhook_deliveries SET <column> = :b_<column> ... WHERE id = :b_id`."""
    return update(WebhookDelivery).where(WebhookDelivery.id == bindparam("b_id")).values(
        {name[2:]: bindparam(name) for name in parameters if name != "b_id"})


def _first_in_stream(row: Any = WebhookDelivery) -> Any:
    """Pending messages with no pending message before them in their stream, and, for a
    batch's own message (`batch.completed`: a `batch_id`, no `job_id`), no pending message
    of the batch's items to the same URL queued before it (or with it: the last item's are
    written in the same transaction): "every item is final" reaches the receiver after the
    items' messages, even when an outage made them all due at once. A dead-lettered item
    message no longer holds it back. Index: `ix_webhook_batch`. `row`: the outbox, or an
    alias of it."""
    earlier, item = aliased(WebhookDelivery), aliased(WebhookDelivery)
    return and_(row.status == PENDING,
                ~exists().where(earlier.stream == row.stream,
                                earlier.status == PENDING,
                                tuple_(earlier.created_at, earlier.id)
                                < tuple_(row.created_at, row.id)),
                or_(row.batch_id.is_(None), row.job_id.is_not(None),
                    ~exists().where(item.batch_id == row.batch_id,
                                    item.status == PENDING,
                                    item.created_at <= row.created_at,
                                    item.job_id.is_not(None), item.url == row.url)))


# The outbox's statements are built once, their moments and limits bound at each call:
# built per call (aliases, subqueries, a window), they took a quarter of a busy webhooks
# worker's Python time, more than its HTTP client.
_NOW = bindparam("now", type_=WebhookDelivery.next_attempt_at.type)
_LIMIT = bindparam("limit", type_=Integer)


def _due_heads(row: Any = WebhookDelivery) -> Any:
    """Messages due at `:now`, unleased, and first in their stream (one per stream)."""
    return select(row).where(
        _first_in_stream(row), row.next_attempt_at <= _NOW,
        or_(row.lease_until.is_(None), row.lease_until < _NOW))


def _heads_by_turn(dialect: str) -> Any:
    """The ids of up to `:limit` heads due at `:now`, tenant by tenant: each tenant's oldest
    due head, then each one's second, and so on (oldest due first within a round).

    On PostgreSQL each tenant with due messages gives at most `:limit` heads, read in due
    order from `ix_webhook_tenant_due` (a LATERAL join): the claim costs about the tenants
    times the limit, whatever the backlog. Ranking every due message (the portable form,
    kept for SQLite's single-process development stack) cost ~4 µs a pending message per
    claim: 15 ms with 4,000 pending, most of the database's time while a backlog drained."""
    row = WebhookDelivery
    if dialect == "postgresql":
        tenants = select(row.tenant_id).where(row.status == PENDING, row.next_attempt_at
                                              <= _NOW).distinct().subquery("due_tenants")
        head = aliased(WebhookDelivery, name="head")
        candidates = _due_heads(head).with_only_columns(
            head.id, head.tenant_id, head.next_attempt_at).where(
            head.tenant_id == tenants.c.tenant_id).order_by(
            head.next_attempt_at, head.id).limit(_LIMIT).lateral("candidates")
        turn = func.row_number().over(partition_by=candidates.c.tenant_id,
                                      order_by=(candidates.c.next_attempt_at,
                                                candidates.c.id))
        ranked = select(candidates.c.id, candidates.c.next_attempt_at,
                        turn.label("turn")).select_from(
            tenants.join(candidates, true())).subquery()
    else:
        turn = func.row_number().over(partition_by=row.tenant_id,
                                      order_by=(row.next_attempt_at, row.id))
        ranked = _due_heads().with_only_columns(row.id, row.next_attempt_at,
                                                turn.label("turn")).subquery()
    return select(ranked.c.id).order_by(ranked.c.turn, ranked.c.next_attempt_at).limit(_LIMIT)


@lru_cache(maxsize=4)
def _claim_statement(dialect: str) -> Any:
    """Lease the heads of `_heads_by_turn` until `:lease_end`, returning what sending them
    needs (see `DeliveryStore.claim_due`)."""
    row = WebhookDelivery
    return update(row).where(
        row.id.in_(_heads_by_turn(dialect).scalar_subquery()), row.status == PENDING,
        or_(row.lease_until.is_(None), row.lease_until < _NOW)
    ).values(lease_until=bindparam("lease_end", type_=row.lease_until.type)).returning(
        row.id, row.url, row.payload, row.attempts, row.api_key_id, row.created_at,
        row.next_attempt_at, row.tenant_id)


@lru_cache(maxsize=1)
def _next_due_statements() -> tuple[Any, Any]:
    """The first unleased head by its next attempt (read in `ix_webhook_due`'s order, it
    stops at the first head), and the first leased head by the end of its lease (the
    leased are the few being sent: `ix_webhook_leased`). Minimum over every head, as one
    aggregate, it cost ~2 µs a pending message each time the pump asked."""
    row = WebhookDelivery
    unleased = select(row.next_attempt_at).where(
        _first_in_stream(), row.lease_until.is_(None)).order_by(row.next_attempt_at).limit(1)
    leased = select(row.lease_until, row.next_attempt_at).where(
        _first_in_stream(), row.lease_until.is_not(None)).order_by(row.lease_until).limit(1)
    return unleased, leased


@lru_cache(maxsize=1)
def _due_count_statement() -> Any:
    """How many heads are due at `:now`, counting at most `:limit`."""
    heads = _due_heads().with_only_columns(WebhookDelivery.id).limit(_LIMIT)
    return select(func.count()).select_from(heads.subquery())


class DeliveryStore:
    """The outbox. A message gets a retry budget of `max_attempts` attempts on the backoff
    schedule, from when it is queued and again from each redelivery; a row's `attempts`
    counts the attempts of its current budget, and its history (`webhook_attempts`) holds
    every attempt, numbered 1, 2, 3, ... across redeliveries."""

    def __init__(self, sessions: sessionmaker[Session], max_attempts: int,
                 backoff_base_s: float) -> None:
        self._sessions, self._max_attempts, self._base_s = sessions, max_attempts, backoff_base_s

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def next_due_in(self) -> float | None:
        """Seconds until the next message can be claimed: the first of a stream, at its
        next attempt or when its sender's lease lapses (0: one is due now); None when
        nothing is pending."""
        unleased, leased = _next_due_statements()
        with self._session() as session:
            next_attempt = session.scalar(unleased)
            lease = session.execute(leased).first()
        moments = [next_attempt] if next_attempt is not None else []
        if lease is not None:
            moments.append(max(lease.lease_until, lease.next_attempt_at))
        if not moments:
            return None
        return max((min(moments) - utcnow()).total_seconds(), 0.0)

    def due_count(self, limit: int = 10_000) -> int:
        with self._session() as session:
            return int(session.scalar(_due_count_statement(), {"now": utcnow(),
                                                               "limit": limit}) or 0)

    def claim_due(self, limit: int, lease_s: float) -> list[OutgoingMessage]:
        """Lease up to `limit` stream heads at once, tenant by tenant: each tenant's oldest
        due head, then each one's second, and so on (oldest due first within a round). A
        tenant's backlog, however large, is not claimed ahead of another tenant's message:
        claimed oldest due first across tenants, hundreds of one tenant's messages to a
        receiver that never answered (postponed while its host was at its limit, due again
        a second later) delayed every other tenant's webhooks by seconds, more the more
        there were. Two claimers never get the same message: one UPDATE picks the heads and
        sets their lease, and its compare-and-set on each row (unleased, or the lease
        lapsed) gives a row to one."""
        now = utcnow()
        with self._session() as session:
            connection = session.connection()  # Core execution: no ORM objects needed
            won = connection.execute(_claim_statement(connection.dialect.name), {
                "now": now, "limit": limit,
                "lease_end": now + timedelta(seconds=lease_s)}).all()
            if not won:
                return []
            secrets = self._secrets(connection, {head.api_key_id for head in won}, now)
            made = self._attempts_made(connection, [head.id for head in won])
        return [OutgoingMessage(head.id, head.url, head.payload, made.get(head.id, 0) + 1,
                                head.attempts + 1, secrets.get(head.api_key_id, ()),
                                head.created_at, head.tenant_id)
                for head in sorted(won, key=lambda head: head.next_attempt_at)]

    @staticmethod
    def _attempts_made(connection: Connection, message_ids: list[str]) -> dict[str, int]:
        """The number of each message's last recorded attempt (absent: none yet)."""
        return {delivery_id: int(last) for delivery_id, last in connection.execute(
            select(WebhookAttempt.delivery_id, func.max(WebhookAttempt.attempt))
            .where(WebhookAttempt.delivery_id.in_(message_ids))
            .group_by(WebhookAttempt.delivery_id))}

    @staticmethod
    def _secrets(connection: Connection, key_ids: set[str | None],
                 now: datetime) -> dict[str | None, tuple[str, ...]]:
        """The signing secrets of each key, read in the claim's transaction: a rotation
        signs from the first message claimed after it commits."""
        ids = [key_id for key_id in key_ids if key_id]
        if not ids:
            return {}
        return {key.id: tuple(signing_secrets(key, now)) for key in connection.execute(
            select(ApiKey.id, ApiKey.webhook_secret, ApiKey.retired_webhook_secrets)
            .where(ApiKey.id.in_(ids)))}

    def record(self, outcomes: Sequence[tuple[OutgoingMessage, AttemptResult]]) -> list[str]:
        """Store each attempt and decide: delivered, retry later, or dead (one transaction,
        one bulk UPDATE by primary key and one INSERT for the batch). Returns the statuses
        in order."""
        now = utcnow()
        statuses, updates, attempts = [], [], []
        for message, result in outcomes:
            status, values = self._outcome(message, result, now)
            statuses.append(status)
            updates.append({"b_id": message.id, **{f"b_{k}": v for k, v in values.items()}})
            if not result.busy:
                attempts.append({"delivery_id": message.id, "attempt": message.attempt,
                                 "status_code": result.status_code, "error": result.error,
                                 "duration_ms": result.duration_ms, "created_at": now})
        if updates:
            with self._session() as session:
                connection = session.connection()  # Core executemany, no ORM bulk
                for columns, rows in _by_columns(updates).items():
                    connection.execute(_update_by_id(columns), rows)
                if attempts:
                    connection.execute(insert(WebhookAttempt), attempts)
        _observe(outcomes, statuses, now)
        return statuses

    def _outcome(self, message: OutgoingMessage, result: AttemptResult,
                 now: datetime) -> tuple[str, dict[str, Any]]:
        values: dict[str, Any] = {"lease_until": None}
        if result.busy:  # not attempted: due again when the sender said (a second)
            postpone_s = 1.0 if result.retry_after_s is None else result.retry_after_s
            return PENDING, {**values, "next_attempt_at": now + timedelta(seconds=postpone_s)}
        status = self._verdict(message, result)
        values.update(status=status, attempts=message.budget_attempt,
                      last_status_code=result.status_code, last_error=result.error)
        if status == DELIVERED:
            values["delivered_at"] = now
        elif status == PENDING:
            values["next_attempt_at"] = next_attempt_at(message.budget_attempt,
                                                        result.retry_after_s, self._base_s)
        return status, values

    def _verdict(self, message: OutgoingMessage, result: AttemptResult) -> str:
        if result.delivered:
            return DELIVERED
        if result.retryable and message.budget_attempt < self._max_attempts:
            return PENDING
        return DEAD

    # ---- the API's view -----------------------------------------------------------------
    @staticmethod
    def _check_tenants_job(session: Session, tenant_id: str, job_id: str) -> None:
        """Raises JobNotFound unless the job is the tenant's (another's is none of theirs)."""
        job = session.get(Job, job_id)
        if job is None or job.tenant_id != tenant_id:
            raise JobNotFound(job_id)

    @staticmethod
    def _check_tenants_batch(session: Session, tenant_id: str, batch_id: str) -> None:
        """Raises BatchNotFound unless the batch is the tenant's."""
        batch = session.get(Batch, batch_id)
        if batch is None or batch.tenant_id != tenant_id:
            raise BatchNotFound(batch_id)

    def for_job(self, tenant_id: str, job_id: str) -> list[dict[str, Any]]:
        with self._session() as session:
            self._check_tenants_job(session, tenant_id, job_id)
            rows = session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.job_id == job_id).order_by(WebhookDelivery.created_at))
            return [self._describe(session, row) for row in rows]

    def for_batch(self, tenant_id: str, batch_id: str) -> list[dict[str, Any]]:
        """The batch's own messages (`batch.completed`; its items' are their jobs')."""
        with self._session() as session:
            self._check_tenants_batch(session, tenant_id, batch_id)
            rows = session.scalars(select(WebhookDelivery).where(
                WebhookDelivery.stream == batch_stream(batch_id))
                .order_by(WebhookDelivery.created_at))
            return [self._describe(session, row) for row in rows]

    def _describe(self, session: Session, row: WebhookDelivery) -> dict[str, Any]:
        """The message as its owner sees it: `attempts` counts every attempt made (the
        history's length), across redeliveries."""
        attempts = list(session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.delivery_id == row.id).order_by(WebhookAttempt.attempt)))
        return {"id": row.id, "type": row.event_type, "url": row.url, "status": row.status,
                "attempts": len(attempts), "next_attempt_at": iso(row.next_attempt_at)
                if row.status == PENDING else None,
                "created_at": iso(row.created_at), "delivered_at": iso(row.delivered_at),
                "history": [{"attempt": a.attempt, "status_code": a.status_code,
                             "error": a.error, "duration_ms": round(a.duration_ms, 1),
                             "at": iso(a.created_at)} for a in attempts]}

    def redeliver(self, tenant_id: str, job_id: str, delivery_id: str) -> dict[str, Any]:
        """Send a message again, now (same webhook-id). The rule: a redelivered message gets
        a fresh retry budget, the full schedule again (up to `max_attempts` attempts, the
        backoff restarting from its first delay), as if it had just been queued; its attempt
        count goes on from where it was (after 3 attempts, the next is attempt 4: the answer
        and the history count every attempt once). A message being sent now is refused
        (DeliveryInFlight): a second chain of attempts of it would run beside the first.
        Raises JobNotFound (no such job of the tenant's) or DeliveryNotFound."""
        with self._session() as session:
            row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if row is None or row.tenant_id != tenant_id or row.job_id != job_id:
                self._check_tenants_job(session, tenant_id, job_id)  # as every job route
                raise DeliveryNotFound(delivery_id)
            return self._send_again(session, row)

    def redeliver_batch_message(self, tenant_id: str, batch_id: str,
                                delivery_id: str) -> dict[str, Any]:
        """`redeliver` for a batch's own message (`batch.completed`). Raises BatchNotFound
        or DeliveryNotFound."""
        with self._session() as session:
            row = session.get(WebhookDelivery, delivery_id, with_for_update=True)
            if row is None or row.tenant_id != tenant_id or \
                    row.stream != batch_stream(batch_id):
                self._check_tenants_batch(session, tenant_id, batch_id)
                raise DeliveryNotFound(delivery_id, owner="batch")
            return self._send_again(session, row)

    def _send_again(self, session: Session, row: WebhookDelivery) -> dict[str, Any]:
        if row.lease_until is not None and row.lease_until > utcnow():
            raise DeliveryInFlight(row.id)
        row.status, row.next_attempt_at, row.lease_until = PENDING, utcnow(), None
        row.attempts = 0  # the row counts the attempts of the current budget
        mark_outbox_written(session)
        session.flush()
        return self._describe(session, row)

    def pending_count(self) -> int:
        """Messages not yet delivered or dead-lettered (waiting, being sent, or retrying)."""
        with self._session() as session:
            return int(session.scalar(select(func.count()).select_from(WebhookDelivery)
                                      .where(WebhookDelivery.status == PENDING)) or 0)

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        with self._session() as session:
            rows = session.execute(select(WebhookDelivery.status, func.count())
                                   .group_by(WebhookDelivery.status))
            return {status: int(count) for status, count in rows}
