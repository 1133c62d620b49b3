"""`recipe.generate`: decode the brief, run retrieval + generation + validation (batched
across concurrent jobs by the worker), record the formula or the unrepairable violations."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from core.runner import JobFailed, JobInputError
from core.states import JobKind
from tasks.context import JOB_TASK_OPTIONS, TaskContext, run_pipeline_job


def decode_brief(payload: dict[str, Any]) -> Any:
    """The stored job input as an `ml.recipe.Brief`; JobInputError if it is not valid."""
    from ml.recipe.brief import Brief

    try:
        return Brief.from_dict(payload)
    except (TypeError, ValueError) as exc:
        raise JobInputError(str(exc)) from exc


def _generate(context: TaskContext, tenant_id: str, brief: Any) -> dict[str, Any]:
    """The outcome of a formula that passes validation; else JobFailed: `generation_failed`
    when the back end produced no formula (it is down, its breaker is open, its output did
    not parse), `validation_failed` when the formula breaks rules no repair could fix."""
    outcome: dict[str, Any] = context.runtime(JobKind.RECIPE).generate(tenant_id, brief)
    if outcome.get("status") != "failed":
        return outcome
    if outcome.get("formula") is None:
        raise JobFailed({"type": "generation_failed",
                         "message": str(outcome.get("error") or "no formula was generated"),
                         "outcome": outcome})
    raise JobFailed({"type": "validation_failed",
                     "message": "the formula breaks rules that could not be repaired",
                     "violations": (outcome.get("validation") or {}).get("violations", []),
                     "outcome": outcome})


@shared_task(name="recipe.generate", **JOB_TASK_OPTIONS)
def generate_recipe(self: Any, *job_ids: str) -> dict[str, Any]:
    return run_pipeline_job(self, JobKind.RECIPE, job_ids, decode_brief, _generate)
