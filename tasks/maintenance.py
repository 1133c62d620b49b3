"""`maintenance.recover`: hand lost running jobs back to the queue and re-publish jobs whose
publish may have been lost after their row committed. Duplicates are harmless: the claim
compare-and-set lets one delivery run a job."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from tasks.context import context_of

log = logging.getLogger(__name__)


@shared_task(name="maintenance.recover", bind=True, ignore_result=True)
def recover(self: Any) -> dict[str, int]:
    context = context_of(self)
    lost = context.store.requeue_lost()
    stale = context.store.stale_queued(context.requeue_after_s)
    for job_id, kind in [*lost, *stale]:
        context.publish(kind, job_id)
    if lost or stale:
        log.warning("re-published %d lost and %d stale queued jobs", len(lost), len(stale))
    return {"requeued_lost": len(lost), "republished_stale": len(stale)}
