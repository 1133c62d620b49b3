"""Webhook deliveries of a job (attempts, status codes, timings), redelivery, and rotating
the caller's webhook signing secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep
from api.params import DeliveryId, JobId
from api.strict_json import StrictJsonRoute
from core.deliveries import DeliveryStore
from core.keys import KeyRing
from core.views import iso

router = APIRouter(prefix="/api/v1", tags=["webhooks"], route_class=StrictJsonRoute)


def _deliveries(request: Request) -> DeliveryStore:
    store: DeliveryStore = request.app.state.deliveries
    return store


@router.get("/jobs/{job_id}/deliveries")
async def list_deliveries(job_id: JobId, request: Request,
                          caller: PrincipalDep) -> dict[str, Any]:
    items = await run_in_threadpool(_deliveries(request).for_job, caller.tenant_id, job_id)
    return {"items": items}


@router.post("/jobs/{job_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(job_id: JobId, delivery_id: DeliveryId, request: Request,
                    caller: PrincipalDep) -> dict[str, Any]:
    """Send the message again, with the same `webhook-id`."""
    return await run_in_threadpool(_deliveries(request).redeliver, caller.tenant_id, job_id,
                                   delivery_id)


@router.post("/keys/current/webhook-secret/rotate")
async def rotate_secret(request: Request, caller: PrincipalDep) -> dict[str, Any]:
    """A new `whsec_` secret for this API key. Messages are signed with both the new and
    the old secret until `previous_valid_until`, so receivers can switch without loss."""
    keys: KeyRing = request.app.state.keys
    secret, until = await run_in_threadpool(keys.rotate_webhook_secret, caller.key_id,
                                            request.app.state.secret_overlap_s)
    return {"webhook_secret": secret, "previous_valid_until": iso(until)}
