"""`POST /api/v1/training`: a training job (the `training` scope)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request, Response
from starlette.concurrency import run_in_threadpool

from api import examples
from api.datasets import training_input
from api.deps import TrainingSubmitter
from api.openapi import submitted
from api.params import IdempotencyKey, PreferWait
from api.results import TrainingJob
from api.schemas import JobOut, TrainingIn
from api.strict_json import StrictJsonRoute
from api.submitting import submit_and_answer
from core.states import JobKind


async def checked_input(request: Request, body: TrainingIn) -> dict[str, Any]:
    """The job input, an uploaded dataset checked line by line on a thread (six uploads of
    15 MB checked on the event loop held every other tenant's `GET /jobs` for up to 8 s;
    a tenant's uploads are few at a time: `api.http_middleware.UploadsNeedAKey`)."""
    max_lines = int(request.app.state.training_max_dataset_lines)
    if body.dataset_lines is None:
        return training_input(body, max_lines)
    return await run_in_threadpool(training_input, body, max_lines)


router = APIRouter(prefix="/api/v1", tags=["training"], route_class=StrictJsonRoute)


@router.post("/training", status_code=202, response_model=JobOut,
             responses=submitted(TrainingJob))
async def submit_training(body: Annotated[TrainingIn, Body(openapi_examples=examples.TRAINING)],
                          caller: TrainingSubmitter, request: Request, response: Response,
                          idempotency_key: IdempotencyKey = None,
                          prefer: PreferWait = None) -> JobOut:
    """Queue a fine-tuning run (embedding) or a LoRA adaptation (generator). An uploaded
    dataset is checked line by line first: a bad one is refused with 422 naming each line.
    The job reports `progress` events with the step and loss; its result names the new
    model version and its evaluation before and after. `Prefer: wait=N` answers 200 with the
    finished job if it finishes within N s (a short run, say)."""
    payload = await checked_input(request, body)
    return await submit_and_answer(request, response, caller, JobKind.TRAINING, body,
                                   payload, idempotency_key, prefer)
