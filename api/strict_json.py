"""Poison stops at the edge: request bodies are parsed strictly, and what is stored is always
valid text and numbers every part of the system can read back.

Python's `json` accepts what the job store, Redis or a webhook receiver cannot take: NUL and
lone surrogates inside strings (`"\\u0000"`, `"\\udc80"`), `NaN` and `Infinity`, integers of
any length, and nesting deep enough to overflow the parser's stack. Every JSON body of every
route (`StrictJsonRoute`) is checked before validation: each offence is a 422 problem naming
its field, and nothing is stored. So is a key given twice in one object, and a container
of more members than any body needs. Responses are rendered so that a row stored before these
checks existed still reads back (`SafeJSONResponse`): reading never answers 500.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from functools import partial
from typing import Any

from fastapi import Depends, Request, Response
from fastapi.dependencies.utils import get_parameterless_sub_dependant
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from core.storable import json_bytes
from ml.training.uploads import CONTROLS

MAX_DEPTH = 32
# a body larger than this is parsed on a thread (a batch's briefs, a training set's lines)
LARGE_BODY_BYTES = 256 * 1024
MAX_STRING_CHARS = 65_536
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
MAX_ERRORS = 20
# no body of the API needs more; a body of 2 MB could otherwise hold a million members, each
# validated and each named in the 422 (100 MB of errors, seconds of the event loop)
MAX_OBJECT_KEYS = 1_000
MAX_ARRAY_ITEMS = 100_000
_MAX_INT_DIGITS = 20  # longer literals are out of range whatever their value


class _BigInt(str):
    """An integer literal too long to convert: kept as text so the walk can name it."""


class _NotFinite(str):
    """`NaN`, `Infinity` or `-Infinity`: not JSON, but Python's parser takes them."""


class _Object(dict[str, Any]):
    """A JSON object; `duplicates` names the keys it held more than once (Python's parser
    keeps the last silently: a body must say each field once)."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    value = _Object(pairs)
    if len(value) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        value.duplicates = tuple(key for key, count in counts.items() if count > 1)
    return value


def _parse_int(literal: str) -> int | _BigInt:
    return _BigInt(literal) if len(literal.lstrip("-")) > _MAX_INT_DIGITS else int(literal)


def strict_loads(raw: bytes | str) -> Any:
    """Parse JSON, then check every value. Raises RequestValidationError (one entry per
    offending field, `loc` starting with "body") or ValueError for text that is not JSON."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")  # JSON is UTF-8 (RFC 8259); a BOM is tolerated
        except UnicodeDecodeError as exc:
            raise _invalid([(("body",), "not_utf8", "the body is not UTF-8 text (byte "
                             f"0x{raw[exc.start]:02x} at {exc.start})")]) from None
    try:
        value = json.loads(raw, parse_int=_parse_int, parse_constant=_NotFinite,
                           object_pairs_hook=_object)
    except RecursionError:
        raise _invalid([(("body",), "too_deep",
                         f"JSON nests deeper than {MAX_DEPTH} levels")]) from None
    errors = list(_poison(value, ("body",), 0))
    if errors:
        raise _invalid(errors[:MAX_ERRORS])
    return value


def _invalid(errors: list[tuple[tuple[str | int, ...], str, str]]) -> RequestValidationError:
    return RequestValidationError([{"loc": loc, "type": kind, "msg": message}
                                   for loc, kind, message in errors])


Offence = tuple[tuple[str | int, ...], str, str]


def _poison(value: Any, loc: tuple[str | int, ...], depth: int) -> Iterator[Offence]:
    if depth > MAX_DEPTH:
        yield loc, "too_deep", f"JSON nests deeper than {MAX_DEPTH} levels"
        return
    if isinstance(value, dict | list):
        yield from _container_offences(value, loc, depth)
    elif isinstance(value, _BigInt | _NotFinite):
        yield from _number_offences(value, loc)
    elif isinstance(value, str):
        yield from _text_offences(value, loc, "string")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not INT_MIN <= value <= INT_MAX:
            yield loc, "int_range", "integers must fit in 64 bits"
    elif isinstance(value, float) and not math.isfinite(value):
        yield loc, "number_not_finite", "numbers must be finite"


