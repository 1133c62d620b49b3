"""API keys: list and revoke them (a tenant's `admin` key for its own tenant's keys, an
operator key for any), and rotate the caller's webhook signing secret."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep
from api.openapi import problems
from api.params import KeyId
from api.strict_json import StrictJsonRoute
from core.keys import OPERATOR, KeyRing, Principal
from core.views import iso

router = APIRouter(prefix="/api/v1", tags=["keys"], route_class=StrictJsonRoute)


async def _key_admin(caller: PrincipalDep) -> Principal:
    if not (caller.allows("admin") or caller.allows(OPERATOR)):
        raise HTTPException(403, "this API key lacks the 'admin' scope")
    return caller


KeyAdmin = Annotated[Principal, Depends(_key_admin)]


def _ring(request: Request) -> KeyRing:
    keys: KeyRing = request.app.state.keys
    return keys


def _scope_of(caller: Principal) -> str | None:
    """The tenant whose keys the caller manages (None: every tenant, for operators)."""
    return None if caller.is_operator else caller.tenant_id


@router.get("/keys", responses=problems(401, 403, 503))
async def list_keys(request: Request, caller: KeyAdmin) -> dict[str, Any]:
    """The tenant's keys, newest first, with expiry, last use and revocation times."""
    views = await run_in_threadpool(_ring(request).list, _scope_of(caller))
    return {"items": [view.to_dict() for view in views]}


@router.delete("/keys/{key_id}", responses=problems(401, 403, 404, 503))
async def revoke_key(key_id: KeyId, request: Request, caller: KeyAdmin) -> dict[str, Any]:
    """Revoke a key now; every API process refuses it within a second. Idempotent."""
    view = await run_in_threadpool(_ring(request).revoke, key_id, _scope_of(caller))
    return view.to_dict()


@router.post("/keys/current/webhook-secret/rotate", responses=problems(401, 503))
async def rotate_secret(request: Request, response: Response,
                        caller: PrincipalDep) -> dict[str, Any]:
    """A new `whsec_` secret for this API key. From the next message on, messages are signed
    with the new secret and with each replaced one until its `previous_valid_until` (a
    second rotation keeps the first old secret signing until its own time). At most five
    replaced secrets sign: a rotation beyond ends the oldest one's overlap at once, and
    `ended_early` counts the secrets it so ended. The answer is the only copy of the secret
    you get: no cache keeps it (`Cache-Control: no-store`)."""
    rotation = await run_in_threadpool(_ring(request).rotate_webhook_secret,
                                       caller.key_id, request.app.state.secret_overlap_s)
    response.headers["Cache-Control"] = "no-store"
    return {"webhook_secret": rotation.secret,
            "previous_valid_until": iso(rotation.previous_valid_until),
            "ended_early": rotation.ended_early}
