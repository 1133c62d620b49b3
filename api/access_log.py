"""The API's access log: one line per request, written when its response ends, with the
status and how long it took (uvicorn's own access line has no duration, and is turned off:
`fragrance api`). Probes (`/healthz`, `/readyz`, `/metrics`) that succeed are logged at DEBUG
only: a load balancer's probe every two seconds would bury the requests; a failing probe is
logged like any request. The line carries the request's id (`api.request_ids`)."""

from __future__ import annotations

import logging
import time

from starlette.types import Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware

log = logging.getLogger("api.access")
PROBES = frozenset(("/healthz", "/health", "/readyz", "/metrics"))


class AccessLog(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception below is a 500 to the client

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            _write(scope, status, time.perf_counter() - started)


def _write(scope: Scope, status: int, seconds: float) -> None:
    level = logging.DEBUG if scope["path"] in PROBES and status < 400 else logging.INFO
    if not log.isEnabledFor(level):
        return
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else "-"
    target = scope.get("root_path", "") + scope["path"]
    if query := scope.get("query_string", b""):
        target += "?" + query.decode("latin-1")
    request_id = (scope.get("state") or {}).get("request_id")
    log.log(level, '%s - "%s %s HTTP/%s" %d %.1f ms', address, scope["method"], target,
            scope.get("http_version", "1.1"), status, seconds * 1000,
            extra={"request_id": request_id} if request_id else None)
