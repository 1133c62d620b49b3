"""Jobs: read one, page through them, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError

from api.deps import PrincipalDep, StoreDep
from api.openapi import READ, problems
from api.params import JobId
from api.results import AnyJob, JobPage
from api.schemas import JobOut, JobPageOut
from api.strict_json import SafeJSONResponse, StrictJsonRoute, model_response
from core.states import JobKind, JobStatus

router = APIRouter(prefix="/api/v1", tags=["jobs"], route_class=StrictJsonRoute)


# response_model=None: the documented model (a union by kind) replaces FastAPI's, and the
# job goes out as JobOut renders it
@router.get("/jobs/{job_id}", response_model=None,
            responses={200: {"model": AnyJob}, **problems(*READ)})
def get_job(job_id: JobId, caller: PrincipalDep, store: StoreDep) -> SafeJSONResponse:
    """The job; its `result` has the shape of its `kind`."""
    return model_response(JobOut(**store.get(caller.tenant_id, job_id).to_dict()))


@router.get("/jobs", response_model=JobPageOut,
            responses={200: {"model": JobPage}, **problems(401, 422, 503)})
def list_jobs(caller: PrincipalDep, store: StoreDep,
              status: JobStatus | None = None, kind: JobKind | None = None,
              limit: Annotated[int, Query(ge=1, le=100)] = 50,
              cursor: str | None = None) -> JobPageOut:
    """The caller's jobs, newest first; pass `next_cursor` back as `cursor` for more."""
    try:
        page = store.page(caller.tenant_id, status=status, kind=kind, limit=limit,
                          cursor=cursor)
    except ValueError as exc:
        raise RequestValidationError([{"loc": ("query", "cursor"), "type": "value_error",
                                       "msg": "not a cursor this API made: pass back a "
                                              "next_cursor"}]) from exc
    return JobPageOut(items=[JobOut(**job.to_dict()) for job in page.items],
                      next_cursor=page.next_cursor)


@router.post("/jobs/{job_id}/cancel", response_model=None,
             responses={200: {"model": AnyJob}, **problems(*READ, 409, why={
                 409: "the job has finished: `job_status` says how"})})
def cancel_job(job_id: JobId, caller: PrincipalDep, store: StoreDep) -> SafeJSONResponse:
    """Queued: canceled now, never runs. Running: stops at its next checkpoint.
    Finished: 409."""
    return model_response(JobOut(**store.request_cancel(caller.tenant_id, job_id).to_dict()))
