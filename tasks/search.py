"""`search.run`: decode the job's input into an `ml` search request and run it batched."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from core.runner import JobInputError
from core.states import JobKind
from tasks.context import JOB_TASK_OPTIONS, run_pipeline_job


def decode_search_request(payload: dict[str, Any]) -> Any:
    """The stored job input (validated by the API) as an `ml.search.SearchRequest`; an input
    with `similar_to` (from `POST /search/similar`) needs no query."""
    from ml.search import SearchFilters, SearchRequest

    try:
        filters = SearchFilters(**(payload.get("filters") or {}))
        return SearchRequest(query=payload.get("query", ""), top_k=int(payload.get("top_k", 10)),
                             search_type=payload.get("search_type", "hybrid"),
                             filters=filters, similar_to=payload.get("similar_to"),
                             include_editions=bool(payload.get("include_editions", False)))
    except (KeyError, TypeError, ValueError) as exc:
        raise JobInputError(f"bad search input: {exc}") from exc


def decode_search_job(payload: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """The input as stored (the result cache's key) and as a request."""
    return payload, decode_search_request(payload)


@shared_task(name="search.run", **JOB_TASK_OPTIONS)
def run_search(self: Any, *job_ids: str) -> dict[str, Any]:
    return run_pipeline_job(
        self, JobKind.SEARCH, job_ids, decode_search_job,
        lambda context, tenant_id, job: context.runtime(JobKind.SEARCH).search(
            tenant_id, job[1], job[0]))
