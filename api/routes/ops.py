"""Operations endpoints: liveness, readiness and Prometheus metrics without auth; the
workers' circuit breakers for operators."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from starlette.concurrency import run_in_threadpool

from api.breakers import worker_breakers
from api.deps import OperatorCaller
from api.openapi import problems
from api.problems import problem
from api.strict_json import StrictJsonRoute

router = APIRouter(tags=["ops"], route_class=StrictJsonRoute)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/health")
async def health() -> dict[str, str]:
    """The same as `/healthz`, for clients of the original API."""
    return await healthz()


@router.get("/readyz", responses=problems(503, why={
    503: "not ready: the problem carries the checks (`database`, `broker`, `queues`)"}))
def readyz(request: Request) -> JSONResponse:
    """Database and broker answer, and every queue has at least one worker."""
    checks = request.app.state.probe.check()
    if checks["ready"]:
        return JSONResponse(checks)
    return problem(503, "Service Unavailable", "not ready: see the checks",
                   headers={"Retry-After": "5"}, type="/problems/not-ready", **checks)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.registry)
    return Response(body,
                    media_type=CONTENT_TYPE_LATEST)


@router.get("/api/v1/ops/breakers", responses=problems(401, 403))
async def breakers(request: Request, caller: OperatorCaller) -> dict[str, Any]:
    """The circuit breakers of the live workers (operator keys only): each one's state
    (`closed`, `open`, `half-open`), failures counted against `fail_max`, and for an open
    one `retry_in_s`, the seconds until it lets a trial call through; as each worker's
    heartbeat last reported them (every few seconds, and at once on a state change)."""
    beats = await run_in_threadpool(request.app.state.probe.alive_beats)
    now = time.time()
    return {"breakers": [found.to_dict(now) for found in worker_breakers(beats)]}
