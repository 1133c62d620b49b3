"""`GET /api/v1/jobs/{id}/events`: the job's events so far, then live, until it is final."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep, StoreDep
from api.events import EventHub, is_terminal

router = APIRouter(prefix="/api/v1", tags=["jobs"])


@router.get("/jobs/{job_id}/events", response_class=EventSourceResponse,
            responses={200: {"content": {"text/event-stream": {}}}})
async def job_events(job_id: str, request: Request, caller: PrincipalDep, store: StoreDep,
                     last_event_id: Annotated[str | None, Header()] = None,
                     ) -> EventSourceResponse:
    """Server-Sent Events. Each event's `id` is its sequence number in the job: reconnect
    with `Last-Event-ID` to resume without gaps or duplicates."""
    after = _sequence(last_event_id)
    await run_in_threadpool(store.get, caller.tenant_id, job_id)  # 404 for strangers
    hub: EventHub = request.app.state.events

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async with hub.subscribe(job_id, after) as subscription:
            for event in await run_in_threadpool(store.events, caller.tenant_id, job_id, after):
                subscription.offer(event)
            while True:
                event = await subscription.queue.get()
                yield ServerSentEvent(data=json.dumps(event.to_dict(), ensure_ascii=False),
                                      event=event.type, id=str(event.seq))
                if is_terminal(event):
                    return

    return EventSourceResponse(stream(), ping=15)


def _sequence(last_event_id: str | None) -> int:
    if last_event_id is None or last_event_id == "":
        return 0
    if not last_event_id.isdigit():
        raise HTTPException(422, "Last-Event-ID must be an event id from this stream")
    return int(last_event_id)
