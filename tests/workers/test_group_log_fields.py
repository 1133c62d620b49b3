"""A group message's jobs run together on the worker's group threads; each one's log lines
name its own job and its own request, not the first job's or none."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from config import load_settings
from config.log_context import bound, current
from core.dispatch import Dispatched, messages_for
from core.job_labels import JobLabels
from tasks.context import log_fields, request_ids_named_by
from workers.resources import WorkerResources

pytestmark = pytest.mark.unit
FIELDS = ("tenant", "kind", "job_id", "request_id")


def job_fields() -> dict[str, str]:
    """The job's fields in the log context here (the process's own, e.g. the worker's name,
    left out)."""
    return {name: value for name, value in current().items() if name in FIELDS}


def test_each_job_of_a_group_logs_with_its_own_job_and_request_id() -> None:
    message = messages_for([Dispatched("j0", "search", JobLabels("T", "req-a")),
                            Dispatched("j1", "search", JobLabels("T")),
                            Dispatched("j2", "search", JobLabels("T", "req-c"))])[0]
    # Celery's task request has the message's custom headers as attributes
    task = SimpleNamespace(request=SimpleNamespace(**message.headers))
    request_ids = request_ids_named_by(task, message.job_ids)
    calls = [log_fields(job_id, request_id)
             for job_id, request_id in zip(message.job_ids, request_ids, strict=True)]
    assert calls == [{"job_id": "j0", "request_id": "req-a"}, {"job_id": "j1"},
                     {"job_id": "j2", "request_id": "req-c"}]

    worker = WorkerResources(load_settings("testing"))
    with bound(tenant="T", kind="search", job_id="j0"):  # the task's own context
        seen = worker.run_together([(fields, job_fields) for fields in calls])
    assert seen == [{"tenant": "T", "kind": "search", "job_id": "j0", "request_id": "req-a"},
                    {"tenant": "T", "kind": "search", "job_id": "j1"},
                    {"tenant": "T", "kind": "search", "job_id": "j2", "request_id": "req-c"}]
