"""The model registry: list versions, promote one, roll one back (the `training` scope)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import RegistryDep, TrainingCaller
from api.schemas import ModelListOut, ModelOut, RollbackOut

router = APIRouter(prefix="/api/v1", tags=["training"])


@router.get("/models", response_model=ModelListOut)
async def list_models(caller: TrainingCaller, registry: RegistryDep,
                      target: Literal["embedding", "generator"] | None = None,
                      state: Literal["candidate", "active", "retired"] | None = None,
                      limit: Annotated[int, Query(ge=1, le=500)] = 100) -> ModelListOut:
    """Model versions, newest first, with their evaluation before and after training."""
    versions = await run_in_threadpool(registry.list, target, state, limit)
    return ModelListOut(items=[ModelOut(**v.to_dict()) for v in versions])


@router.post("/models/{version_id}/promote", response_model=ModelOut)
async def promote_model(version_id: str, caller: TrainingCaller,
                        registry: RegistryDep) -> ModelOut:
    """Make this version the active one of its target (whatever its evaluation says); the
    previous active version is retired. Serving workers switch at their next check."""
    return ModelOut(**(await run_in_threadpool(registry.promote, version_id)).to_dict())


@router.post("/models/{version_id}/rollback", response_model=RollbackOut)
async def rollback_model(version_id: str, caller: TrainingCaller,
                         registry: RegistryDep) -> RollbackOut:
    """Retire this ACTIVE version and re-activate its parent (the version it was trained
    from; none: the built-in base model). 409 if the version is not active."""
    retired, active = await run_in_threadpool(registry.rollback, version_id)
    return RollbackOut(rolled_back=ModelOut(**retired.to_dict()),
                       active=ModelOut(**active.to_dict()) if active else None)
