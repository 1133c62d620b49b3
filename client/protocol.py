"""The requests of the API and the reading of its answers, without I/O: the sync and the
async client send the same `Call`s and read answers with the same `decode`."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from client.errors import ApiError, ClientError, NotJson, Unreachable
from client.schema import TERMINAL
from client.sse import Event

V1 = "/api/v1"
MAX_BACKOFF_S = 30.0
TRANSIENT = frozenset({429, 502, 503, 504})
SSE, NDJSON = "text/event-stream", "application/x-ndjson"
IDEMPOTENCY_KEY_MAX_CHARS = 200
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")  # what an HTTP header carries as it is


@dataclass(frozen=True)
class Call:
    """One request. A POST carries an `Idempotency-Key`, so sending it again after a lost
    answer or a 429/503 cannot make a second job."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    wait_s: float = 0.0  # added to the read timeout (Prefer: wait)


def idempotency_key_problem(key: str) -> str | None:
    """Why the API refuses `key` as an `Idempotency-Key` (its rule: visible ASCII, 1 to 200
    characters); None when it takes it."""
    if not key:
        return "give at least one character"
    if not _VISIBLE_ASCII.fullmatch(key):
        return "use visible ASCII characters only (no spaces, no accents or other scripts)"
    if len(key) > IDEMPOTENCY_KEY_MAX_CHARS:
        return f"use at most {IDEMPOTENCY_KEY_MAX_CHARS} characters, not {len(key)}"
    return None


def api_key_problem(key: str) -> str | None:
    """Why `key` cannot be an API key sent as `Authorization: Bearer KEY` (keys are visible
    ASCII, `fk_...`); None when it can. The key itself is never part of the answer."""
    if not _VISIBLE_ASCII.fullmatch(key):
        return "an API key is visible ASCII (fk_...), without spaces"
    return None


def auth_headers(api_key: str) -> dict[str, str]:
    """The `Authorization` header; ValueError for a key no header can carry."""
    problem = api_key_problem(api_key)
    if problem:
        raise ValueError(f"api_key: {problem}")
    return {"Authorization": f"Bearer {api_key}"}


def submit(path: str, body: dict[str, Any], idempotency_key: str | None = None,
           wait_s: float = 0.0) -> Call:
    """A POST with an `Idempotency-Key` (a new one when none is given); ValueError for a
    key the API would refuse."""
    problem = idempotency_key_problem(idempotency_key) if idempotency_key else None
    if problem:
        raise ValueError(f"idempotency_key: {problem}")
    headers = {"Idempotency-Key": idempotency_key or f"client-{uuid.uuid4()}"}
    if wait_s > 0:
        headers["Prefer"] = f"wait={wait_s:g}"
    return Call("POST", path, json=body, headers=headers, wait_s=wait_s)


def job_path(job_id: str, *rest: str) -> str:
    """`/api/v1/jobs/{job_id}[/rest...]`, the id escaped as one path segment."""
    return "/".join((f"{V1}/jobs", segment(job_id, "job_id"), *rest))


def batch_path(batch_id: str, *rest: str) -> str:
    """`/api/v1/batches/{batch_id}[/rest...]`, the id escaped as one path segment."""
    return "/".join((f"{V1}/batches", segment(batch_id, "batch_id"), *rest))


def segment(value: str, name: str) -> str:
    """An id as one path segment: `/`, `?`, `#`, `%`, spaces and control characters
    escaped, and so are the dot segments `.` and `..` (which the URL would resolve away).
    Whatever it holds, it names one resource of its collection, an unknown one the API's
    404: an id of `../batches/B` sent unescaped canceled batch B instead of a job.
    ValueError (`name` says which) for an empty id, which names the collection itself."""
    if not value:
        raise ValueError(f"{name}: give at least one character")
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


def get(path: str, **params: Any) -> Call:
    return Call("GET", path, params={k: v for k, v in params.items() if v is not None} or None)


def post(path: str) -> Call:
    return Call("POST", path)


def events_headers(last_event_id: int) -> dict[str, str]:
    headers = {"Accept": "text/event-stream"}
    if last_event_id:
        headers["Last-Event-ID"] = str(last_event_id)
    return headers


def decode(response: httpx.Response) -> Any:
    """The answer's JSON; raises ApiError (4xx, 5xx) or NotJson. Read the body first."""
    content_type = response.headers.get("content-type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    is_json = media == "application/json" or media.endswith("+json")
    try:
        body = json.loads(response.content) if is_json else None
    except ValueError:
        body, is_json = None, False
    if not is_json:
        raise NotJson(response.status_code, content_type, response.text[:200])
    if response.status_code >= 400:
        problem = body if isinstance(body, dict) else {"title": str(body)}
        raise ApiError.from_problem(response.status_code, problem,
                                    response.headers.get("retry-after"))
    return body


class StreamFinished(Exception):
    """The server has nothing more to stream (204 No Content: the job is final and every
    event after the one asked for was sent already)."""


def streams(response: httpx.Response, media: str) -> bool:
    """The answer is the stream asked for (a 200 of that media type)."""
    content_type = response.headers.get("content-type", "")
    return response.status_code == 200 and content_type.split(";")[0].strip() == media


def refuse(response: httpx.Response, media: str) -> None:
    """Raise for an answer that is not the stream asked for (read its body first):
    StreamFinished for a 204."""
    if response.status_code == 204:
        raise StreamFinished()
    decode(response)  # a problem raises ApiError, anything not JSON NotJson
    raise ClientError(f"the server answered {response.status_code} with "
                      f"{response.headers.get('content-type')}, not a {media} stream")


def transport_error(exc: httpx.TransportError) -> Unreachable:
    """Unreachable, saying where the API was looked for."""
    try:
        url = exc.request.url
        where = f" at {url.scheme}://{url.netloc.decode('ascii', 'replace')}"
    except RuntimeError:  # no request attached
        where = ""
    return Unreachable(f"cannot reach the API{where}: {type(exc).__name__}: {exc}")


def transient(error: ClientError) -> bool:
    """Worth sending again: no answer, or an answer that asks to come back later."""
    return isinstance(error, Unreachable) or (
        isinstance(error, ApiError) and error.status in TRANSIENT)


def backoff_s(attempt: int, error: ClientError) -> float:
    """The answer's Retry-After, else 0.5 s doubling per attempt (at most 30 s)."""
    if isinstance(error, ApiError) and error.retry_after_s is not None:
        return min(error.retry_after_s, MAX_BACKOFF_S)
    return min(0.5 * 2**attempt, MAX_BACKOFF_S)


def is_final(event: Event) -> bool:
    """The last event of a job's stream (its type is a terminal status)."""
    return event.event in TERMINAL


def sequence(event: Event, last: int) -> int:
    """The event's number, to resume after it (`Last-Event-ID`)."""
    return int(event.id) if event.id and event.id.isdigit() else last
