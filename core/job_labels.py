"""What a job's broker message tells operators about the job: a short summary of its input,
its tenant and the request that submitted it (Flower shows them as the task's arguments;
workers put them on every log line of the job). Never a secret, never a whole input: the
summary takes a few named fields, each cut short.

The summary and the request id are stored with the job at submit, so every publisher (the
API, the dispatcher, maintenance) labels the job's messages the same way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SUMMARY_MAX = 80
TEXT_MAX = 40
REQUEST_ID_MAX = 64
# custom message headers (Celery hands them to the task as `task.request.<name>`)
HEADER_REQUEST_ID = "fragrance_request_id"
HEADER_TENANT = "fragrance_tenant"
HEADER_KIND = "fragrance_kind"
HEADER_PUBLISHED_AT = "fragrance_published_at"  # seconds since the epoch
HEADER_JOB_IDS = "fragrance_job_ids"  # a group's jobs, comma-separated
# a group's jobs' request ids, in the order of its jobs, comma-separated ("" for none)
HEADER_REQUEST_IDS = "fragrance_request_ids"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,64}")
_SPACES = re.compile(r"\s+")
# our keys and signing secrets pasted into a query (Flower showed "fk_ftKxscW21m9AF..." to
# operators): the log filter masks them in log lines, this in the label it never sees
_CREDENTIALS = re.compile(r"(fk_|whsec_|\bsk-)[\w+/=%-]{6,}")


@dataclass(frozen=True)
class JobLabels:
    tenant_id: str = ""
    request_id: str | None = None
    summary: str = ""


def valid_request_id(value: str | None) -> str | None:
    """`value` if it can be a request id (1-64 visible characters of a safe set), else None."""
    return value if value is not None and _REQUEST_ID.fullmatch(value) else None


def summarize(kind: str, payload: Mapping[str, Any]) -> str:
    """A one-line description of a job's input (at most SUMMARY_MAX characters)."""
    if kind == "search" and payload.get("similar_to"):  # /search/similar: `hybrid ""` said
        parts = ["similar to", str(payload["similar_to"])[:TEXT_MAX]]
    elif kind == "search":
        parts = [str(payload.get("search_type") or "hybrid"), _quoted(payload.get("query"))]
    elif kind == "recipe":
        parts = [str(payload.get(name)) for name in ("fragrance_family", "mood", "season",
                                                      "intensity", "concentration")
                 if payload.get(name)]
    elif kind == "training":
        lines = payload.get("dataset_lines")
        source = f"{len(lines)} uploaded lines" if isinstance(lines, list) \
            else str(payload.get("dataset") or "default dataset")
        parts = [str(payload.get("target") or "?"), "on", source]
    else:
        parts = []
    return _cut(" ".join(part for part in parts if part) or kind, SUMMARY_MAX)


def _quoted(text: Any) -> str:
    plain = _CREDENTIALS.sub(r"\1***", _SPACES.sub(" ", str(text or "")).strip())
    return f'"{_cut(plain, TEXT_MAX)}"'


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def message_labels(kind: str, job_ids: Sequence[str], labels: Sequence[JobLabels]
                   ) -> tuple[dict[str, str], str, str]:
    """(headers, argsrepr, kwargsrepr) of the task message of these jobs (one, or a group
    of one tenant's), published now. A group's message names all its jobs in a header
    (`HEADER_JOB_IDS`, read by the broker inventory) and its request id only when every job
    came from the same request; else each job's (`HEADER_REQUEST_IDS`), so the worker logs
    each job's lines with its own request's id."""
    first = labels[0]
    headers = {HEADER_KIND: kind, HEADER_TENANT: first.tenant_id,
               HEADER_PUBLISHED_AT: f"{time.time():.3f}"}
    request_ids = {label.request_id for label in labels}
    request_id = first.request_id if len(request_ids) == 1 else None
    if request_id:
        headers[HEADER_REQUEST_ID] = request_id
    elif any(request_ids):
        headers[HEADER_REQUEST_IDS] = ",".join(label.request_id or "" for label in labels)
    if len(job_ids) == 1:
        argsrepr = repr((job_ids[0], first.summary or kind))
    else:
        headers[HEADER_JOB_IDS] = ",".join(job_ids)
        argsrepr = repr(tuple(zip(job_ids, (label.summary or kind for label in labels),
                                  strict=True)))
    kwargsrepr = repr({"tenant": first.tenant_id, "request_id": request_id})
    return headers, argsrepr, kwargsrepr


def request_ids_in(headers: Mapping[str, Any], job_ids: Sequence[str]) -> list[str | None]:
    """The request id of each of a message's jobs: the message's own, else each one's from
    `HEADER_REQUEST_IDS` (a value that is not a request id, or a list of another length,
    counts as none)."""
    shared = valid_request_id(headers.get(HEADER_REQUEST_ID))
    each = headers.get(HEADER_REQUEST_IDS)
    if shared is not None or not isinstance(each, str):
        return [shared] * len(job_ids)
    named = each.split(",")
    if len(named) != len(job_ids):
        return [None] * len(job_ids)
    return [valid_request_id(value) for value in named]


def job_ids_in(headers: Mapping[str, Any], task_id: str) -> list[str]:
    """The jobs a message carries: its group's (`HEADER_JOB_IDS`), else the one its task id
    names."""
    group = headers.get(HEADER_JOB_IDS)
    if isinstance(group, str) and group:
        return group.split(",")
    return [job_id_of(task_id)]


def job_id_of(delivery_id: str) -> str:
    """The job a task id (`core.dispatch.new_delivery_id`) names: its group's first job."""
    return delivery_id.split(".", 1)[0]
