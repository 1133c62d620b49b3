"""`POST /api/v1/search/semantic` and `POST /api/v1/search/similar`: search jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from api.deps import SearchCaller
from api.schemas import JobOut, SearchIn, SimilarIn
from api.submitting import submit_and_answer
from core.states import JobKind

router = APIRouter(prefix="/api/v1", tags=["search"])


@router.post("/search/semantic", status_code=202, response_model=JobOut)
async def submit_search(body: SearchIn, caller: SearchCaller, request: Request,
                        response: Response,
                        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                        prefer: Annotated[str | None, Header()] = None) -> JobOut:
    """Queue a hybrid semantic search over perfumes and raw materials.
    `Prefer: wait=N` answers 200 with the finished job if it finishes within N s."""
    return await submit_and_answer(request, response, caller, JobKind.SEARCH, body,
                                   body.job_input(), idempotency_key, prefer)


@router.post("/search/similar", status_code=202, response_model=JobOut)
async def submit_similar(body: SimilarIn, caller: SearchCaller, request: Request,
                         response: Response,
                         idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
                         prefer: Annotated[str | None, Header()] = None) -> JobOut:
    """Queue a search for perfumes that smell like `perfume_id` (shared notes, neighbouring
    families, the description); each hit lists the notes it shares with it. An unknown id
    finishes with no hits and a `message`."""
    return await submit_and_answer(request, response, caller, JobKind.SEARCH, body,
                                   body.job_input(), idempotency_key, prefer)
