"""What the OpenAPI document says about errors, headers and operation ids.

Every 4xx and 5xx a route can answer is an RFC 9457 problem (`application/problem+json`,
`api.problems`); a route lists its statuses with `responses=problems(...)`, and this module
turns each into a documented response with the problem schema and the headers that come with
it (429: `Retry-After`, `RateLimit`, `RateLimit-Policy`; 503: `Retry-After`; 401:
`WWW-Authenticate`). Operation ids are the route functions' names (`submit_search`,
`get_job`): stable, and pinned by `tests/api/test_openapi.py`.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from api.problems import PROBLEM
from api.results import BatchResultLine, JobEvent
from api.schemas import BatchOut


class FieldError(BaseModel):
    field: str = Field(description="the field's path, dotted (`requests.3.season`)")
    message: str
    type: str
    line: int | None = Field(default=None, description="the dataset line (training uploads)")


class Problem(BaseModel):
    """RFC 9457 problem details. Members beyond these are problem-specific (`job_status`,
    `kind`, `limit`)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(default="about:blank", description="a URI reference naming the problem")
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = Field(default=None, description="422: one per field")


def _header(description: str, schema_type: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": schema_type}}


RETRY_AFTER = _header("seconds to wait before trying again", "integer")
RATE_LIMIT_HEADERS = {
    "RateLimit-Policy": _header('the key\'s submit quota: `"submits";q=<burst>;w=<seconds>`'),
    "RateLimit": _header('what is left of it: `"submits";r=<remaining>;t=<seconds to full>`'),
}
_WHY: dict[int, str] = {
    401: "no API key, or one that is not valid (revoked, expired)",
    403: "the API key lacks the scope this route needs",
    404: "no such resource for this tenant (another tenant's answers 404 too)",
    409: "a conflict: the state does not allow it, or an Idempotency-Key reused with "
         "another body (`type`: /problems/idempotency-key-reused)",
    413: "the request body is larger than the configured limit",
    415: "the body is not sent as `application/json` (no or another Content-Type), or is "
         "sent with a Content-Encoding",
    422: "the request is not valid: `errors` names each field",
    429: "too many submits for this key (rate limit), or too many open jobs for this "
         "tenant (`type`: /problems/quota-exceeded)",
    503: "the job store or the broker cannot be reached: retry after `Retry-After`",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": _header("`Bearer`")},
    429: {"Retry-After": RETRY_AFTER, **RATE_LIMIT_HEADERS},
    503: {"Retry-After": RETRY_AFTER},
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
# bodies that are a stream of these (SSE data, NDJSON lines): FastAPI cannot see them
STREAMED: tuple[type[BaseModel], ...] = (BatchResultLine, JobEvent, BatchOut)

# the statuses of common kinds of route
READ = (401, 404, 503)
SUBMIT = (401, 403, 409, 413, 422, 429, 503)


_LOCATION = _header("the URL of what was created")
_REPLAYED = _header("`true` when this answers an `Idempotency-Key` replay")


def submitted(model: Any, *, waits: bool = True) -> dict[int | str, Any]:
    """`responses=` of a submit: 202 (queued), 200 (finished within `Prefer: wait=N`, or an
    `Idempotency-Key` replay) and the submit problems, with `model` for both successes."""
    finished = ("the job finished within `Prefer: wait=N` (`Preference-Applied`), or "
                if waits else "")
    return {
        202: {"model": model, "description": "accepted: queued",
              "headers": {"Location": _LOCATION, **RATE_LIMIT_HEADERS}},
        200: {"model": model,
              "description": f"{finished}the same Idempotency-Key and body came again: the "
                             "first answer's resource (`Idempotent-Replayed: true`)",
              "headers": {"Location": _LOCATION, "Idempotent-Replayed": _REPLAYED,
                          **({"Preference-Applied": _header("`wait=N` when the wait was "
                                                            "applied")} if waits else {}),
                          **RATE_LIMIT_HEADERS}},
        **problems(*SUBMIT)}


def problems(*statuses: int, why: dict[int, str] | None = None) -> dict[int | str, Any]:
    """`responses=` entries documenting each status as a problem+json answer."""
    responses: dict[int | str, Any] = {}
    for status in sorted(set(statuses)):
        entry: dict[str, Any] = {
            "description": (why or {}).get(status) or _WHY.get(status)
            or HTTPStatus(status).phrase,
            "content": {PROBLEM: {"schema": PROBLEM_REF}}}
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        responses[status] = entry
    return responses


def streamed(media_type: str, item: type[BaseModel], description: str) -> dict[int | str, Any]:
    """`responses=` entry of a 200 whose body is a stream of `item` (one of STREAMED)."""
    assert item in STREAMED, f"add {item.__name__} to STREAMED"
    return {200: {"description": description, "content": {
        media_type: {"schema": {"$ref": f"#/components/schemas/{item.__name__}"}}}}}


def operation_id(route: APIRoute) -> str:
    """A route's operation id: its function's name (FastAPI's default appends the path)."""
    return route.name


def install_openapi(app: FastAPI) -> None:
    """Generate the document once, with the problem schemas in its components."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version,
                                   description=app.description, routes=app.routes,
                                   tags=app.openapi_tags)
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
            for model in STREAMED:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
            _drop_default_422(document)
            _document_415(document)
            _document_batch_limit(schemas, int(app.state.batch_max_items))
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_batch_limit(schemas: dict[str, Any], limit: int) -> None:
    """A batch's bound is this deployment's `batch_max_items`, not the model's ceiling (the
    largest value the setting may take)."""
    requests = schemas.get("BatchIn", {}).get("properties", {}).get("requests")
    if requests is not None:
        requests["maxItems"] = limit


def _drop_default_422(document: dict[str, Any]) -> None:
    """FastAPI documents a 422 in its own shape on every route with parameters; the routes
    that can answer 422 declare it as a problem, so the default ones go."""
    default = "#/components/schemas/HTTPValidationError"
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == default:
                del operation["responses"]["422"]


def _document_415(document: dict[str, Any]) -> None:
    """Every route that takes a body answers 415 for one that is not sent as JSON
    (`api.strict_json`)."""
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].update({str(status): entry for status, entry
                                               in problems(415).items()})
