"""The API's access log: one line per request, written when its response ends, with the
status and how long it took (uvicorn's own access line has no duration, and is turned off:
`fragrance api`). Probes (`/healthz`, `/readyz`, `/metrics`) that succeed are logged at DEBUG
only: a load balancer's probe every two seconds would bury the requests; a failing probe is
logged like any request. The line carries the request's id (`api.request_ids`) and, once
its API key was read, the caller's tenant. A caller's refusals (429: its rate limit, caps,
lanes) are logged one a window (`REFUSALS_WINDOW_S`) and then counted: a flood wrote a line
for each of its thousands of 429s; the rest come as one line when the window ends."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware

log = logging.getLogger("api.access")
PROBES = frozenset(("/healthz", "/health", "/readyz", "/metrics"))


class AccessLog(HttpMiddleware):
    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app)
        self.refusals = Refusals()

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
            if status != 429 or self.refusals.first(_caller(scope)):
                _write(scope, status, time.perf_counter() - started)


REFUSALS_WINDOW_S = 10.0
MAX_CALLERS = 10_000  # callers counted at once; beyond, each refusal is a line


@dataclass
class _Window:
    since: float
    more: int = 0


class Refusals:
    """Per caller (its tenant, else its address), whether a 429 is the first of its window
    (logged) or one more (counted, and written as one line when the window ends)."""

    def __init__(self, window_s: float | None = None) -> None:
        self.window_s = window_s or REFUSALS_WINDOW_S
        self._open: dict[str, _Window] = {}

    def first(self, caller: str) -> bool:
        window = self._open.get(caller)
        if window is not None:
            window.more += 1
            return False
        if len(self._open) >= MAX_CALLERS:
            return True
        self._open[caller] = _Window(time.monotonic())
        asyncio.get_running_loop().call_later(self.window_s, self._close, caller)
        return True

    def _close(self, caller: str) -> None:
        window = self._open.pop(caller, None)
        if window is not None and window.more:
            log.info("%s: %d more requests answered 429 in %.0f s (one line a %g-s window)",
                     caller, window.more, time.monotonic() - window.since, self.window_s)


def _caller(scope: Scope) -> str:
    state = scope.get("state") or {}
    if tenant := state.get("tenant"):
        return f"tenant={tenant}"
    client = scope.get("client")
    return f"client {client[0]}" if client else "client -"


def _write(scope: Scope, status: int, seconds: float) -> None:
    level = logging.DEBUG if scope["path"] in PROBES and status < 400 else logging.INFO
    if not log.isEnabledFor(level):
        return
    client = scope.get("client")
    address = f"{client[0]}:{client[1]}" if client else "-"
    state = scope.get("state") or {}
    # the caller's tenant, once its key was read: who is throttled, refused or slow
    context = {name: state[name] for name in ("request_id", "tenant") if state.get(name)}
    log.log(level, '%s - "%s %s HTTP/%s" %d %.1f ms', address, printable(scope["method"]),
            request_target(scope), scope.get("http_version", "1.1"), status, seconds * 1000,
            extra=context or None)


MAX_TARGET = 2000  # characters of a request's target in its line; the rest is counted


def request_target(scope: Scope) -> str:
    """The path and query as the client sent them (still percent-encoded: a `%0A` in a path
    stays three characters, where the decoded path wrote a line break into the log and let
    a client forge lines of its own), any control character escaped, at most MAX_TARGET
    characters."""
    raw = scope.get("raw_path")
    target = raw.decode("latin-1") if isinstance(raw, bytes) else \
        scope.get("root_path", "") + scope["path"]
    if query := scope.get("query_string", b""):
        target += "?" + query.decode("latin-1")
    target = printable(target)
    if len(target) > MAX_TARGET:
        target = f"{target[:MAX_TARGET]}...[{len(target) - MAX_TARGET} more characters]"
    return target


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with each control character (C0, DEL, C1) written as `\\xNN`."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)
