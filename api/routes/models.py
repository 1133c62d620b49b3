"""The model registry, per tenant. A tenant lists its own versions (the `training` scope),
promotes one or rolls one back in its own registry (`admin`); what serves tenants without a
version of their own, the deployment default, is changed with `scope=deployment` by an
operator key only. Tenants never see another tenant's versions, job ids or paths."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from api.deps import PrincipalDep, RegistryDep
from api.openapi import problems
from api.params import VersionId
from api.schemas import ModelListOut, ModelOut, RollbackOut
from api.strict_json import StrictJsonRoute
from core.keys import OPERATOR, Principal
from core.registry import ModelRegistry, ModelVersionView

router = APIRouter(prefix="/api/v1", tags=["training"], route_class=StrictJsonRoute)
Scope = Annotated[Literal["tenant", "deployment"], Query(
    description="`tenant`: the caller's own registry; `deployment`: the default serving "
                "every tenant without a version of its own (operator keys only)")]


def _allowed(*scopes: str):  # type: ignore[no-untyped-def]
    async def check(caller: PrincipalDep) -> Principal:
        if not any(caller.allows(scope) for scope in scopes):
            raise HTTPException(403, f"this API key lacks the '{scopes[0]}' scope")
        return caller

    return check


Reader = Annotated[Principal, Depends(_allowed("training", OPERATOR))]
Manager = Annotated[Principal, Depends(_allowed("admin", OPERATOR))]


def _out(version: ModelVersionView, caller: Principal) -> ModelOut:
    shown = version.to_dict()
    if not caller.is_operator:
        shown.update(tenant_id=None, path=None)
    return ModelOut(**shown)


def _tenant_of(caller: Principal) -> str | None:
    return None if caller.is_operator else caller.tenant_id


@router.get("/models", response_model=ModelListOut,
            responses=problems(401, 403, 422, 503))
async def list_models(caller: Reader, registry: RegistryDep,
                      target: Literal["embedding", "generator"] | None = None,
                      state: Literal["candidate", "active", "retired"] | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ModelListOut:
    """The caller's versions, newest first, with their evaluation before and after
    training, and the deployment defaults."""
    versions = await run_in_threadpool(registry.list, _tenant_of(caller), target, state, limit)
    defaults = await run_in_threadpool(registry.defaults)
    return ModelListOut(items=[_out(v, caller) for v in versions],
                        deployment_defaults=defaults)


def _require_operator(caller: Principal) -> None:
    if not caller.is_operator:
        raise HTTPException(403, "the deployment default is changed with an operator key")


@router.post("/models/{version_id}/promote", response_model=ModelOut,
             responses=problems(401, 403, 404, 409, 422, 503))
async def promote_model(version_id: VersionId, caller: Manager, registry: RegistryDep,
                        scope: Scope = "tenant") -> ModelOut:
    """`tenant`: make this version active in its tenant's registry (the previous active one
    is retired). `deployment`: make it the default for tenants without their own. Serving
    workers switch at their next check."""
    if scope == "deployment":
        _require_operator(caller)
        return _out(await run_in_threadpool(registry.set_default, version_id), caller)
    return _out(await run_in_threadpool(registry.promote, version_id, _tenant_of(caller)),
                caller)


@router.post("/models/{version_id}/rollback", response_model=RollbackOut,
             responses=problems(401, 403, 404, 409, 422, 503))
async def rollback_model(version_id: VersionId, caller: Manager, registry: RegistryDep,
                         scope: Scope = "tenant") -> RollbackOut:
    """`tenant`: retire this ACTIVE version and re-activate its parent if the parent is the
    tenant's own (else the tenant falls back to the deployment default); 409 if it is not
    active. `deployment`: restore the previous deployment default (this version must be
    the current one)."""
    if scope == "deployment":
        return await _rollback_default(version_id, caller, registry)
    retired, active = await run_in_threadpool(registry.rollback, version_id,
                                              _tenant_of(caller))
    return RollbackOut(rolled_back=_out(retired, caller),
                       active=_out(active, caller) if active else None)


async def _rollback_default(version_id: str, caller: Principal,
                            registry: ModelRegistry) -> RollbackOut:
    _require_operator(caller)
    version = await run_in_threadpool(registry.get, version_id)
    if (await run_in_threadpool(registry.defaults)).get(version.target) != version_id:
        raise HTTPException(409, f"{version_id} is not the deployment default of "
                                 f"{version.target}")
    now_id = await run_in_threadpool(registry.rollback_default, version.target)
    now = await run_in_threadpool(registry.get, now_id) if now_id else None
    return RollbackOut(rolled_back=_out(version, caller),
                       active=_out(now, caller) if now else None)