def _container_offences(value: dict[str, Any] | list[Any], loc: tuple[str | int, ...],
                        depth: int) -> Iterator[Offence]:
    if isinstance(value, dict) and len(value) > MAX_OBJECT_KEYS:
        yield loc, "too_many_keys", f"an object may hold at most {MAX_OBJECT_KEYS} keys"
    elif isinstance(value, list) and len(value) > MAX_ARRAY_ITEMS:
        yield loc, "too_long", f"an array may hold at most {MAX_ARRAY_ITEMS} items"
    elif isinstance(value, dict):
        for key in getattr(value, "duplicates", ()):
            yield (*loc, key), "duplicate_key", "a key may appear only once in an object"
        for key, item in value.items():
            yield from _text_offences(key, (*loc, key), "key")
            yield from _poison(item, (*loc, key), depth + 1)
    else:
        for index, item in enumerate(value):
            yield from _poison(item, (*loc, index), depth + 1)


def _number_offences(value: str, loc: tuple[str | int, ...]) -> Iterator[Offence]:
    if isinstance(value, _BigInt):
        yield loc, "int_range", "integers must fit in 64 bits"
    else:
        yield loc, "number_not_finite", f"{value} is not a JSON number"


def _text_offences(text: str, loc: tuple[str | int, ...], what: str) -> Iterator[Offence]:
    # control characters no text a client means holds: a note "ro\u0007se" was stored
    if "\x00" in text:
        yield loc, "string_nul", f"a {what} may not contain NUL (\\u0000)"
    elif control := CONTROLS.search(text):
        yield loc, "string_control", (f"a {what} may not contain control characters "
                                      f"(U+{ord(control.group()):04X})")
    if len(text) > MAX_STRING_CHARS:
        yield loc, "string_too_long", f"a {what} may hold at most {MAX_STRING_CHARS} characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        yield loc, "string_surrogate", f"a {what} may not contain a lone surrogate (not text)"


def text_offences(text: str) -> list[str]:
    """Why `text` (a header or query value) may not be stored; [] when it may."""
    return [message for _, _, message in _text_offences(text, (), "value")]


def _is_json(request: Request) -> bool:
    """Sent as JSON. A body without a media type is not (FastAPI reads it as bytes, and the
    422 would say "a valid dictionary" where the Content-Type is what is missing)."""
    content_type = request.headers.get("content-type", "").lower()
    media = content_type.split(";", 1)[0].strip()
    return media == "application/json" or media.endswith("+json")


async def _json_expected(handler: Callable[[Request], Coroutine[Any, Any, Response]],
                         request: Request) -> Response:
    """A body sent as something else than JSON (a form, text/plain): the route runs (a
    missing key is still a 401; a route that reads no body ignores it), and where the body
    fails validation the answer is a 415 - every body of the API is JSON, and a 422 about
    "a valid dictionary" would not say what is wrong."""
    try:
        return await handler(request)
    except RequestValidationError:
        sent = request.headers.get("content-type", "").split(";", 1)[0].strip()[:100]
        raise NotJson(sent) from None


class NotJson(ValueError):
    """A body sent as another media type than JSON (`args[0]`); a 415 (`api.problems`)."""


class EncodedBody(ValueError):
    """A body sent with a content coding (`args[0]`, e.g. gzip) the API does not decode; a
    415 (RFC 7694) rather than the coded bytes read as if they were JSON."""


class ForeignCharset(ValueError):
    """A JSON body declared in another character set than UTF-8 (`args[0]`, e.g.
    latin-1): JSON exchanged between systems is UTF-8 (RFC 8259), so a 415 rather than a
    422 about bytes that are not UTF-8."""


def _foreign_charset(request: Request) -> str | None:
    for parameter in request.headers.get("content-type", "").split(";")[1:]:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            return charset[:40]
    return None


def _content_coding(request: Request) -> str | None:
    coding = request.headers.get("content-encoding", "").strip().lower()
    return coding[:100] if coding and coding != "identity" else None


BODY_METHODS = frozenset(("POST", "PUT", "PATCH"))
# the status the access log and the metrics give a request whose client left before its
# body arrived (nginx's 499): nothing was answered ("400" read as a client error answered)
CLIENT_CLOSED = 499


