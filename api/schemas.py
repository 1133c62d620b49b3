"""Request and response models of the REST contract (the README's "Using it" table)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from difflib import get_close_matches
from typing import Any, Literal, get_args

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from ml.recipe.brief import (
    GENDERS,
    INTENSITY_WORDS,
    MAX_MOOD_CHARS,
    SEASONS,
    family_slug,
    plain_word,
)
from ml.recipe.concentration import normalise_concentration
from ml.training.examples import MAX_BATCH_SIZE
from ml.vocabulary import FAMILIES, FAMILY_GROUPS

Family = Literal["floral", "soft_floral", "floral_amber", "soft_amber", "amber", "woody_amber",
                 "woods", "mossy_woods", "dry_woods", "aromatic", "citrus", "water", "green",
                 "fruity"]
Season = Literal["spring", "summer", "autumn", "winter"]
Gender = Literal["feminine", "masculine", "unisex"]
WebhookEvent = Literal["started", "progress", "completed"]


# A body with more errors than this keeps pydantic's own messages: naming the fields there
# are for each of 150,000 unknown keys held the event loop for 8 s.
RESTATED_AT_MOST = 100


class Strict(BaseModel):
    """A request body: unknown fields are refused, naming the fields there are (and the one
    meant, "notes" for `notes_include`), and so is a value of another JSON type (`"top_k":
    "5"` or `true` is a 422, not 5 or 1; an integer stands for a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="wrap")
    @classmethod
    def _name_the_fields(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        try:
            return handler(data)
        except ValidationError as exc:
            if exc.error_count() > RESTATED_AT_MOST:  # a hostile body of 100,000 keys
                raise
            errors = exc.errors()
            if not any(_unknown_here(error) for error in errors):
                raise
            raise ValidationError.from_exception_data(exc.title, [
                _restated(error, cls._unknown_field(error["loc"][0]) if _unknown_here(error)
                          else error["msg"]) for error in errors]) from None

    @classmethod
    def _unknown_field(cls, name: object) -> str:
        fields = list(cls.model_fields)
        meant = [f for f in fields if isinstance(name, str) and len(name) >= 3 and (
            name in f or f in name)] or get_close_matches(str(name), fields, n=2, cutoff=0.6)
        hint = f" (did you mean {' or '.join(map(repr, meant))}?)" if meant else ""
        return f"unknown field{hint}; the fields are {', '.join(fields)}"


def _unknown_here(error: Any) -> bool:
    return error["type"] == "extra_forbidden" and len(error["loc"]) == 1


def _restated(error: Any, message: str) -> InitErrorDetails:
    """`error` again as it was, with `message` (which is not a template)."""
    return {"type": PydanticCustomError(error["type"], "{message}", {"message": message}),
            "loc": error["loc"], "input": error["input"]}


class SearchFiltersIn(Strict):
    """Each list filter takes one value or a list of them; a family may be a wheel family, a
    group of the wheel ("woody", "fresh": each of its families) or a plain family word as
    briefs take it ("chypre", "aquatic", "우디"), a gender or season a plain word too
    ("women", "fall")."""

    # no list longer than what it can name (a repeated value is harmless, a million are not)
    family: list[Family] | None = Field(default=None, max_length=len(get_args(Family)))
    season: list[Season] | None = Field(default=None, max_length=len(get_args(Season)))
    gender: list[Gender] | None = Field(default=None, max_length=len(get_args(Gender)))
    notes_include: list[str] | None = Field(default=None, max_length=20)
    notes_exclude: list[str] | None = Field(default=None, max_length=20)
    kind: Literal["perfume", "material"] | None = None

    @field_validator("family", "season", "gender", "notes_include", "notes_exclude",
                     mode="before")
    @classmethod
    def _one_or_many_words(cls, value: Any, info: ValidationInfo) -> Any:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or info.field_name not in _PLAIN_WORDS:
            return values
        if info.field_name == "family":  # a wheel group names its families ("woody": the
            # woods, mossy and dry woods; "fresh": citrus, water, green, aromatic, fruity)
            values = _with_groups_named(values)
        return [_PLAIN_WORDS[info.field_name](v) if isinstance(v, str) else v for v in values]

    @field_validator("notes_include", "notes_exclude")
    @classmethod
    def _short_notes(cls, notes: list[str] | None) -> list[str] | None:
        if notes and any(not 0 < len(n.strip()) <= 60 for n in notes):
            raise ValueError("each note must be 1-60 characters")
        return [n.strip().lower() for n in notes] if notes else notes

    @model_validator(mode="after")
    def _no_note_both_wanted_and_excluded(self) -> SearchFiltersIn:
        """A note in both lists matched nothing, silently (a recipe's brief refuses it)."""
        clash = sorted(set(self.notes_include or ()) & set(self.notes_exclude or ()))
        if clash:
            raise PydanticCustomError("notes_clash", "notes_exclude: {clash} also in "
                                      "notes_include", {"clash": ", ".join(clash)})
        return self


def _wheel_family(word: str) -> str:
    """The wheel family of a plain family word; the word itself when it is none (the
    field's own check then names what is allowed)."""
    try:
        return family_slug(word)[0]
    except ValueError:
        return word


def _with_groups_named(values: list[Any]) -> list[Any]:
    """Each group of the wheel among `values` as its families, each family a group brings
    once ("fresh" twice was ten families, past the list's bound); the other values as given
    (repeated, they still meet the bound)."""
    out: list[Any] = []
    from_groups: set[str] = set()
    for value in values:
        group = FAMILY_GROUPS.get(plain_word(value)) if isinstance(value, str) \
            and plain_word(value) not in FAMILIES else None
        if group is None:
            out.append(value)
            continue
        out += [family for family in group if family not in from_groups]
        from_groups.update(group)
    return out


def _read_in(table: Mapping[str, str | None]) -> Any:
    """The value a plain word has in one of the brief's tables; the word itself when it
    has none (the field's own check then names what is allowed)."""
    return lambda word: table.get(plain_word(word)) or word


# what a plain word of a filter means: the brief's vocabulary
_PLAIN_WORDS: dict[str, Any] = {
    "family": _wheel_family,
    "season": _read_in(SEASONS),
    "gender": _read_in(GENDERS),
    "intensity": _read_in(INTENSITY_WORDS),
}


def _completed_only() -> list[WebhookEvent]:
    return ["completed"]


class Delivery(Strict):
    webhook: AnyHttpUrl | None = None
    webhook_events: list[WebhookEvent] = Field(default_factory=_completed_only, min_length=1)

    @field_validator("webhook_events")
    @classmethod
    def _events_need_a_webhook(cls, events: list[WebhookEvent],
                               info: ValidationInfo) -> list[WebhookEvent]:
        """Events asked for with no URL to send them to: a client that forgot the URL
        waited for webhooks that were never sent (it was accepted). Given only: the
        default is not validated."""
        # a webhook given but refused is not in `data`: its own error says what is wrong
        if "webhook" in info.data and info.data["webhook"] is None:
            raise PydanticCustomError(
                "webhook_required", "webhook_events needs a webhook: the URL to send them to")
        return events


def has_visible_text(text: str) -> bool:
    """Whether `text` has a character that shows: not only spaces, controls and format
    characters (zero-width space and joiners, word joiner, byte-order mark)."""
    return any(unicodedata.category(ch)[0] not in "ZC" for ch in text)


# A query as people write one: a story of what they want runs to a few hundred words (500
# characters refused a 120-word paragraph); a parse is linear in its length
MAX_QUERY_CHARS = 2000


class SearchIn(Delivery):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    top_k: int = Field(default=10, ge=1, le=100)
    search_type: Literal["hybrid", "similarity", "keyword"] = "hybrid"
    filters: SearchFiltersIn | None = None

    @field_validator("search_type", mode="before")
    @classmethod
    def _any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("query")
    @classmethod
    def _not_blank(cls, query: str) -> str:
        if not has_visible_text(query):
            raise ValueError("query must not be blank")
        return query.strip()

    def job_input(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"webhook", "webhook_events"},
                               exclude_none=True)


