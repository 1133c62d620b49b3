"""Batches: counts per status, items with their results or errors, cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import PrincipalDep
from api.params import BatchId
from api.routes.generate import BatchesDep
from api.schemas import BatchItemOut, BatchItemPageOut, BatchOut, JobOut
from api.strict_json import StrictJsonRoute
from core.states import JobStatus

router = APIRouter(prefix="/api/v1", tags=["batches"], route_class=StrictJsonRoute)


@router.get("/batches/{batch_id}", response_model=BatchOut)
def get_batch(batch_id: BatchId, caller: PrincipalDep, batches: BatchesDep) -> BatchOut:
    return BatchOut(**batches.get(caller.tenant_id, batch_id).to_dict())


@router.get("/batches/{batch_id}/items", response_model=BatchItemPageOut)
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


@router.post("/batches/{batch_id}/cancel", response_model=BatchOut)
def cancel_batch(batch_id: BatchId, caller: PrincipalDep, batches: BatchesDep) -> BatchOut:
    """Cancel what has not finished; finished items keep their results."""
    return BatchOut(**batches.cancel(caller.tenant_id, batch_id).to_dict())
