"""The model registry: list versions (the `training` scope), promote one or roll one back
(the `admin` scope: the registry serves every tenant). A version's `job_id` is shown to the
tenant whose job trained it (and to admins) only."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from api.deps import RegistryDep, StoreDep, TrainingCaller, require_scope
from api.params import VersionId
from api.schemas import ModelListOut, ModelOut, RollbackOut
from api.strict_json import StrictJsonRoute
from core.keys import Principal

router = APIRouter(prefix="/api/v1", tags=["training"], route_class=StrictJsonRoute)
AdminCaller = Annotated[Principal, Depends(require_scope("admin"))]


@router.get("/models", response_model=ModelListOut)
async def list_models(caller: TrainingCaller, registry: RegistryDep, store: StoreDep,
                      target: Literal["embedding", "generator"] | None = None,
                      state: Literal["candidate", "active", "retired"] | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ModelListOut:
    """Model versions, newest first, with their evaluation before and after training."""
    versions = await run_in_threadpool(registry.list, target, state, limit)
    job_ids = [v.job_id for v in versions if v.job_id]
    own = set(job_ids) if "admin" in caller.scopes else \
        await run_in_threadpool(store.owned_job_ids, caller.tenant_id, job_ids)
    return ModelListOut(items=[ModelOut(**{**v.to_dict(), "job_id": v.job_id
                                           if v.job_id in own else None})
                               for v in versions])


@router.post("/models/{version_id}/promote", response_model=ModelOut)
async def promote_model(version_id: VersionId, caller: AdminCaller,
                        registry: RegistryDep) -> ModelOut:
    """Make this version the active one of its target (whatever its evaluation says); the
    previous active version is retired. Serving workers switch at their next check."""
    return ModelOut(**(await run_in_threadpool(registry.promote, version_id)).to_dict())


@router.post("/models/{version_id}/rollback", response_model=RollbackOut)
async def rollback_model(version_id: VersionId, caller: AdminCaller,
                         registry: RegistryDep) -> RollbackOut:
    """Retire this ACTIVE version and re-activate its parent (the version it was trained
    from; none: the built-in base model). 409 if the version is not active."""
    retired, active = await run_in_threadpool(registry.rollback, version_id)
    return RollbackOut(rolled_back=ModelOut(**retired.to_dict()),
                       active=ModelOut(**active.to_dict()) if active else None)
