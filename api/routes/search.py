"""`POST /api/v1/search/semantic` and `POST /api/v1/search/similar`: search jobs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Request, Response

from api import examples
from api.deps import SearchSubmitter
from api.openapi import submitted
from api.params import IdempotencyKey, PreferWait
from api.results import SearchJob
from api.schemas import JobOut, SearchIn, SimilarIn
from api.strict_json import StrictJsonRoute
from api.submitting import submit_and_answer
from core.states import JobKind

router = APIRouter(prefix="/api/v1", tags=["search"], route_class=StrictJsonRoute)


@router.post("/search/semantic", status_code=202, response_model=JobOut,
             responses=submitted(SearchJob))
async def submit_search(body: Annotated[SearchIn, Body(openapi_examples=examples.SEARCH)],
                        caller: SearchSubmitter, request: Request, response: Response,
                        idempotency_key: IdempotencyKey = None,
                        prefer: PreferWait = None) -> JobOut:
    """Queue a hybrid semantic search over perfumes and raw materials.
    `Prefer: wait=N` answers 200 with the finished job if it finishes within N s."""
    return await submit_and_answer(request, response, caller, JobKind.SEARCH, body,
                                   body.job_input(), idempotency_key, prefer)


@router.post("/search/similar", status_code=202, response_model=JobOut,
             responses=submitted(SearchJob))
async def submit_similar(body: Annotated[SimilarIn, Body(openapi_examples=examples.SIMILAR)],
                         caller: SearchSubmitter, request: Request, response: Response,
                         idempotency_key: IdempotencyKey = None,
                         prefer: PreferWait = None) -> JobOut:
    """Queue a search for perfumes that smell like `perfume_id` (shared notes, neighbouring
    families, the description); each hit lists the notes it shares with it. An id the
    catalogue of the index serving the tenant does not hold fails the job with the error
    `unknown_perfume` (the ids are the `id` of search hits)."""
    return await submit_and_answer(request, response, caller, JobKind.SEARCH, body,
                                   body.job_input(), idempotency_key, prefer)
