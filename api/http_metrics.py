"""HTTP metrics of the API: requests by method, route template and status, their duration,
and the requests in flight. The route is the template that matched (`/api/v1/jobs/{job_id}`,
never the id itself) or `unmatched`, and unusual methods count as `other`, so the label
sets stay bounded whatever clients send. A pure ASGI middleware: no task or thread hop."""

from __future__ import annotations

import functools
import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware
from core.metrics import HTTP_IN_FLIGHT, HTTP_REQUEST_SECONDS, HTTP_REQUESTS

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


@functools.cache
def _children(method: str, route: str, status: int) -> tuple[Any, Any]:
    """The counter and histogram of one label set (looked up once: the sets are bounded)."""
    return (HTTP_REQUESTS.labels(method, route, str(status)),
            HTTP_REQUEST_SECONDS.labels(method, route))


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


class HttpMetrics(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        status = 500  # unless the app answers: an exception escaped it

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        started = time.perf_counter()
        HTTP_IN_FLIGHT.inc()
        try:
            await self.app(scope, receive, send_observed)
        finally:
            HTTP_IN_FLIGHT.dec()
            method = scope["method"] if scope["method"] in METHODS else "other"
            count, duration = _children(method, route_of(scope), status)
            count.inc()
            duration.observe(time.perf_counter() - started)
