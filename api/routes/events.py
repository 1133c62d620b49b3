"""`GET /api/v1/jobs/{id}/events`: the job's events so far, then live, until it is final."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, HTTPException, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep, StoreDep
from api.events import EventHub, HeldAnswers, is_terminal
from api.openapi import READ, problems, streamed
from api.params import JobId, LastEventId
from api.results import JobEvent
from api.strict_json import StrictJsonRoute
from core.states import TERMINAL
from core.storable import storable_text

router = APIRouter(prefix="/api/v1", tags=["jobs"], route_class=StrictJsonRoute)


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse,
            responses={**streamed("text/event-stream", JobEvent, "Server-Sent Events: "
                                  "`event` is the type, `id` the sequence number, `data` "
                                  "the event; the stream ends after the final one"),
                       **problems(*READ, 400, 422, 429),
                       204: {"description": "the job is final and nothing is left to "
                                            "replay after `Last-Event-ID`"}})
async def job_events(job_id: JobId, request: Request, caller: PrincipalDep, store: StoreDep,
                     last_event_id: LastEventId = None,
                     ) -> Response:
    """Server-Sent Events. Each event's `id` is its sequence number in the job: reconnect
    with `Last-Event-ID` to resume without gaps or duplicates. Resuming a finished job after
    its last event answers 204 No Content, which tells a browser's EventSource to stop
    reconnecting; a `Last-Event-ID` beyond the job's last event is a 400."""
    after = _sequence(last_event_id)
    job, last_seq = await run_in_threadpool(store.last_event_seq, caller.tenant_id, job_id)
    if after > last_seq:
        raise HTTPException(400, f"Last-Event-ID {after} is beyond this job's last event "
                                 f"({last_seq})")
    if after == last_seq and job.status in TERMINAL:
        return Response(status_code=204)
    hub: EventHub = request.app.state.events

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async with hub.subscribe(job_id, after) as subscription:
            for event in await run_in_threadpool(store.events, caller.tenant_id, job_id, after):
                subscription.offer(event)
            while True:
                event = await subscription.queue.get()
                data = storable_text(json.dumps(event.to_dict(), ensure_ascii=False))
                yield ServerSentEvent(data=data, event=event.type, id=str(event.seq))
                if is_terminal(event):
                    return

    held: HeldAnswers = request.app.state.held
    return held.event_stream(caller, stream())


def _sequence(last_event_id: str | None) -> int:
    """The header's event number (its pattern admits ASCII digits only); 0: from the start."""
    return int(last_event_id) if last_event_id else 0
