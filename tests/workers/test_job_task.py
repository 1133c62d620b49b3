"""Celery's state of a job task reports the job store's outcome: SUCCESS for a success,
FAILURE (error type and message, secrets masked; never retried) for a failure, REVOKED for
a cancel, and a duplicate delivery reports the job it found."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from celery import Celery
from celery.exceptions import Ignore

from core.errors import StoreUnavailable
from core.runner import RunOutcome
from core.views import JobView
from workers.job_task import JobFailure, JobTask

pytestmark = pytest.mark.unit
JOB = JobView("job-1", "recipe", "failed", 0.5, {}, None,
              {"type": "generation_failed", "message": "POST https://u:pw@llm/v1 refused"},
              1, False, datetime.now(UTC), None, None, None, "t-1")


@dataclass
class FakeStore:
    job: JobView | None = JOB
    down: bool = False

    def get_any(self, job_id: str) -> JobView | None:
        if self.down:
            raise StoreUnavailable("down")
        return self.job


@dataclass
class Recorded:
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)


@pytest.fixture
def task() -> Any:
    app = Celery("job-task-test", set_as_current=False, task_cls=JobTask)

    # not shared: the product's apps must not take this stand-in for recipe.generate
    @app.task(bind=True, name="recipe.generate", shared=False)
    def generate(self: Any, job_id: str) -> None:
        return None

    recorded = Recorded()
    generate.worker = type("Resources", (), {"store": FakeStore()})()
    generate.send_event = lambda kind, **fields: recorded.events.append((kind, fields))
    generate.backend.mark_as_revoked = lambda task_id, reason, request=None: \
        recorded.revoked.append(task_id)
    generate.push_request(id="job-1.abc")
    generate.recorded = recorded
    yield generate
    generate.pop_request()


def test_a_success_is_returned(task: Any) -> None:
    assert task.report("job-1", RunOutcome.SUCCEEDED) == {"job_id": "job-1",
                                                          "outcome": "succeeded"}


def test_a_failure_raises_the_jobs_error_with_secrets_masked(task: Any) -> None:
    with pytest.raises(JobFailure, match=r"^generation_failed: POST https://u:\*\*\*@llm"):
        task.report("job-1", RunOutcome.FAILED)
    assert JobFailure in task.throws  # logged without a traceback
    assert not isinstance(JobFailure("x"), StoreUnavailable)  # not in autoretry_for


def test_a_failure_is_reported_even_when_the_store_cannot_be_read(task: Any) -> None:
    task.worker.store.down = True
    with pytest.raises(JobFailure, match=r"^failed: see the job's error"):
        task.report("job-1", RunOutcome.FAILED)


def test_a_cancel_is_revoked_with_an_event_and_nothing_else_recorded(task: Any) -> None:
    task.worker.store.job = replace(JOB, status="canceled")
    with pytest.raises(Ignore):
        task.report("job-1", RunOutcome.CANCELED)
    assert [kind for kind, _ in task.recorded.events] == ["task-revoked"]
    assert task.recorded.revoked == ["job-1.abc"]


@pytest.mark.parametrize(("status", "reported"), [
    ("canceled", Ignore), ("failed", JobFailure), ("running", None), ("succeeded", None)])
def test_a_duplicate_delivery_reports_the_job_it_found(task: Any, status: str,
                                                       reported: type | None) -> None:
    task.worker.store.job = replace(JOB, status=status)
    if reported is None:
        assert task.report("job-1", RunOutcome.SKIPPED)["job_status"] == status
    else:
        with pytest.raises(reported):
            task.report("job-1", RunOutcome.SKIPPED)


def test_a_group_of_successes_returns_each_jobs_outcome(task: Any) -> None:
    outcomes = [RunOutcome.SUCCEEDED, RunOutcome.SKIPPED, RunOutcome.CANCELED]
    assert task.report_group(["a", "b", "c"], outcomes) == {"jobs": [
        {"job_id": "a", "outcome": "succeeded"}, {"job_id": "b", "outcome": "skipped"},
        {"job_id": "c", "outcome": "canceled"}]}


def test_a_group_with_a_failed_job_is_a_failure_naming_it_and_counting_the_rest(
        task: Any) -> None:
    # Flower's failed tasks must show every message a failed job was in, not a SUCCESS
    outcomes = [RunOutcome.SUCCEEDED, RunOutcome.FAILED, RunOutcome.SUCCEEDED,
                RunOutcome.CANCELED]
    with pytest.raises(JobFailure) as raised:
        task.report_group(["a", "b", "c", "d"], outcomes)
    assert str(raised.value) == (
        "1 of 4 jobs failed: b generation_failed: POST https://u:***@llm/v1 refused "
        "(the others: 1 canceled, 2 succeeded)")
    many = [RunOutcome.FAILED] * 5
    with pytest.raises(JobFailure, match=r"^5 of 5 jobs failed: a generation_failed: .*; "
                                         r"c generation_failed: [^;]*; and 2 more$"):
        task.report_group(list("abcde"), many)
