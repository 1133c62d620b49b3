"""The base of the API's pure ASGI middlewares (no per-request task or thread hop): HTTP
requests go to `handle`, anything else (lifespan, websockets) straight through."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class HttpMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class EmptyQueryValuesAbsent(HttpMiddleware):
    """A query parameter sent with an empty value (`?status=&limit=`, as a form or a
    template fills it) is absent: the route's default applies, instead of a 422 for an
    empty status or limit. The rest of the query string is passed on byte for byte."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        if b"=&" in query + b"&":
            kept = [part for part in query.split(b"&") if part and not part.endswith(b"=")]
            scope = {**scope, "query_string": b"&".join(kept)}
        await self.app(scope, receive, send)
