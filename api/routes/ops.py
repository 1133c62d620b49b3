"""Operations endpoints, without auth: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from api.strict_json import StrictJsonRoute

router = APIRouter(tags=["ops"], route_class=StrictJsonRoute)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Database and broker answer, and every queue has at least one worker."""
    checks = request.app.state.probe.check()
    return JSONResponse(checks, status_code=200 if checks["ready"] else 503)


@router.get("/metrics")
def metrics(request: Request) -> Response:
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.registry)
    return Response(body,
                    media_type=CONTENT_TYPE_LATEST)
