"""`maintenance.recover`: hand lost running jobs back to their tenant's backlog, and publish
again the jobs whose message is known lost.

A job dispatched more than `requeue_after_s` ago and still queued is looked for in the
broker (its queue's list and the unacknowledged deliveries); only when it is in neither is
its message published again. A backlog waiting in the store is the dispatcher's, never
re-published here, so a long queue never fills the broker with duplicates. When the broker
lost its data (a Redis restarted without persistence: its mark key is gone), the check
looks at every job dispatched more than a moment ago at once."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from core.dispatch import Dispatched
from core.metrics import MAINTENANCE_LAST_RUN
from tasks.context import context_of

log = logging.getLogger(__name__)
WIPED_GRACE_S = 2.0


# no task events: a run every few seconds buried the jobs in Flower (workers.beat)
@shared_task(name="maintenance.recover", bind=True, ignore_result=True, send_events=False)
def recover(self: Any) -> dict[str, int]:
    context = context_of(self)
    lost_workers = context.store.requeue_lost()
    context.report_lost_runs(lost_workers)  # Flower showed them running for good
    # after the broker lost its data every message it held is gone: look at once, not after
    # `requeue_after_s` (only a publish still on its way is given a moment)
    wiped = context.broker_lost_its_data()
    overdue = context.dispatch_queue.overdue(
        min(WIPED_GRACE_S, context.requeue_after_s) if wiped else context.requeue_after_s)
    republished: list[Dispatched] = []
    if overdue:
        # a message a worker took `requeue_after_s` ago without claiming its job is lost:
        # the worker died holding it (see workers.broker_inventory)
        inventory = context.broker_inventory(held_for_s=context.requeue_after_s)
        missing = [job_id for job_id, _ in overdue if job_id not in inventory.present]
        republished = context.dispatch_queue.redispatch(missing)
        context.drop_held([tag for job in republished
                           for tag in inventory.held.get(job.job_id, ())])
        context.publish(republished)
    if lost_workers or republished:
        log.warning("%s of lost workers back to their backlog; %s published again",
                    _count(len(lost_workers), "job"), _count(len(republished), "lost message"))
    MAINTENANCE_LAST_RUN.set_to_current_time()
    return {"requeued_lost": len(lost_workers), "republished_lost": len(republished)}


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
