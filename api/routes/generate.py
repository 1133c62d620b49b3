"""Recipe generation: one brief, or a batch of briefs (one job per item)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request, Response
from fastapi.exceptions import RequestValidationError

from api import examples
from api.briefs import brief_errors
from api.deps import EnqueuerDep, GenerateSubmitter
from api.openapi import submitted
from api.params import IdempotencyKey, PreferWait
from api.results import RecipeJob
from api.schemas import BatchIn, BatchOut, BriefIn, JobOut, RecipeIn
from api.strict_json import StrictJsonRoute
from api.submitting import request_id_of, submit_and_answer
from api.webhook_urls import checked_webhook
from core.batches import BatchItem, BatchStore
from core.states import JobKind
from core.storable import json_bytes
from core.submission import submit_batch

router = APIRouter(prefix="/api/v1", tags=["generate"], route_class=StrictJsonRoute)


async def get_batches(request: Request) -> BatchStore:
    batches: BatchStore = request.app.state.batches
    return batches


BatchesDep = Annotated[BatchStore, Depends(get_batches)]


@router.post("/generate/recipe", status_code=202, response_model=JobOut,
             responses=submitted(RecipeJob))
async def submit_recipe(body: Annotated[RecipeIn, Body(openapi_examples=examples.RECIPE)],
                        caller: GenerateSubmitter, request: Request, response: Response,
                        idempotency_key: IdempotencyKey = None,
                        prefer: PreferWait = None) -> JobOut:
    """Queue one recipe: retrieval + generation + the scientific validator.
    `Prefer: wait=N` answers 200 with the finished job if it finishes within N s."""
    errors = brief_errors(body.model_dump(mode="json", exclude={"webhook", "webhook_events"}))
    if errors:
        raise RequestValidationError([{"loc": ("body", e["field"]), "msg": e["message"],
                                       "type": e["type"]} for e in errors])
    return await submit_and_answer(request, response, caller, JobKind.RECIPE, body,
                                   body.job_input(), idempotency_key, prefer)


@router.post("/generate/batch", status_code=202, response_model=BatchOut,
             responses=submitted(BatchOut, waits=False))
def submit_recipe_batch(body: Annotated[BatchIn, Body(openapi_examples=examples.BATCH)],
                        request: Request, caller: GenerateSubmitter, batches: BatchesDep,
                        enqueuer: EnqueuerDep, response: Response,
                        idempotency_key: IdempotencyKey = None) -> BatchOut:
    """One batch, one job per item, in input order. Invalid items fail alone with their own
    errors. The same `Idempotency-Key` and body again answer 200 with the first batch
    (`Idempotent-Replayed: true`); the key with another body answers 409."""
    limit = int(request.app.state.batch_max_items)
    if len(body.requests) > limit:
        raise RequestValidationError([{"loc": ("body", "requests"), "type": "too_long",
                                       "msg": f"at most {limit} requests per batch"}])
    items = [_item(raw) for raw in body.requests]
    webhook = checked_webhook(request.app.state.url_policy, body.webhook)
    batch, created = submit_batch(
        batches, enqueuer, tenant_id=caller.tenant_id, kind=JobKind.RECIPE, items=items,
        webhook_url=webhook, webhook_events=body.webhook_events, api_key_id=caller.key_id,
        idempotency_key=idempotency_key, request=body.model_dump(mode="json"),
        request_id=request_id_of(request))
    response.headers["Location"] = f"/api/v1/batches/{batch.id}"
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return BatchOut(**batch.to_dict())


# what of a refused item's input is kept (its job's `input`): a valid brief is bounded by
# its schema, a refused one by nothing (1,000 items carrying 15 KB of unknown fields each
# grew the store by 1 GB in 10 s of one tenant's batches)
MAX_REFUSED_INPUT_BYTES = 2048


def _kept(payload: dict[str, Any]) -> dict[str, Any]:
    size = len(json_bytes(payload))
    return payload if size <= MAX_REFUSED_INPUT_BYTES else {
        "omitted": f"the item's {size:,} bytes of JSON are not kept: it was refused"}


def _item(raw: object) -> BatchItem:
    if not isinstance(raw, dict):
        return BatchItem(payload=_kept({"given": raw}), error={
            "type": "invalid_input", "message": "the brief is not valid", "errors": [{
                "field": "", "type": "model_type",
                "message": f"a brief is a JSON object, not {_json_type(raw)}"}]})
    errors = brief_errors(raw)
    if errors:
        return BatchItem(payload=_kept(raw), error={"type": "invalid_input",
                                             "message": "the brief is not valid",
                                             "errors": errors})
    return BatchItem(payload=BriefIn.model_validate(raw).job_input())


def _json_type(value: object) -> str:
    """What JSON calls a value's type: null, a boolean, a number, a string, an array."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"
