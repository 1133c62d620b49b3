"""Webhook messages: which state changes produce one, their Standard Webhooks payload and
signature, and the retry schedule. Rows go into the outbox in the transition's transaction.
"""

from __future__ import annotations

import contextlib
import json
import random
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks import Webhook

from core.models import Batch, Job, WebhookDelivery, utcnow
from core.views import JobView, iso

# event name in the job's history -> (subscription name, webhook type)
JOB_EVENTS: dict[str, tuple[str, str]] = {
    "started": ("started", "job.started"),
    "progress": ("progress", "job.progress"),
    "succeeded": ("completed", "job.completed"),
    "failed": ("completed", "job.completed"),
    "canceled": ("completed", "job.completed"),
}
PENDING, DELIVERED, DEAD = "pending", "delivered", "dead"
# Redis pub/sub channel: "the outbox has new work" (published after the commit that wrote it)
WEBHOOKS_CHANNEL = "fragrance:webhooks-due"
_OUTBOX_WRITTEN = "fragrance.outbox_written"
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_DELAY_S = 3600.0


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def enqueue_for_job_event(session: Session, job_id: str, event: str) -> str | None:
    """Write the outbox row for this job event if the job subscribed to it."""
    subscription = JOB_EVENTS.get(event)
    if subscription is None:
        return None
    job = session.execute(select(Job).where(Job.id == job_id)
                          .execution_options(populate_existing=True)).scalar_one()
    wanted = job.webhook_events or ["completed"]
    if not job.webhook_url or subscription[0] not in wanted:
        return None
    data = JobView.of(job).to_dict()
    # a batch item's message carries its batch: the batch's `batch.completed` waits for it
    return _add(session, tenant_id=job.tenant_id, api_key_id=job.api_key_id,
                stream=job.id, job_id=job.id, batch_id=job.batch_id,
                event_type=subscription[1], url=job.webhook_url, data=data)


def batch_stream(batch_id: str) -> str:
    """The outbox stream of a batch's own messages (a job's is its id)."""
    return f"batch:{batch_id}"


def enqueue_for_batch(session: Session, batch: Batch, counts: dict[str, int]) -> str | None:
    """Write the batch's `batch.completed` (when every item is final: the same transaction
    as the last item's own messages, after them). It is sent after every message of the
    batch's items to that URL queued before it is delivered or dead-lettered (see
    `core.deliveries`)."""
    if not batch.webhook_url:
        return None
    data = {"id": batch.id, "kind": batch.kind, "total": batch.total, "counts": counts,
            "status": "completed", "completed_at": iso(batch.completed_at)}
    return _add(session, tenant_id=batch.tenant_id, api_key_id=batch.api_key_id,
                stream=batch_stream(batch.id), job_id=None, batch_id=batch.id,
                event_type="batch.completed", url=batch.webhook_url, data=data)


def _add(session: Session, *, tenant_id: str, api_key_id: str | None, stream: str,
         job_id: str | None, batch_id: str | None, event_type: str, url: str,
         data: dict[str, Any]) -> str:
    now = utcnow()
    message_id = new_message_id()
    payload = {"type": event_type, "timestamp": iso(now), "data": data}
    mark_outbox_written(session)
    session.add(WebhookDelivery(
        id=message_id, tenant_id=tenant_id, api_key_id=api_key_id, stream=stream,
        job_id=job_id, batch_id=batch_id, event_type=event_type, url=url, payload=payload,
        status=PENDING, attempts=0, next_attempt_at=now, created_at=now))
    return message_id


def mark_outbox_written(session: Session) -> None:
    """This transaction puts work in the outbox (see `notify_after_outbox_commit`)."""
    session.info[_OUTBOX_WRITTEN] = True


def notify_after_outbox_commit(sessions: sessionmaker[Session],
                               notify: Callable[[], None]) -> None:
    """Call `notify` after each commit, by a session of `sessions`, of a transaction that
    put work in the outbox (a new message, a redelivery): the senders' wake-up. `notify`
    must not block (it runs inside the commit call) and its errors are ignored."""
    def committed(session: Session) -> None:
        if session.info.pop(_OUTBOX_WRITTEN, False):
            with contextlib.suppress(Exception):  # the senders' sweep finds the work anyway
                notify()

    def rolled_back(session: Session, *_: Any) -> None:
        session.info.pop(_OUTBOX_WRITTEN, None)

    event.listen(sessions, "after_commit", committed)
    event.listen(sessions, "after_soft_rollback", rolled_back)


class SigningKey(Protocol):
    """What signing reads of a key (an `ApiKey`, or a row of those columns)."""

    webhook_secret: str
    retired_webhook_secrets: list[dict[str, str]] | None


def signing_secrets(key: SigningKey | None, now: datetime) -> list[str]:
    """The current secret, plus every rotated-out secret still inside its overlap."""
    if key is None:
        return []
    return [key.webhook_secret, *(retired["secret"] for retired in key.retired_webhook_secrets
                                  or [] if datetime.fromisoformat(retired["expires_at"]) > now)]


def signed_headers(message_id: str, body: str, secrets: Sequence[str],
                   now: datetime) -> dict[str, str]:
    """Standard Webhooks headers; one `v1,` signature per secret (rotation overlap)."""
    signatures = " ".join(Webhook(secret).sign(message_id, now, body) for secret in secrets)
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures, "content-type": "application/json",
            "user-agent": "fragrance-jobs-webhooks/1"}


def encode_body(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def retry_delay(attempt: int, retry_after_s: float | None, base_s: float,
                rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter; a receiver's Retry-After is honoured as the least
    wait (capped): a `Retry-After: 0` or a date in the past does not make the retries come
    at once (it spent all eight attempts of a message in one second)."""
    ceiling = min(base_s * 2 ** max(attempt - 1, 0), MAX_DELAY_S)
    backoff = ceiling * (0.5 + (rng or random).random() / 2)
    if retry_after_s is not None:
        return min(max(retry_after_s, backoff), MAX_DELAY_S)
    return backoff


def next_attempt_at(attempt: int, retry_after_s: float | None, base_s: float) -> datetime:
    return utcnow() + timedelta(seconds=retry_delay(attempt, retry_after_s, base_s))
