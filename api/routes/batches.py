"""Batches: counts per status, items with their results or errors, the results as NDJSON,
a stream of count changes, cancel."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep
from api.events import HeldAnswers
from api.openapi import READ, problems, streamed
from api.params import BatchId
from api.results import BatchResultLine, RecipeBatchItemPage
from api.routes.generate import BatchesDep
from api.schemas import BatchItemOut, BatchItemPageOut, BatchOut, JobOut
from api.strict_json import StrictJsonRoute, encode_json
from core.batches import BatchStore, BatchView
from core.errors import StoreUnavailable
from core.states import JobStatus

router = APIRouter(prefix="/api/v1", tags=["batches"], route_class=StrictJsonRoute)
RESULTS_PAGE = 200  # items read per query while streaming results
# A batch's event stream reads its counts this often (one grouped count over the batch's
# index) and sends an event when they changed.
COUNTS_INTERVAL_S = 0.5
NDJSON = "application/x-ndjson"


@router.get("/batches/{batch_id}", response_model=BatchOut, responses=problems(*READ))
def get_batch(batch_id: BatchId, caller: PrincipalDep, batches: BatchesDep) -> BatchOut:
    """Counts per status; `status` is `completed` once every item is final."""
    return BatchOut(**batches.get(caller.tenant_id, batch_id).to_dict())


@router.get("/batches/{batch_id}/items", response_model=BatchItemPageOut,
            responses={200: {"model": RecipeBatchItemPage}, **problems(*READ, 422)})
def batch_items(batch_id: BatchId, caller: PrincipalDep, batches: BatchesDep,
                status: JobStatus | None = None,
                limit: Annotated[int, Query(ge=1, le=500)] = 100,
                cursor: Annotated[int, Query(ge=-1, le=2**31 - 1)] = -1) -> BatchItemPageOut:
    """Items in submission order; pass `next_cursor` back as `cursor` for more."""
    page = batches.items(caller.tenant_id, batch_id, status=status, limit=limit, after=cursor)
    return BatchItemPageOut(
        items=[BatchItemOut(index=index, job=JobOut(**job.to_dict()))
               for index, job in page.items],
        next_cursor=page.next_cursor)


@router.get("/batches/{batch_id}/results", response_class=StreamingResponse,
            responses={**streamed(NDJSON, BatchResultLine, "one JSON object per line, one "
                                  "line per item in input order"), **problems(*READ)})
async def batch_results(batch_id: BatchId, caller: PrincipalDep,
                        batches: BatchesDep) -> StreamingResponse:
    """Every item's outcome as NDJSON (`application/x-ndjson`): `index`, `job_id`,
    `status`, and `result` or `error`. Items not finished yet have neither. Streamed: a
    batch of any size holds one page of rows in memory."""
    await run_in_threadpool(batches.get, caller.tenant_id, batch_id)  # 404 before streaming
    return StreamingResponse(_result_lines(batches, caller.tenant_id, batch_id),
                             media_type=NDJSON)


async def _result_lines(batches: BatchStore, tenant_id: str,
                        batch_id: str) -> AsyncIterator[bytes]:
    after = -1
    while True:
        page = await run_in_threadpool(batches.results, tenant_id, batch_id, after=after,
                                       limit=RESULTS_PAGE)
        yield b"".join(encode_json(item.to_dict()) + b"\n" for item in page)
        if len(page) < RESULTS_PAGE:
            return
        after = page[-1].index


@router.get("/batches/{batch_id}/events", response_class=EventSourceResponse,
            responses={**streamed("text/event-stream", BatchOut, "Server-Sent Events: "
                                  "`counts` (the batch, when its counts changed), then "
                                  "`completed` (the batch, last)"), **problems(*READ, 429)})
async def batch_events(batch_id: BatchId, request: Request, caller: PrincipalDep,
                       batches: BatchesDep) -> EventSourceResponse:
    """Server-Sent Events of the batch's counts: a `counts` event now and each time they
    change, a `completed` event when every item is final, then the stream ends. Each
    event's data is the batch (as `GET /batches/{id}`); a reconnecting client gets the
    current counts first (`Last-Event-ID` is not needed)."""
    first = await run_in_threadpool(batches.get, caller.tenant_id, batch_id)
    held: HeldAnswers = request.app.state.held
    return held.event_stream(caller, _count_events(batches, caller.tenant_id, first))


async def _count_events(batches: BatchStore, tenant_id: str,
                        view: BatchView) -> AsyncIterator[ServerSentEvent]:
    """`counts` now (a batch finished already too), again whenever they change, and
    `completed` last. No event has an id: the counts are the batch as it is now, and a
    reconnecting client starts from them (numbered per connection, the ids went back to 1
    on every reconnect)."""
    sent: dict[str, int] | None = None
    while True:
        if view.counts != sent:
            sent = view.counts
            yield ServerSentEvent(data=json.dumps(view.to_dict()), event="counts")
        if view.completed_at:
            yield ServerSentEvent(data=json.dumps(view.to_dict()), event="completed")
            return
        await asyncio.sleep(COUNTS_INTERVAL_S)
        with contextlib.suppress(StoreUnavailable):  # the store may be briefly down: wait
            view = await run_in_threadpool(batches.get, tenant_id, view.id)


@router.post("/batches/{batch_id}/cancel", response_model=BatchOut, responses=problems(*READ))
def cancel_batch(batch_id: BatchId, caller: PrincipalDep, batches: BatchesDep) -> BatchOut:
    """Cancel what has not finished; finished items keep their results."""
    return BatchOut(**batches.cancel(caller.tenant_id, batch_id).to_dict())
