"""Submitting a job: store it, then (after the commit) publish it by name.

If publishing fails the job stays `queued` in the store and the maintenance task publishes it
again, so an accepted job is never lost.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from core.batches import BatchItem, BatchStore, BatchView
from core.errors import StoreUnavailable
from core.job_labels import JobLabels
from core.metrics import BATCH_ITEMS_REFUSED, JOBS_FINISHED, JOBS_SUBMITTED
from core.states import JobStatus
from core.store import JobStore, NewJob
from core.views import JobView

log = logging.getLogger(__name__)


class Enqueuer(Protocol):
    def enqueue_many(self, kind: str, job_ids: Sequence[str],
                     labels: Mapping[str, JobLabels] | None = None) -> None:
        """Publish many jobs' tasks over one connection, each message labelled with its
        job's `labels` (by job id; `core.job_labels`); may raise on a broker outage."""


def request_hash(kind: str, payload: dict[str, Any], webhook_url: str | None = None,
                 webhook_events: Sequence[str] | None = None) -> str:
    """What an Idempotency-Key replay must match: the kind, the input and, when there is
    one, where and what the webhook delivers (the same key with another webhook is another
    request: 409)."""
    request: dict[str, Any] = {"kind": kind, "input": payload}
    if webhook_url:
        request["webhook"] = {"url": webhook_url, "events": sorted(webhook_events or ())}
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def submit_job(store: JobStore, enqueuer: Enqueuer, *, tenant_id: str, kind: str,
               payload: dict[str, Any], idempotency_key: str | None = None,
               webhook_url: str | None = None, webhook_events: Sequence[str] | None = None,
               batch_id: str | None = None, api_key_id: str | None = None,
               request_id: str | None = None) -> tuple[JobView, bool]:
    """Returns (job, created). Raises IdempotencyConflict, QuotaExceeded, StoreUnavailable."""
    job, created = store.create(
        tenant_id=tenant_id, kind=kind, input=payload, batch_id=batch_id,
        idempotency_key=idempotency_key,
        request_hash=request_hash(kind, payload, webhook_url, webhook_events)
        if idempotency_key else None,
        webhook_url=webhook_url, webhook_events=webhook_events, api_key_id=api_key_id,
        request_id=request_id)
    if created:
        _publish(enqueuer, [job])
    return job, created


def answer_from_cache(store: JobStore, job: NewJob,
                      result: dict[str, Any]) -> tuple[JobView, bool]:
    """A search job created already succeeded with `result`, the cached result of the same
    search on the same model version and index (`core.search_cache`): `cached: true`, its
    `query` as this job typed it. Returns (job, created): an Idempotency-Key replay is the
    first job. Raises IdempotencyConflict, QuotaExceeded, StoreUnavailable."""
    own = {"query": job.input["query"]} if "query" in result and "query" in job.input else {}
    if job.idempotency_key:
        job = replace(job, request_hash=request_hash(job.kind, job.input, job.webhook_url,
                                                     job.webhook_events))
    view, created = store.create_answered(job, {**result, **own, "cached": True})
    if created:
        JOBS_SUBMITTED.labels(job.kind).inc()
        JOBS_FINISHED.labels(job.kind, str(JobStatus.SUCCEEDED)).inc()
    return view, created


def submit_jobs(store: JobStore, enqueuer: Enqueuer,
                jobs: Sequence[NewJob]) -> list[JobView | Exception]:
    """Store jobs without an Idempotency-Key in one transaction, then publish those
    dispatched at once (one connection per kind): the API's group commit. A job over its
    tenant's cap is QuotaExceeded in its place. A group the store refuses (a row it cannot
    hold) is written again one job at a time, so a bad row fails alone with its own error
    and the rest are stored. A store outage fails the whole group: StoreUnavailable."""
    try:
        outcomes: list[JobView | Exception] = list(store.create_many(jobs))
    except StoreUnavailable:
        raise
    except Exception:
        if len(jobs) == 1:
            raise
        log.warning("a group of %d submits was refused; writing them one by one", len(jobs))
        outcomes = [_create_alone(store, job) for job in jobs]
    _publish(enqueuer, [view for view in outcomes if isinstance(view, JobView)])
    return outcomes


def _create_alone(store: JobStore, job: NewJob) -> JobView | Exception:
    try:
        (outcome,) = store.create_many([job])
        return outcome
    except StoreUnavailable:
        raise
    except Exception as exc:
        return exc


def _publish(enqueuer: Enqueuer, views: Sequence[JobView]) -> None:
    """Publish the jobs dispatched at once (the others wait for the dispatcher). A failed
    publish loses nothing: maintenance finds the message missing and publishes it again."""
    for kind in dict.fromkeys(view.kind for view in views):
        JOBS_SUBMITTED.labels(kind).inc(sum(view.kind == kind for view in views))
        ready = [view for view in views if view.kind == kind and view.dispatched]
        if not ready:
            continue
        job_ids = [view.id for view in ready]
        try:
            enqueuer.enqueue_many(kind, job_ids, {view.id: view.labels for view in ready})
        except Exception as exc:
            log.warning("publishing %d %s jobs failed (%s); maintenance publishes them again",
                        len(job_ids), kind, type(exc).__name__)


def submit_batch(batches: BatchStore, enqueuer: Enqueuer, *, tenant_id: str, kind: str,
                 items: Sequence[BatchItem], webhook_url: str | None = None,
                 webhook_events: Sequence[str] | None = None,
                 api_key_id: str | None = None, idempotency_key: str | None = None,
                 request: dict[str, Any] | None = None,
                 request_id: str | None = None) -> tuple[BatchView, bool]:
    """Store the batch and its jobs, then publish the valid ones dispatched at once.
    Returns (batch, created). With `idempotency_key`, the same key and `request` (the body
    as sent) within the TTL return the first batch (created False) and publish nothing.
    Raises QuotaExceeded (nothing stored), IdempotencyConflict (the key came with another
    request)."""
    create: dict[str, Any] = {"kind": kind, "items": items, "webhook_url": webhook_url,
                              "webhook_events": webhook_events, "api_key_id": api_key_id,
                              "request_id": request_id}
    if idempotency_key:
        batch, to_publish, created = batches.create_once(
            tenant_id=tenant_id, idempotency_key=idempotency_key,
            request_hash=request_hash(kind, request or {}), **create)
    else:
        (batch, to_publish), created = batches.create(tenant_id=tenant_id, **create), True
    if not created:
        return batch, False
    JOBS_SUBMITTED.labels(kind).inc(len(items))
    if refused := sum(item.error is not None for item in items):  # failed as submitted
        JOBS_FINISHED.labels(kind, str(JobStatus.FAILED)).inc(refused)
        BATCH_ITEMS_REFUSED.labels(kind).inc(refused)
    try:
        if to_publish:
            enqueuer.enqueue_many(kind, [job.job_id for job in to_publish],
                                  {job.job_id: job.labels for job in to_publish})
    except Exception as exc:
        log.warning("publishing batch %s failed (%s); maintenance publishes it again",
                    batch.id, type(exc).__name__)
    return batch, True
