"""Webhook deliveries of a job (attempts, status codes, timings) and redelivery."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep, RateLimitedCaller
from api.openapi import READ, problems
from api.params import BatchDeliveryId, BatchId, DeliveryId, JobId
from api.strict_json import StrictJsonRoute
from core.deliveries import DeliveryStore

router = APIRouter(prefix="/api/v1", tags=["webhooks"], route_class=StrictJsonRoute)


def _deliveries(request: Request) -> DeliveryStore:
    store: DeliveryStore = request.app.state.deliveries
    return store


@router.get("/jobs/{job_id}/deliveries", responses=problems(*READ))
async def list_deliveries(job_id: JobId, request: Request,
                          caller: PrincipalDep) -> dict[str, Any]:
    items = await run_in_threadpool(_deliveries(request).for_job, caller.tenant_id, job_id)
    return {"items": items}


@router.post("/jobs/{job_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             responses=problems(*READ, 409, 429))
async def redeliver(job_id: JobId, delivery_id: DeliveryId, request: Request,
                    caller: RateLimitedCaller) -> dict[str, Any]:
    """Send the message again, with the same `webhook-id`, on a fresh retry budget; a
    message being sent at this moment is a 409 (one chain of attempts per message). It
    takes a token of the tenant's submit bucket (429 when empty), as a submit does."""
    return await run_in_threadpool(_deliveries(request).redeliver, caller.tenant_id, job_id,
                                   delivery_id)


@router.get("/batches/{batch_id}/deliveries", responses=problems(*READ))
async def list_batch_deliveries(batch_id: BatchId, request: Request,
                                caller: PrincipalDep) -> dict[str, Any]:
    """The batch's own webhook messages (`batch.completed`), as a job's are listed; its
    items' messages are their jobs' (`GET /jobs/{id}/deliveries`)."""
    items = await run_in_threadpool(_deliveries(request).for_batch, caller.tenant_id,
                                    batch_id)
    return {"items": items}


@router.post("/batches/{batch_id}/deliveries/{delivery_id}/redeliver", status_code=202,
             responses=problems(*READ, 409, 429))
async def redeliver_batch_message(batch_id: BatchId, delivery_id: BatchDeliveryId,
                                  request: Request, caller: RateLimitedCaller) -> dict[str, Any]:
    """Send the batch's message again, as a job's message is sent again."""
    return await run_in_threadpool(_deliveries(request).redeliver_batch_message,
                                   caller.tenant_id, batch_id, delivery_id)
