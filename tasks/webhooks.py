"""`webhooks.dispatch` (beat) starts enough senders for what is due; `webhooks.deliver`
leases a batch of due messages (at most one per stream: the oldest pending), sends them
concurrently and records the attempts in one transaction, until nothing is due.

A failed attempt holds its stream until its retry is due, so a job's webhooks arrive in the
order its state changed. A delivery failure never touches the job's outcome."""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from celery import shared_task

from tasks.context import context_of

BATCH = 32
ROUNDS_PER_TASK = 20
MAX_SENDERS = 8
_pool = ThreadPoolExecutor(max_workers=BATCH, thread_name_prefix="webhook-send")


@shared_task(name="webhooks.dispatch", bind=True, ignore_result=True)
def dispatch(self: Any) -> int:
    context = context_of(self)
    due = context.deliveries.due_count()
    for _ in range(min(MAX_SENDERS, math.ceil(due / BATCH))):
        context.publish_delivery()
    return due


@shared_task(name="webhooks.deliver", bind=True, ignore_result=True)
def deliver(self: Any) -> int:
    context = context_of(self)
    sent = 0
    for _ in range(ROUNDS_PER_TASK):
        messages = context.deliveries.claim_due(BATCH, context.webhook_lease_s)
        if not messages:
            return sent
        results = list(_pool.map(context.send_webhook, messages))
        sent += len(messages)
        context.deliveries.record(list(zip(messages, results, strict=True)))
    return sent
