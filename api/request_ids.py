"""`X-Request-ID`: every request has one (the caller's, when it is a valid id, else a new
one), every response carries it back, every log line written while the request is served
has it (`config.log_context`), and every job the request submits keeps it: its broker
messages carry it in their headers, so the worker's log lines of the job have it too."""

from __future__ import annotations

import os
import re

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from api.http_middleware import HttpMiddleware
from config.log_context import bind, reset
from config.log_redaction import redact
from core.job_labels import valid_request_id

HEADER = "X-Request-ID"
_HEADER_KEY = HEADER.lower().encode("latin-1")
# what a credential of ours (or a caller's) has in it, anywhere in the value
_CREDENTIAL_LIKE = re.compile(r"(?i)fk_|whsec_|sk-|bearer|token|secret|password")


def new_request_id() -> str:
    """32 random hex digits (what uuid4().hex gives, without building a UUID)."""
    return os.urandom(16).hex()


def request_id_of(scope: Scope) -> str:
    """The caller's X-Request-ID if valid (`core.job_labels.valid_request_id`), else a new
    one: a header that is too long or has odd characters is replaced, never echoed. So is
    one that looks like a credential (an API key sent in the wrong header): the request id
    is written unmasked into every log line of the request and its jobs, and into Flower."""
    for key, value in scope.get("headers") or ():
        if key == _HEADER_KEY:
            given = valid_request_id(value.decode("latin-1"))
            if given is None or _CREDENTIAL_LIKE.search(given) or redact(given) != given:
                return new_request_id()
            return given
    return new_request_id()


class RequestIds(HttpMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = request_id_of(scope)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = bind(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            reset(token)
