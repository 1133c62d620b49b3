"""RFC 9457 problem+json errors, and the request-body size limit (413)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.events import TooManyHeld
from api.lanes import TenantLaneFull
from api.rate_limits import RateLimited
from api.strict_json import EncodedBody, ForeignCharset, NotJson, SafeJSONResponse
from core.errors import (
    BatchNotFound,
    BrokerUnavailable,
    DeliveryInFlight,
    DeliveryNotFound,
    IdempotencyConflict,
    JobNotFound,
    KeyNotFound,
    ModelVersionNotFound,
    QuotaExceeded,
    StoreRejected,
    StoreUnavailable,
    TransitionRefused,
    VersionStateRefused,
)

PROBLEM = "application/problem+json"


class InvalidDataset(Exception):
    """A training request's dataset is refused; `errors` are `{line, field, message, type}`
    (line 0: the dataset as a whole)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} dataset error(s)")
        self.errors = errors


def problem(status: int, title: str, detail: str | None = None, *,
            headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    all_headers = dict(headers or {})
    if status == 401:
        all_headers["WWW-Authenticate"] = "Bearer"
    return SafeJSONResponse(body, status_code=status, media_type=PROBLEM,
                            headers=all_headers or None)


MAX_FIELD_ERRORS = 100


def _invalid_request(exc: RequestValidationError) -> JSONResponse:
    """422 naming each bad field: the first MAX_FIELD_ERRORS of them (a body of a
    thousand bad items is answered in a few kilobytes, not one error per item)."""
    errors = exc.errors()
    shown = [_field_error(err) for err in errors[:MAX_FIELD_ERRORS]]
    if len(errors) > len(shown):
        return problem(422, "Request is not valid",
                       f"see `errors`: the first {len(shown)} of {len(errors)} errors",
                       errors=shown, errors_total=len(errors))
    return problem(422, "Request is not valid", "see `errors` for each field", errors=shown)


def _field_error(error: Any) -> dict[str, Any]:
    if error["type"] == "json_invalid":  # its loc is a character position, not a field
        position = error["loc"][-1]
        return {"field": "", "type": "json_invalid",
                "message": f"the body is not JSON ({error['msg']} at character {position})"}
    if tuple(error["loc"]) == ("body",) and error["type"] == "missing":  # null, or nothing
        return {"field": "", "type": "missing",
                "message": "the body must be a JSON object (it was empty or null)"}
    return {"field": ".".join(str(p) for p in error["loc"] if p != "body"),
            "message": error["msg"], "type": error["type"]}


def _unavailable(exc: Exception) -> JSONResponse:
    return problem(503, "Service Unavailable", str(exc), headers={"Retry-After": "2"})


def _rate_limited(exc: RateLimited) -> JSONResponse:
    return problem(429, "Too Many Requests", str(exc), headers=exc.verdict.headers(),
                   type="/problems/rate-limited")


def _quota_exceeded(exc: QuotaExceeded) -> JSONResponse:
    return problem(429, "Too Many Open Jobs", str(exc), headers={"Retry-After": "5"},
                   type="/problems/quota-exceeded", kind=exc.kind, limit=exc.cap)


def _shown(text: object, limit: int = 100) -> str:
    """An id from a request as an answer may show it: a character that is not printable
    or that steers text direction (a NUL, U+202E) escaped, at most `limit` characters (a
    404 echoed them raw: a client's UI showed the id spoofed)."""
    shown = "".join(char if char.isprintable() and unicodedata.category(char) != "Cf"
                    else char.encode("unicode_escape").decode("ascii") for char in str(text))
    return shown if len(shown) <= limit else shown[:limit - 1] + "…"


# each domain error and how it reads over HTTP
_PROBLEMS: dict[type[Exception], Callable[[Any], JSONResponse]] = {
    StarletteHTTPException: lambda exc: problem(exc.status_code, _title(exc.status_code),
                                                str(exc.detail), headers=exc.headers),
    RequestValidationError: _invalid_request,
    NotJson: lambda exc: problem(415, "Unsupported Media Type",
                                 "the body must be application/json, not "
                                 f"{exc.args[0] or 'an empty media type'}",
                                 headers={"Accept-Post": "application/json"}),
    ForeignCharset: lambda exc: problem(415, "Unsupported Media Type",
                                        f"JSON bodies are UTF-8, not charset={exc.args[0]}",
                                        headers={"Accept-Post": "application/json"}),
    EncodedBody: lambda exc: problem(415, "Unsupported Media Type",
                                     f"bodies are not accepted with Content-Encoding "
                                     f"{exc.args[0]}; send the JSON itself",
                                     headers={"Accept-Encoding": "identity"}),
    JobNotFound: lambda exc: problem(404, "Not Found", f"no job {_shown(exc.args[0])}"),
    BatchNotFound: lambda exc: problem(404, "Not Found", f"no batch {_shown(exc.args[0])}"),
    DeliveryNotFound: lambda exc: problem(
        404, "Not Found", f"no webhook message {_shown(exc.args[0])} of this {exc.owner}"),
    TransitionRefused: lambda exc: problem(409, "Conflict", str(exc), job_status=exc.status),
    DeliveryInFlight: lambda exc: problem(409, "Conflict", str(exc)),
    InvalidDataset: lambda exc: problem(422, "Dataset is not valid",
                                        "see `errors` for each bad line", errors=exc.errors),
    KeyNotFound: lambda exc: problem(404, "Not Found", f"no API key {_shown(exc.args[0])}"),
    ModelVersionNotFound: lambda exc: problem(404, "Not Found",
                                              f"no model version {_shown(exc.args[0])}"),
    VersionStateRefused: lambda exc: problem(409, "Conflict", str(exc),
                                             version_state=exc.state),
    IdempotencyConflict: lambda exc: problem(409, "Idempotency-Key reused", str(exc),
                                             type="/problems/idempotency-key-reused"),
    StoreRejected: lambda exc: problem(422, "Request is not valid", str(exc)),
    StoreUnavailable: _unavailable,
    BrokerUnavailable: _unavailable,
    RateLimited: _rate_limited,
    QuotaExceeded: _quota_exceeded,
    TooManyHeld: lambda exc: problem(429, "Too Many Open Streams", str(exc),
                                     headers={"Retry-After": "5"},
                                     type="/problems/too-many-streams", limit=exc.per_tenant),
    TenantLaneFull: lambda exc: problem(429, "Too Many Concurrent Requests", str(exc),
                                        headers={"Retry-After": "1"},
                                        type="/problems/too-many-concurrent"),
}


def install_problem_handlers(app: FastAPI) -> None:
    for error, render in _PROBLEMS.items():
        app.add_exception_handler(error, _handler(render))
    # a defect: answered as a problem too (it was Starlette's text/plain), and still logged
    # with its traceback by the server error middleware that calls this
    app.add_exception_handler(Exception, _internal_error)


async def _internal_error(request: Request, _: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", None)
    return problem(500, "Internal Server Error",
                   "the server failed on this request; its log has the cause under the "
                   "request id", **({"request_id": request_id} if request_id else {}))


def _handler(render: Callable[[Any], JSONResponse]) -> Callable[..., Any]:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        return render(exc)

    return handle


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class BodySizeLimit:
    """Refuse bodies over `max_bytes` with 413, by Content-Length or while streaming; the
    paths of `uploads` (a batch's briefs, a training set's lines) take up to
    `max_upload_bytes`. The uploads being received hold at most `max_buffered_bytes` of
    the process together: beyond it an upload is a 503 with Retry-After (120 clients each
    sending most of a 16 MB batch and stalling held 2 GB, with no key needed). Other bodies
    (2 MiB at most, a connection each) are outside it: a client that fills it cannot keep
    anyone's search or recipe submit out."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_upload_bytes: int = 0,
                 uploads: frozenset[str] = frozenset(),
                 max_buffered_bytes: int = 0) -> None:
        self.app, self.max_bytes, self.uploads = app, max_bytes, uploads
        self.max_upload_bytes = max(max_upload_bytes, max_bytes)
        self.max_buffered_bytes = max_buffered_bytes or 32 * self.max_upload_bytes
        self.buffered = 0  # bytes of the bodies being received now, in this process

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope["path"] in self.uploads else self.max_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        upload = scope["path"] in self.uploads
        if upload and declared is not None and declared.isdigit() and (
                self.buffered + int(declared) > self.max_buffered_bytes):
            await self._busy(scope, receive, send)
            return
        held = [0]
        try:
            await self.app(scope, self._counting(receive, limit, held if upload else None),
                           send)
        except _BodyTooLarge:
            await self._too_large(scope, receive, send, limit)
        except _TooMuchBuffered:
            await self._busy(scope, receive, send)
        finally:
            self.buffered -= held[0]

    def _counting(self, receive: Receive, limit: int, budgeted: list[int] | None) -> Receive:
        """`receive`, counting the body against `limit` and, for an upload (`budgeted`:
        what it holds so far), against the process's budget."""
        seen = 0

        async def wrapped() -> Message:
            nonlocal seen
            message = await receive()
            size = len(message.get("body", b""))
            seen += size
            if seen > limit:
                raise _BodyTooLarge
            if budgeted is not None:
                budgeted[0] += size
                self.buffered += size
                if self.buffered > self.max_buffered_bytes:
                    raise _TooMuchBuffered
            return message

        return wrapped

    @staticmethod
    async def _busy(scope: Scope, receive: Receive, send: Send) -> None:
        response = problem(503, "Service Unavailable",
                           "the API is receiving as many uploads as it holds at once; retry "
                           "shortly", headers={"Retry-After": "2"})
        await response(scope, receive, send)

    @staticmethod
    async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem(413, "Content Too Large",
                           f"request bodies here are limited to {limit} bytes")
        await response(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


class _TooMuchBuffered(Exception):
    pass


class ProblemCors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight (an origin, method or header not
    allowed) answered as a problem like every other 4xx, with the same CORS headers."""

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code < 400:
            return answer
        headers = {name: value for name, value in answer.headers.items()
                   if name.lower() not in ("content-type", "content-length")}
        return problem(answer.status_code, _title(answer.status_code),
                       f"CORS preflight refused: {bytes(answer.body).decode()}",
                       headers=headers)
