"""What a task may ask of its worker (implemented by workers.resources.WorkerResources,
reached through the app's task class: `workers.job_task.JobTask.worker`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol

from core.dispatch import Dispatched, DispatchQueue
from core.errors import StoreUnavailable
from core.job_labels import HEADER_REQUEST_ID, HEADER_REQUEST_IDS, HEADER_TENANT, request_ids_in
from core.runner import Checkpoint, JobRunner, RunOutcome
from core.store import JobStore, LostRun
from core.views import Claim


class TaskContext(Protocol):
    requeue_after_s: float

    @property
    def store(self) -> JobStore: ...

    def runner(self, kind: str) -> JobRunner: ...

    def runtime(self, kind: str) -> Any:
        """The kind's runtime (`search`: SearchRuntime, `recipe`: RecipeRuntime, `training`:
        TrainingRuns; typed Any here: tasks never import workers)."""

    def inject_fault(self) -> None: ...

    def publish(self, jobs: Sequence[Dispatched]) -> None: ...

    @property
    def dispatch_queue(self) -> DispatchQueue: ...

    def broker_inventory(self, held_for_s: float) -> Any:
        """`workers.broker_inventory.Inventory`: `present` (job ids), `held` (job id ->
        delivery tags of messages held unacknowledged longer than `held_for_s`)."""

    def drop_held(self, tags: Sequence[bytes]) -> None: ...

    def broker_lost_its_data(self) -> bool: ...

    def announce(self, job_ids: Sequence[str]) -> None:
        """Tell API processes that these jobs changed (the runner announces the jobs it
        finishes itself)."""

    def run_together(self, calls: Sequence[tuple[Mapping[str, str], Callable[[], RunOutcome]]]
                     ) -> list[RunOutcome | BaseException]:
        """Run the calls of a group message's jobs at once, each with the log fields of its
        job (`job_id`, and `request_id` when its request had one); each one's outcome, or
        the exception it raised."""

    def report_lost_runs(self, runs: Sequence[LostRun]) -> None: ...


def context_of(task: Any) -> TaskContext:
    context: TaskContext = task.worker
    return context


# Options of every job task: a store outage is retried (the same delivery re-claims its job).
JOB_TASK_OPTIONS: dict[str, Any] = {"bind": True, "autoretry_for": (StoreUnavailable,),
                                    "retry_backoff": True, "retry_backoff_max": 30,
                                    "max_retries": None}


def run_pipeline_job(task: Any, kind: str, job_ids: Sequence[str],
                     decode: Callable[[Any], Any],
                     compute: Callable[[TaskContext, str, Any], dict[str, Any]]
                     ) -> dict[str, Any]:
    """Claim each job, decode its input, compute (for the job's tenant: its models) with
    checkpoints around, record once. A message of one job reports it as the task's state;
    a group's jobs run together (`TaskContext.run_together`: their claims, computations and
    finishes meet in the runner's groups and the kind's micro-batcher) and the task reports
    each job's outcome (FAILURE when one of them failed: `JobTask.report_group`)."""
    context = context_of(task)
    tenant_hint = tenant_named_by(task)

    def work(claim: Claim, checkpoint: Checkpoint) -> dict[str, Any]:
        value = decode(claim.input)  # the claim itself refused a job canceled before it
        context.inject_fault()
        # a cancel that arrives while it runs still wins: the runner records it instead
        return compute(context, claim.tenant_id, value)

    def run(job_id: str) -> RunOutcome:
        return context.runner(kind).run(job_id, task.request.id, work, tenant_hint=tenant_hint)

    if len(job_ids) == 1:
        return reported(task, job_ids[0], run(job_ids[0]))
    outcomes = context.run_together([
        (log_fields(job_id, request_id), partial(run, job_id))
        for job_id, request_id in zip(job_ids, request_ids_named_by(task, job_ids), strict=True)])
    ended: list[RunOutcome] = []
    for outcome in outcomes:  # a store outage: the group's delivery runs again; its jobs
        if isinstance(outcome, BaseException):  # recorded already are skipped then
            raise outcome
        ended.append(outcome)
    answer: dict[str, Any] = task.report_group(job_ids, ended)
    return answer


def request_ids_named_by(task: Any, job_ids: Sequence[str]) -> list[str | None]:
    """The request id of each job of the task's message (its headers)."""
    headers = {name: getattr(task.request, name, None)
               for name in (HEADER_REQUEST_ID, HEADER_REQUEST_IDS)}
    return request_ids_in(headers, job_ids)


def log_fields(job_id: str, request_id: str | None) -> dict[str, str]:
    return {"job_id": job_id, **({"request_id": request_id} if request_id else {})}


def tenant_named_by(task: Any) -> str:
    """The tenant the task's message names (a hint for fair grouping, never trusted)."""
    return str(getattr(task.request, HEADER_TENANT, None) or "")


def reported(task: Any, job_id: str, outcome: RunOutcome) -> dict[str, Any]:
    """The task's answer for the job's `outcome`: the app's task class
    (`workers.job_task.JobTask`) makes Celery's state a report of the job's (SUCCESS,
    FAILURE, REVOKED), raising for the last two."""
    answer: dict[str, Any] = task.report(job_id, outcome)
    return answer
