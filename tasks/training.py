"""`training.run`: decode the request, train with a checkpoint at every step, register the
new model version.

The runner's claim is the fencing token: a duplicate delivery cannot claim a job whose
lease is alive, and every step extends the lease through the `Checkpoint` (which also
raises JobCanceled at the next step after a cancel; the training checkpoint stays on disk).
A job redelivered after its worker died resumes from its last training checkpoint; once
its success is recorded, the run's checkpoints are deleted (a canceled run keeps them).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from celery import shared_task

from core.runner import Checkpoint, JobFailed, JobInputError, JobTimedOut, RunOutcome
from core.states import JobKind
from core.views import Claim
from tasks.context import JOB_TASK_OPTIONS, context_of, reported, tenant_named_by

# Request fields that override the worker's training defaults when given.
OPTION_FIELDS = ("epochs", "batch_size", "learning_rate", "max_steps", "checkpoint_every")
# Progress of the last step: evaluation and registration follow it.
TRAINED_PROGRESS = 0.95


@dataclass(frozen=True)
class TrainingRequest:
    """A decoded training job: `dataset` is an `ml.training.Dataset`; `options` holds the
    request's overrides of the worker's defaults (`OPTION_FIELDS`)."""

    target: str
    dataset: Any
    options: dict[str, Any]
    evaluate: bool = True
    auto_promote: bool = True
    seed: int = 0

    @property
    def dataset_ref(self) -> dict[str, Any]:
        """What the registry records about the dataset (never the examples themselves)."""
        return {"name": self.dataset.name, "examples": len(self.dataset),
                "fingerprint": self.dataset.fingerprint}


def dataset_failure(errors: list[tuple[int, str]]) -> JobFailed:
    return JobFailed({"type": "invalid_dataset", "message": "the dataset is not valid",
                      "errors": [{"line": line, "message": message}
                                 for line, message in errors]})


def decode_training_request(payload: dict[str, Any]) -> TrainingRequest:
    """The stored job input (validated by the API) as a TrainingRequest; JobInputError or
    JobFailed (with line errors) when it is not usable."""
    from ml.training.datasets import builtin_dataset, validate_jsonl
    from ml.training.examples import TARGETS, DatasetError

    target = payload.get("target")
    if target not in TARGETS:
        raise JobInputError(f"target must be one of {TARGETS}, not {target!r}")
    try:
        if payload.get("dataset_lines") is not None:
            dataset = validate_jsonl(payload["dataset_lines"], target)
        else:
            dataset = builtin_dataset(str(payload.get("dataset")),
                                      seed=int(payload.get("seed", 0)))
    except DatasetError as exc:
        raise dataset_failure(exc.errors) from exc
    except KeyError as exc:
        raise JobInputError(str(exc)) from exc
    if dataset.target != target:
        raise JobInputError(f"dataset {dataset.name!r} trains the {dataset.target}, "
                            f"not the {target}")
    return TrainingRequest(target, dataset,
                           {k: payload[k] for k in OPTION_FIELDS if payload.get(k) is not None},
                           evaluate=bool(payload.get("evaluate", True)),
                           auto_promote=bool(payload.get("auto_promote", True)),
                           seed=int(payload.get("seed", 0)))


def step_reporter(checkpoint: Checkpoint) -> Any:
    """`on_step` for the training loop: one progress event per step with its loss; extends
    the lease; raises JobCanceled (stopping at this step boundary) after a cancel, and past
    the soft time limit has the loop save this step before it fails with JobTimedOut."""
    def on_step(step: int, total: int, loss: float) -> None:
        try:
            checkpoint(TRAINED_PROGRESS * step / max(total, 1),
                       {"step": step, "total": total, "loss": round(float(loss), 6)})
        except JobTimedOut as exc:  # past the soft limit: keep this step, then fail
            from ml.training.loop import SaveAndStop

            raise SaveAndStop(exc) from exc

    return on_step


def evaluation_interrupt(checkpoint: Checkpoint, every_s: float = 0.5) -> Any:
    """`interrupt` for the held-out evaluations (minutes of encoding without a training
    step): raises JobCanceled after a cancel, JobTimedOut past the soft limit (nothing to
    save: the run fails there). It asks the job store at most every `every_s`: it is
    called before every batch of texts, and once per evaluated query."""
    asked_at = 0.0

    def interrupt() -> None:
        nonlocal asked_at
        now = time.monotonic()
        if now - asked_at >= every_s:
            asked_at = now
            checkpoint()

    return interrupt


@shared_task(name="training.run", **JOB_TASK_OPTIONS)
def run_training(self: Any, job_id: str) -> dict[str, Any]:
    context = context_of(self)
    runs = context.runtime(JobKind.TRAINING)

    trained: dict[str, Any] = {}

    def work(claim: Claim, checkpoint: Checkpoint) -> dict[str, Any]:
        request = decode_training_request(claim.input)
        result: dict[str, Any] = runs.run(claim.job_id, claim.tenant_id, request,
                                          step_reporter(checkpoint),
                                          evaluation_interrupt(checkpoint))
        trained.update(tenant_id=claim.tenant_id, result=result)
        return result

    outcome = context.runner(JobKind.TRAINING).run(job_id, self.request.id, work,
                                                   tenant_hint=tenant_named_by(self))
    if trained and outcome != RunOutcome.SKIPPED:  # the version follows the recorded outcome
        runs.settle(job_id, trained["tenant_id"], trained["result"],
                    outcome == RunOutcome.SUCCEEDED)
    if outcome != RunOutcome.SKIPPED:  # recorded, and final: no attempt resumes from them
        # (a canceled run kept 520 MB of checkpoints for good: a tenant canceling trainings
        # filled the disk every tenant shares)
        runs.discard_run(job_id)
    if outcome != RunOutcome.SKIPPED:  # again (the runner announced the outcome): settled
        context.announce([job_id])
    return reported(self, job_id, outcome)