class SimilarIn(Delivery):
    """Perfumes that smell like a catalogue perfume (`perfume_id`: a search hit's `id`).
    The perfume itself and its editions are left out unless `include_editions`."""

    perfume_id: str = Field(min_length=1, max_length=120, pattern=r"^[a-z0-9][a-z0-9-]*$")
    top_k: int = Field(default=10, ge=1, le=100)
    include_editions: bool = False
    filters: SearchFiltersIn | None = None

    def job_input(self) -> dict[str, Any]:
        """A search job's input: the perfume as `similar_to`, the rest as sent."""
        data = self.model_dump(mode="json", exclude={"webhook", "webhook_events", "perfume_id"},
                               exclude_none=True)
        return {"similar_to": self.perfume_id, **data}


class JobOut(BaseModel):
    id: str
    kind: str
    status: str
    progress: float
    input: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    cancel_requested: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    batch_id: str | None


class JobPageOut(BaseModel):
    items: list[JobOut]
    next_cursor: str | None


class BriefIn(Strict):
    """The seed guide's brief. Family words are checked against the recipe library's
    vocabulary (wheel families and plain words like "floral", "oriental", "chypre"). A batch
    item is a brief alone: the webhook is the batch's."""

    fragrance_family: str = Field(min_length=1, max_length=40)
    mood: str = Field(default="", max_length=MAX_MOOD_CHARS)
    intensity: Literal["light", "moderate", "strong"] = "moderate"
    gender: Literal["feminine", "masculine", "unisex"] = "unisex"
    season: Season | None = None
    notes_include: list[str] = Field(default_factory=list, max_length=20)
    notes_exclude: list[str] = Field(default_factory=list, max_length=20)
    concentration: Literal["parfum", "edp", "edt", "edc", "eau_fraiche"] | None = Field(
        default=None, description="parfum, edp, edt, edc or eau_fraiche (1-3 %), or a full "
        "name of one (\"Eau de "
        "Parfum\", \"eau-de-toilette\", \"Eau de Cologne\", \"extrait\" or \"extrait de "
        "parfum\" for parfum, \"EdP\"; case, spaces and hyphens do not matter); stored as "
        "the short name")
    language: Literal["en", "ko"] = "en"
    seed: int = Field(default=0, ge=0, le=2**31 - 1)
    product_category: Literal["4"] = Field(
        default="4", description="IFRA category; only 4 (fine fragrance) is modelled")
    product_type: Literal["fine_fragrance", "eau_de_toilette"] | None = Field(
        default=None, description="EU product type for Annex III caps; default from the "
        "concentration (parfum, edp: fine_fragrance; edt, edc: eau_de_toilette)")

    @classmethod
    def _unknown_field(cls, name: object) -> str:
        """A field of a recipe request that a batch item lacks says where it goes."""
        if name in Delivery.model_fields:
            return f"a batch item takes no {name}: the batch's {name} applies to every item"
        return super()._unknown_field(name)

    @field_validator("intensity", "gender", "season", mode="before")
    @classmethod
    def _lower(cls, value: Any, info: ValidationInfo) -> Any:
        """Any case; a plain word too, as in search filters ("Male", "for her", "Fall",
        "여름", "year round", "intense", "은은한")."""
        if not isinstance(value, str):
            return value
        if info.field_name == "season" and SEASONS.get(plain_word(value), "") is None:
            return None  # "all seasons", "year round": no season in particular
        plain = _PLAIN_WORDS.get(info.field_name or "")
        return plain(value) if plain else value.strip().lower()

    @field_validator("concentration", mode="before")
    @classmethod
    def _concentration(cls, value: Any) -> Any:
        """A full name to its short name ("Eau de Parfum": edp); an unknown one is refused
        by the type, naming the short names."""
        return normalise_concentration(value) if isinstance(value, str) else value

    @field_validator("mood", "fragrance_family", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    def job_input(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"webhook", "webhook_events"},
                               exclude_none=True)


