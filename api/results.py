"""Typed views of a job per kind, for the OpenAPI document and the clients generated from it.

The API sends a job's stored JSON as it is (`api.schemas.JobOut`): these models describe
that JSON per kind, they do not filter or coerce it. Every object admits members it does not
name (`extra="allow"`), so a field a newer worker adds reaches clients before it is
documented here. A route that knows the kind documents its kind's model; `GET /jobs/{id}`
documents `AnyJob`, discriminated by `kind`. The e2e test of the generated client parses real
results with these schemas, and `tests/api/test_openapi.py` validates real pipeline outputs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Open(BaseModel):
    """An object that may carry more members than it names."""

    model_config = ConfigDict(extra="allow")


# ---- search ---------------------------------------------------------------------------
class PerfumeHit(Open):
    id: str
    kind: Literal["perfume"]
    name: str
    brand: str
    family: str
    score: float
    matched_notes: list[str] = Field(description="the query's notes this perfume has")
    season: list[str]
    gender: str
    year: int | None = None
    notes: dict[str, list[str]] = Field(description="top, heart and base notes")


class MaterialHit(Open):
    id: str
    kind: Literal["material"]
    name: str
    cas: list[str]
    odor_family: str
    note_position: str
    score: float


SearchHit = Annotated[PerfumeHit | MaterialHit, Field(discriminator="kind")]


class SearchResult(Open):
    query: str | None = None
    interpreted_query: str | None = None
    lang: str | None = Field(default=None,
                             description="the query's language (en, ko, ja, zh, ru, ar)")
    search_type: str
    model_version: str = Field(description="the embedding model that encoded the query")
    model_version_id: str | None = Field(
        default=None, description="the registry version serving the tenant (null: the base "
                                  "model)")
    hints: dict[str, Any] = Field(default_factory=dict,
                                  description="facets read from the query")
    hits: list[SearchHit]
    cached: bool = Field(default=False,
                         description="answered at submit time from the result of the same "
                                     "search on the same model version and index")


# ---- recipe ---------------------------------------------------------------------------
class IngredientOut(Open):
    material_id: str
    name: str
    pct: float = Field(description="percent of the concentrate")
    position: Literal["top", "heart", "base"]


class FormulaOut(Open):
    name: str
    description: str
    concentration: str
    dose_pct: float = Field(description="percent of concentrate in the finished product")
    product_category: str
    product_type: str
    ingredients: list[IngredientOut]


class FindingOut(Open):
    code: str
    message: str
    subject: str | None = None


class ValidationOut(Open):
    valid: bool
    violations: list[FindingOut]
    warnings: list[FindingOut]
    verdict: list[dict[str, Any]] = Field(
        default_factory=list, description="one row per rule the formula touches (IFRA and "
                                          "EU): amount, limit, ratio, pass or fail")
    labelling: list[dict[str, Any]] = Field(default_factory=list,
                                            description="EU allergens to label")
    summary: list[str] = Field(default_factory=list)
    pyramid: dict[str, float] = Field(default_factory=dict)
    material_count: int = 0


class RecipeResult(Open):
    status: Literal["succeeded", "failed"]
    brief: dict[str, Any]
    backend: str = Field(description="the generator back end (formulator, transformers, "
                                     "vllm, openai)")
    model_version: str
    formula: FormulaOut | None
    validation: ValidationOut | None
    repairs: list[str]
    error: str | None = None
    notes: list[str] = Field(default_factory=list)
    generator_version_id: str | None = None
    retrieval_model_version_id: str | None = None


# ---- training -------------------------------------------------------------------------
class GateOut(Open):
    passed: bool
    reason: str


class TrainingResult(Open):
    target: Literal["embedding", "generator"]
    model_version: str = Field(description="the new version's id in the tenant's registry")
    state: Literal["candidate", "active", "retired"]
    parent_id: str | None
    dataset: dict[str, Any]
    metrics_before: dict[str, Any] | None
    metrics_after: dict[str, Any] | None
    gate: GateOut
    steps: int
    resumed_from_step: int
    final_loss: float | None
    config: dict[str, Any]
    notes: list[str] = Field(default_factory=list,
                             description="what the run cannot do here: a generator adapter "
                                         "on a deployment whose back end loads none")


# ---- jobs -----------------------------------------------------------------------------
class JobError(Open):
    type: str = Field(description="e.g. invalid_input, validation_failed, timed_out")
    message: str


class JobFields(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed", "canceled"]
    progress: float = Field(ge=0, le=1)
    input: dict[str, Any] = Field(description="the request as stored")
    error: JobError | None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    batch_id: str | None


class SearchJob(JobFields):
    kind: Literal["search"]
    result: SearchResult | None


class RecipeJob(JobFields):
    kind: Literal["recipe"]
    result: RecipeResult | None


class TrainingJob(JobFields):
    kind: Literal["training"]
    result: TrainingResult | None


AnyJob = Annotated[SearchJob | RecipeJob | TrainingJob, Field(discriminator="kind")]


class JobPage(BaseModel):
    items: list[AnyJob]
    next_cursor: str | None


class RecipeBatchItem(BaseModel):
    index: int
    job: RecipeJob


class RecipeBatchItemPage(BaseModel):
    items: list[RecipeBatchItem]
    next_cursor: int | None


class JobEvent(BaseModel):
    """One Server-Sent Event's `data` (its `event` is `type`, its `id` is `seq`)."""

    job_id: str
    seq: int
    type: str = Field(description="queued, started, progress, succeeded, failed, canceled, "
                                  "requeued")
    data: dict[str, Any] = Field(description="status, attempt, progress, step, loss, error")
    created_at: datetime


class BatchResultLine(BaseModel):
    """One line of `GET /batches/{id}/results` (NDJSON), in input order."""

    index: int
    job_id: str
    status: Literal["queued", "running", "succeeded", "failed", "canceled"]
    result: RecipeResult | None
    error: JobError | None
