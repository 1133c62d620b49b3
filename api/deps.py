"""Dependencies: the store, the caller (bearer API key) and scope checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.rate_limits import SubmitLimiter
from core.keys import KeyRing, Principal
from core.kinds import KINDS, JobKind
from core.registry import ModelRegistry
from core.store import JobStore
from core.submission import Enqueuer

_bearer = HTTPBearer(auto_error=False, description="API key: `Authorization: Bearer fk_...`")


# The dependencies are coroutines: a plain `def` would cost each request a thread hop.
async def get_store(request: Request) -> JobStore:
    store: JobStore = request.app.state.store
    return store


async def get_enqueuer(request: Request) -> Enqueuer:
    enqueuer: Enqueuer = request.app.state.enqueuer
    return enqueuer


async def get_registry(request: Request) -> ModelRegistry:
    registry: ModelRegistry = request.app.state.models
    return registry


KEY_REQUIRED = "an API key is required: Authorization: Bearer <key>"
KEY_NOT_VALID = "the API key is not valid"


async def principal_of(keys: KeyRing, api_key: str, state: dict[str, Any] | None = None
                       ) -> Principal | None:
    """The key's principal (None: not valid), from the cache on the event loop, else read
    on a thread (and cached). `state`: the request's scope state, where the access log
    finds the caller's tenant."""
    principal = keys.cached(api_key) or await run_in_threadpool(keys.authenticate, api_key)
    if principal is not None and state is not None:
        state["tenant"] = principal.tenant_id
    return principal


async def get_principal(request: Request, credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, KEY_REQUIRED)
    principal = await principal_of(request.app.state.keys, credentials.credentials,
                                   request.scope.setdefault("state", {}))
    if principal is None:
        raise HTTPException(401, KEY_NOT_VALID)
    return principal


StoreDep = Annotated[JobStore, Depends(get_store)]
EnqueuerDep = Annotated[Enqueuer, Depends(get_enqueuer)]
RegistryDep = Annotated[ModelRegistry, Depends(get_registry)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]


def lacks_scope(scope: str) -> str:
    return f"this API key lacks the '{scope}' scope"


def require_scope(scope: str) -> Callable[..., Any]:
    async def check(principal: PrincipalDep) -> Principal:
        if not principal.allows(scope):
            raise HTTPException(403, lacks_scope(scope))
        return principal

    return check


def submitting_with(scope: str | None) -> Callable[..., Any]:
    """The scope check (any key without `scope`), then one token of the tenant's submit
    bucket (api.rate_limits): 429 with Retry-After when it is empty; the RateLimit headers
    on every answer. The bucket is the tenant's, not the key's: a tenant's second key
    doubled its rate."""
    checked = require_scope(scope) if scope else get_principal

    async def take_token(request: Request, response: Response,
                         principal: Principal = Depends(checked)) -> Principal:
        limiter: SubmitLimiter | None = request.app.state.limiter
        if limiter is not None:
            verdict = await limiter.take(principal.tenant_id)
            response.headers.update(verdict.headers())
        return principal

    return take_token


OperatorCaller = Annotated[Principal, Depends(require_scope("operator"))]
SearchCaller = Annotated[Principal, Depends(require_scope(KINDS[JobKind.SEARCH].scope))]
TrainingCaller = Annotated[Principal, Depends(require_scope(KINDS[JobKind.TRAINING].scope))]
# a submit needs the scope its kind declares (core.kinds)
SearchSubmitter = Annotated[Principal, Depends(submitting_with(KINDS[JobKind.SEARCH].scope))]
GenerateSubmitter = Annotated[Principal, Depends(submitting_with(KINDS[JobKind.RECIPE].scope))]
TrainingSubmitter = Annotated[Principal,
                              Depends(submitting_with(KINDS[JobKind.TRAINING].scope))]
# what sends work on as a submit does (a webhook redelivered: 300 at once ran one message to
# its 57th attempt): the submit bucket, whatever the key's scopes
RateLimitedCaller = Annotated[Principal, Depends(submitting_with(None))]
