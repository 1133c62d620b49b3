"""Submitting a job from a route: webhook URL policy, idempotency, and `Prefer: wait=N`
(RFC 7240): answer 200 with the finished job if it finishes within N seconds (at most 60),
else 202 as usual. The wait holds no thread (see api.events)."""

from __future__ import annotations

import re

from fastapi import Request, Response
from starlette.concurrency import run_in_threadpool

from api.events import HeldAnswers, wait_until_final
from api.schemas import Delivery, JobOut
from api.webhook_urls import checked_webhook
from core.keys import Principal
from core.registry import ServingIds
from core.states import TERMINAL, JobKind
from core.store import NewJob
from core.submission import answer_from_cache, submit_job
from core.views import JobView

MAX_WAIT_S = 60.0
# RFC 7240's `wait=<delta-seconds>` (a fraction tolerated); anything else (`wait=1e2`,
# `wait=soon`) is a preference not understood, and ignored
_WAIT = re.compile(r"(?:^|[,;\s])wait\s*=\s*(\d+(?:\.\d+)?)\s*(?:$|[,;])", re.IGNORECASE)


def request_id_of(request: Request) -> str | None:
    """The request's X-Request-ID (set by `api.request_ids.RequestIds`)."""
    request_id: str | None = getattr(request.state, "request_id", None)
    return request_id


def preferred_wait(prefer: str | None) -> float:
    match = _WAIT.search(prefer or "")
    return min(float(match.group(1)), MAX_WAIT_S) if match else 0.0


async def answer(request: Request, response: Response, job: JobView, created: bool,
                 prefer: str | None) -> JobOut:
    """The submit answer: 202 queued, 200 finished within the wait. An idempotent replay
    answers the same (`Idempotent-Replayed: true`), and 200 at once for a job already
    final: a client retrying after a timeout took a 200 for a finished job while it was
    still queued."""
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
        if job.status in TERMINAL:
            response.status_code = 200
    wait_s = preferred_wait(prefer)
    held: HeldAnswers = request.app.state.held
    # a tenant holding its share of open answers gets the 202 at once (a preference, not
    # a promise: RFC 7240), without `Preference-Applied`
    if wait_s > 0 and held.take(job.tenant_id):
        try:
            finished = await wait_until_final(request.app.state.events,
                                              request.app.state.store, job.tenant_id, job.id,
                                              wait_s)
        finally:
            held.give_back(job.tenant_id)
        if finished is not None:
            response.status_code = 200
            response.headers["Preference-Applied"] = f"wait={wait_s:g}"
            return JobOut(**finished.to_dict())
        # the wait ran out: the job as it is now (it answered the submit's snapshot, "queued"
        # with no start, for a training job running at 95 % after 60 s)
        job = await run_in_threadpool(request.app.state.store.get, job.tenant_id, job.id)
    return JobOut(**job.to_dict())


async def submit_and_answer(request: Request, response: Response, caller: Principal,
                            kind: str, body: Delivery, payload: dict[str, object],
                            idempotency_key: str | None, prefer: str | None) -> JobOut:
    state = request.app.state
    webhook = None
    if body.webhook is not None:
        webhook = await run_in_threadpool(checked_webhook, state.url_policy, body.webhook)
    request_id = request_id_of(request)
    new = NewJob(caller.tenant_id, kind, payload, api_key_id=caller.key_id,
                 webhook_url=webhook, webhook_events=body.webhook_events,
                 request_id=request_id, idempotency_key=idempotency_key)
    if kind == JobKind.SEARCH and state.search_cache is not None:
        result = await state.search_cache.lookup(
            caller.tenant_id, await serving_version(state.serving_version, caller.tenant_id),
            payload)
        if result is not None:  # an Idempotency-Key replay still answers the first job
            cached, created = await run_in_threadpool(answer_from_cache, state.store, new,
                                                      result)
            return await answer(request, response, cached, created, prefer)
    if idempotency_key:  # a replay must find the first job: written alone
        job, created = await run_in_threadpool(
            submit_job, state.store, state.enqueuer, tenant_id=caller.tenant_id, kind=kind,
            payload=payload, idempotency_key=idempotency_key, webhook_url=webhook,
            webhook_events=body.webhook_events, api_key_id=caller.key_id,
            request_id=request_id)
    else:  # the group commit (api.app): one transaction for the submits of a burst
        job, created = await state.submitter.submit_async(new), True
    return await answer(request, response, job, created, prefer)


async def serving_version(versions: ServingIds, tenant_id: str) -> str | None:
    """The model version serving the tenant's searches: from memory while fresh, else read
    from the registry on a thread."""
    known = versions.fresh(tenant_id)
    return known[0] if known is not None else await run_in_threadpool(versions, tenant_id)
