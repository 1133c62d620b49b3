"""The base of the API's pure ASGI middlewares (no per-request task or thread hop): HTTP
requests go to `handle`, anything else (lifespan, websockets) straight through."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TypeVar
from urllib.parse import unquote_plus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import KEY_NOT_VALID, KEY_REQUIRED, lacks_scope, principal_of
from api.lanes import TenantLaneFull, TenantLanes
from api.problems import problem
from core.keys import KeyRing

Name = TypeVar("Name", str, bytes)


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


class QueryParameters(HttpMiddleware):
    """A query parameter sent with an empty value (`?status=&limit=`, as a form or a
    template fills it) is absent: the route's default applies, instead of a 422 for an
    empty status or limit. A parameter given twice (`?status=succeeded&status=failed`) is
    a 422 naming it: every parameter of the API takes one value, and the last one silently
    won. The rest of the query string is passed on byte for byte."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        query: bytes = scope.get("query_string", b"")
        given = [part for part in query.split(b"&") if part]
        # empty: nothing after the first "=" (`cursor=e30=` has a value, `e30=`)
        parts = [part for part in given if part.partition(b"=")[2] or b"=" not in part]
        names = [unquote_plus(part.split(b"=", 1)[0].decode("latin-1")) for part in parts]
        repeated = _repeated(names)
        if repeated:
            errors = [{"field": f"query.{name}", "message": "given more than once: give it once",
                       "type": "repeated"} for name in repeated[:20]]
            await problem(422, "Request is not valid", "see `errors` for each field",
                          errors=errors)(scope, receive, send)
            return
        if len(parts) != len(given):  # in place: the outer layers see the route it finds
            scope["query_string"] = b"&".join(parts)
        await self.app(scope, receive, send)


def _repeated(names: Iterable[Name]) -> list[Name]:
    """The names given more than once, sorted (counted in one pass: a query string of
    thousands of parameters costs no more than reading it)."""
    return sorted(name for name, count in Counter(names).items() if count > 1)


# headers a request carries at most once: with two, which one counts is a guess (the first
# key and the second body type, say), so the request is refused
SINGLE_HEADERS = frozenset((b"authorization", b"idempotency-key", b"last-event-id",
                            b"content-type"))


class SingleHeaders(HttpMiddleware):
    """A request with two `Authorization`, `Idempotency-Key`, `Last-Event-ID` or
    `Content-Type` headers is a 400 naming it."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        names = [name for name, _ in scope.get("headers") or () if name in SINGLE_HEADERS]
        repeated = [name.decode("latin-1") for name in _repeated(names)]
        if repeated:
            await problem(400, "Bad Request",
                          f"the {', '.join(repeated)} header may be sent once, not "
                          "more")(scope, receive, send)
            return
        await self.app(scope, receive, send)


class UploadsNeedAKey(HttpMiddleware):
    """An upload (a batch's briefs, a training set's lines: up to `max_upload_body_bytes`)
    is received only with a valid API key that has the upload's scope, and a few at a time
    per tenant (`lanes`: beyond, a 429). FastAPI reads a body
    before the route's key check, so clients without a key could fill the process's budget
    for uploads being received (`BodySizeLimit`) and every tenant's batch submit was a 503.
    `uploads` maps each upload's path to the scope its route requires. The key's principal
    is cached by the check (the route's own check then reads no database)."""

    def __init__(self, app: ASGIApp, uploads: Mapping[str, str], keys: KeyRing,
                 lanes: TenantLanes) -> None:
        super().__init__(app)
        self.uploads, self.keys, self.lanes = uploads, keys, lanes

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] not in self.uploads or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        authorization = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            await problem(401, "Unauthorized", KEY_REQUIRED)(scope, receive, send)
            return
        principal = await principal_of(self.keys, key.strip(), scope.setdefault("state", {}))
        if principal is None:
            await problem(401, "Unauthorized", KEY_NOT_VALID)(scope, receive, send)
            return
        needed = self.uploads[scope["path"]]
        if not principal.allows(needed):
            await problem(403, "Forbidden", lacks_scope(needed))(scope, receive, send)
            return
        # a tenant's uploads are received, parsed and checked a few at a time (`lanes`):
        # two dozen 15 MB training uploads at once held another tenant's GET for 2.5 s
        try:
            async with self.lanes.slot(principal.tenant_id):
                await self.app(scope, receive, send)
        except TenantLaneFull as full:
            await problem(429, "Too Many Concurrent Requests", str(full),
                          headers={"Retry-After": "1"},
                          type="/problems/too-many-concurrent")(scope, receive, send)


class HeadAsGet(HttpMiddleware):
    """A `HEAD` is answered as the `GET` of the same URL without its body (RFC 9110 9.3.2:
    `curl -I`, load balancers' health checks, link checkers): its status and headers are the
    GET's, where FastAPI's routes know GET alone and answered 405. The body is cut at its
    first part, so a HEAD of an event stream ends at once instead of following the job. The
    outer layers (access log, metrics) still see the HEAD."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})  # shared with the GET's scope: the access log's tenant
        ended = False

        async def send_head(message: Message) -> None:
            nonlocal ended
            if ended:
                return
            if message["type"] == "http.response.body":
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_head)