class StrictJsonRoute(APIRoute):
    """A route whose JSON body is parsed by `strict_loads` before FastAPI validates it (the
    parsed value is handed on, so the body is parsed once); a body of another media type
    is a 415."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        # after the caller's key is checked (a 401 comes first); only where a body may come
        # (a GET's dependencies are solved on every read: nothing added there)
        query_names = {param.alias for param in self.dependant.query_params}
        if self.body_field is None and self.methods & BODY_METHODS:
            self.dependant.dependencies.append(get_parameterless_sub_dependant(
                depends=Depends(partial(_refuse_body_fields, query_names=query_names)),
                path=self.path_format))
        # a route that reads some parameters refuses others; a route that reads a body
        # refuses any (`POST /search/semantic?top_k=1000` answered with top_k 10)
        if query_names or self.body_field is not None:
            self.dependant.dependencies.append(get_parameterless_sub_dependant(
                depends=Depends(_refusing_unknown_parameters(frozenset(query_names))),
                path=self.path_format))

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            if request.method in BODY_METHODS:
                try:
                    raw = await request.body()
                except ClientDisconnect:  # nobody is left to answer: logged and counted
                    return Response(status_code=CLIENT_CLOSED)  # as no 400 ever sent
                coding = _content_coding(request)
                if raw and coding:
                    raise EncodedBody(coding)
                if raw and not _is_json(request):
                    return await _json_expected(handler, request)
                if raw and (charset := _foreign_charset(request)):
                    raise ForeignCharset(charset)
                if raw:
                    with contextlib.suppress(ValueError):  # not JSON: FastAPI says where
                        # an upload (up to 16 MiB) is parsed and checked on a thread: the
                        # event loop serves the other requests between its Python steps
                        request._json = strict_loads(raw) if len(raw) <= LARGE_BODY_BYTES \
                            else await run_in_threadpool(strict_loads, raw)
            return await handler(request)

        return strict


def _refusing_unknown_parameters(known: frozenset[str]) -> Callable[[Request], None]:
    """`GET /jobs?batch_id=x` listed every job: a parameter the route does not read was
    ignored, so a filter misspelt or imagined filtered nothing. It is a 422 naming it and
    the ones the route reads. (A closure, not a partial: FastAPI read a partial's `known`
    as a body field of the routes that take a body.)"""

    def refuse(request: Request) -> None:
        _refuse_unknown_parameters(request, known)

    return refuse


# what a browser client adds to a GET so no cache answers it (jQuery's `cache: false`)
CACHE_BUSTER = "_"


def _refuse_unknown_parameters(request: Request, known: frozenset[str]) -> None:
    unknown = [name for name in request.query_params
               if name not in known and (name != CACHE_BUSTER or request.method != "GET")]
    if unknown:
        reads = f"it reads {', '.join(sorted(known))}" if known else \
            "it reads none: its input is the JSON body"
        raise RequestValidationError([{
            "loc": ("query", name[:100]), "type": "extra_forbidden",
            "msg": f"not a parameter of this endpoint ({reads})"} for name in unknown[:20]])


def _refuse_body_fields(request: Request, query_names: set[str]) -> None:
    """A route that takes no body refuses one that says something: `{"scope":
    "deployment"}` sent to a promote was read as no body, a tenant-scope promotion (the
    scope is a query parameter). An empty object or null says nothing and passes; a body
    that is no JSON at all is refused too (`{junk` rotated a webhook secret)."""
    body = getattr(request, "_json", None)
    if not hasattr(request, "_json") and getattr(request, "_body", b"").strip():
        raise RequestValidationError([{
            "loc": ("body",), "type": "not_json",
            "msg": "this endpoint takes no body, and what was sent is not JSON"}])
    if body is None or body == {}:
        return
    fields = list(body)[:20] if isinstance(body, dict) else [None]
    raise RequestValidationError([{
        "loc": ("body",) if field is None else ("body", field), "type": "extra_forbidden",
        "msg": "this endpoint takes no body" + (
            f"; {field} is a query parameter here (?{field}=...)" if field in query_names
            else "")} for field in fields])


def encode_json(content: Any) -> bytes:
    """UTF-8 JSON of `content`. What the edge now refuses but an older row may hold still
    renders: a lone surrogate as U+FFFD, a non-finite number as null."""
    return json_bytes(content)


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        return encode_json(content)


def model_response(model: BaseModel) -> SafeJSONResponse:
    """`model` as the answer of a route without a response model: what FastAPI renders for
    it, without `jsonable_encoder`'s second walk over the dump (a search job's `GET` spent
    a seventh of its time in the API there; a recipe's result is five times larger)."""
    return SafeJSONResponse(model.model_dump(mode="json"))
