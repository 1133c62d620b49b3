"""What a call can fail with: a problem answer, an answer that is not JSON, no answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class ClientError(Exception):
    """Any failure of a client call."""


@dataclass
class ApiError(ClientError):
    """The API answered 4xx or 5xx with an RFC 9457 problem (`application/problem+json`).

    `errors` holds the field errors of a 422 (`field`, `message`, `type`, and `line` for
    dataset uploads); `retry_after_s` the `Retry-After` of a 429 or 503.
    """

    status: int
    title: str
    detail: str | None = None
    type: str = "about:blank"
    errors: list[dict[str, Any]] = field(default_factory=list)
    retry_after_s: float | None = None
    body: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.status, self.title)

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def lines(self) -> list[str]:
        """The problem as readable lines: status and title, detail, one line per field."""
        head = f"{self.status} {self.title}" + (f": {self.detail}" if self.detail else "")
        return [head, *(f"  {_where(error)}{error.get('message', '')}" for error in self.errors)]

    @classmethod
    def from_problem(cls, status: int, body: dict[str, Any],
                     retry_after: str | None = None) -> ApiError:
        errors = body.get("errors")
        return cls(status=status, title=str(body.get("title") or "Error"),
                   detail=body.get("detail"), type=str(body.get("type") or "about:blank"),
                   errors=list(errors) if isinstance(errors, list) else [],
                   retry_after_s=_seconds(retry_after), body=body)


def _where(error: dict[str, Any]) -> str:
    line = f"line {error['line']}: " if error.get("line") else ""
    return f"{line}{error['field']}: " if error.get("field") else line


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class NotJson(ClientError):
    """The server answered something that is not the API's JSON (a proxy's error page,
    another service on that port)."""

    def __init__(self, status: int, content_type: str, excerpt: str) -> None:
        super().__init__(f"the server answered {status} with {content_type or 'no content type'}"
                         f", not JSON: {excerpt!r}")
        self.status, self.content_type, self.excerpt = status, content_type, excerpt


class Unreachable(ClientError):
    """No answer: the connection failed or timed out."""


class WaitTimedOut(ClientError):
    """The wait ended before the job (or batch) did; it goes on."""
