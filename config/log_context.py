"""What a log line is about: the request, the job, its kind and tenant, the worker and the
model version of the work in progress.

The API binds the request id for the life of a request; a worker binds the job's fields for
the life of its task (from the task's headers) and its own name for the life of the process.
`ContextFilter`, on every handler, copies them onto each record (`record.request_id`, …), so
any formatter can print them and a line logged deep inside a library still says which job it
belongs to. Fields a record already carries (`extra=`) are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import MappingProxyType

FIELDS = ("request_id", "job_id", "kind", "tenant", "worker", "model_version")

_EMPTY: Mapping[str, str] = MappingProxyType({})
_bound: ContextVar[Mapping[str, str]] = ContextVar("fragrance_log_context", default=_EMPTY)
_process: dict[str, str] = {}


def bind(**fields: str | None) -> Token[Mapping[str, str]]:
    """Add `fields` (those given and not None) to the current context; `reset` undoes it."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValueError(f"unknown log context fields {sorted(unknown)}")
    merged = {**_bound.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    return _bound.set(MappingProxyType(merged))


def reset(token: Token[Mapping[str, str]]) -> None:
    _bound.reset(token)


def clear() -> None:
    """Forget every bound field of this context (a pool thread between two tasks)."""
    _bound.set(_EMPTY)


@contextmanager
def bound(**fields: str | None) -> Iterator[None]:
    token = bind(**fields)
    try:
        yield
    finally:
        reset(token)


def set_process_fields(**fields: str) -> None:
    """Fields true of every line of this process (a worker's name); replaces those set
    before (no arguments: none)."""
    _process.clear()
    _process.update(fields)


def current() -> dict[str, str]:
    """The fields in effect here: the process's, overridden by the bound ones."""
    return {**_process, **_bound.get()}


def current_request_id() -> str | None:
    return _bound.get().get("request_id")


class ContextFilter(logging.Filter):
    """Puts every field of `FIELDS` on the record (None when unknown here)."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = current()
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, values.get(name))
        return True
