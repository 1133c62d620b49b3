"""A job kind that exists only in the tests (`demo`): its task module and its runtime, the
pieces `workers.app.create_celery` looks for, and a typed job for the API's check."""

from __future__ import annotations

from typing import Any, Literal

from celery import shared_task

from api.results import JobFields


@shared_task(name="demo.run", bind=True)
def run_demo(self: Any, job_id: str) -> dict[str, Any]:
    return {"job_id": job_id, "outcome": "succeeded"}


class DemoRuntime:
    """What a `demo` job runs on in a worker process."""


class DemoJob(JobFields):
    """Its typed job, as api.results declares one per kind (but not in AnyJob)."""

    kind: Literal["demo"]