class RecipeIn(BriefIn, Delivery):
    """One brief, with where its webhook goes."""


class BatchIn(Delivery):
    """Items are checked one by one: a bad item fails alone with its own error. A list over
    the batch limit (`batch_max_items`) is refused by the route before its items are looked
    at, naming that limit (a second, fixed ceiling here named another: 10,000)."""

    # any JSON value per item, so an item that is no object ("a", 1, null) fails alone too
    requests: list[Any] = Field(min_length=1, json_schema_extra={"items": {"type": "object"}})


class BatchOut(BaseModel):
    id: str
    kind: str
    total: int
    status: str
    counts: dict[str, int]
    created_at: datetime
    completed_at: datetime | None


class BatchItemOut(BaseModel):
    index: int
    job: JobOut


class BatchItemPageOut(BaseModel):
    items: list[BatchItemOut]
    next_cursor: int | None


class TrainingIn(Delivery):
    """A training run. Give `dataset` (a built-in name) or `dataset_lines` (the JSONL file's
    lines), or neither for the target's built-in dataset. Unset numbers take the worker's
    configured defaults."""

    target: Literal["embedding", "generator"]
    dataset: str | None = Field(default=None, min_length=1, max_length=100)
    dataset_lines: list[str] | None = Field(
        default=None, description="the lines of a JSONL file, one JSON object each with "
        "exactly the target's two text fields: `{\"query\": ..., \"positive\": ...}` for "
        "`embedding` (a search query and the perfume text it should find), `{\"prompt\": "
        "..., \"completion\": ...}` for `generator`; blank lines are skipped; a bad line is "
        "a 422 naming its line number",
        examples=[['{"query": "fresh citrus for summer", "positive": "Neroli Portofino: '
                   'bergamot, neroli, lemon"}']])
    epochs: int | None = Field(default=None, ge=1, le=1000)
    batch_size: int | None = Field(default=None, ge=2, le=max(MAX_BATCH_SIZE.values()),
                                   description="at most 512 for embedding, 64 for generator")
    learning_rate: float | None = Field(default=None, gt=0, le=1)
    max_steps: int | None = Field(default=None, ge=1, le=10_000_000)
    checkpoint_every: int | None = Field(default=None, ge=1, le=10_000_000)
    evaluate: bool = Field(default=True, description="embedding: score the held-out queries "
                           "before and after (the promotion gate needs it)")
    auto_promote: bool = Field(default=True, description="make the new version active when "
                               "the promotion gate passes")
    seed: int = Field(default=0, ge=0, le=2**31 - 1)

    @field_validator("batch_size")
    @classmethod
    def _batch_fits(cls, size: int | None, info: ValidationInfo) -> int | None:
        target = info.data.get("target")  # validated before (absent when it was bad)
        if size is not None and target in MAX_BATCH_SIZE and size > MAX_BATCH_SIZE[target]:
            raise PydanticCustomError(
                "batch_size_too_large", "batch_size is at most {limit} for {target}",
                {"limit": MAX_BATCH_SIZE[target], "target": target})
        return size

    def job_input(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude={"webhook", "webhook_events"},
                               exclude_none=True)


class ModelOut(BaseModel):
    id: str
    target: str
    parent_id: str | None
    dataset: dict[str, Any]
    metrics: dict[str, Any]
    state: str = Field(description="its state in its tenant's registry")
    job_id: str | None
    created_at: datetime
    promoted_at: datetime | None
    tenant_id: str | None = Field(default=None, description="operators only")
    path: str | None = Field(default=None, description="operators only")


class ModelListOut(BaseModel):
    items: list[ModelOut]
    deployment_defaults: dict[str, str | None] = Field(
        description="target -> the version serving tenants without an active version of "
                    "their own (null: the built-in base model)")


class RollbackOut(BaseModel):
    rolled_back: ModelOut
    active: ModelOut | None = Field(description="the version active now (in the tenant's "
                                    "registry, or the deployment default) - null: the "
                                    "tenant falls back to the deployment default or the "
                                    "base model")
