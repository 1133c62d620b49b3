"""`POST /api/v1/validate/recipe`: the scientific validator, synchronously (it is cheap).

The validator is plain Python (`ml.recipe.validator`, no torch); the material book is loaded
once per API process on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ConfigDict, Field, field_validator, model_validator
from starlette.concurrency import run_in_threadpool

from api.deps import GenerateSubmitter
from api.lanes import TenantLanes
from api.openapi import problems
from api.schemas import Strict
from api.strict_json import StrictJsonRoute
from ml.recipe.concentration import CONCENTRATIONS, normalise_concentration
from ml.recipe.formula import Formula
from ml.recipe.materials import MaterialBook, load_materials
from ml.recipe.validator import read_materials, repair, validate

router = APIRouter(prefix="/api/v1", tags=["generate"], route_class=StrictJsonRoute)


MAX_INGREDIENTS = 1000


def _named_or_identified(schema: dict[str, Any]) -> None:
    """The schema says what the model takes: `material_id` or `name` (either may name the
    material), where the field itself is required once the model has filled it."""
    schema["required"] = [name for name in schema.get("required", []) if name != "material_id"]
    schema["anyOf"] = [{"required": ["material_id"]}, {"required": ["name"]}]


class IngredientIn(Strict):
    model_config = ConfigDict(json_schema_extra=_named_or_identified)

    material_id: str = Field(min_length=1, max_length=200,
                             description="the material: its id, a name, a synonym or its CAS "
                                         "number; default: `name`")
    name: str | None = Field(default=None, max_length=200,
                             description="shown in the answer; default: the material id")
    pct: float = Field(ge=0, le=100, description="% of the concentrate")
    position: Literal["top", "heart", "base"]

    @model_validator(mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        """An ingredient given by `name` alone is that material (it was a 422 for a missing
        `material_id`, where a name is what the field takes anyway)."""
        if isinstance(value, dict) and "material_id" not in value and "name" in value:
            return {**value, "material_id": value["name"]}
        return value

    @field_validator("position", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value


class FormulaIn(Strict):
    """A formula as a generated recipe's result holds it. A concentration or product the
    validator does not model is a violation in the answer, not a 422."""

    name: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    concentration: str = Field(min_length=1, max_length=40,
                               description="parfum, edp, edt, edc or eau_fraiche (or their "
                                           "full names)")
    dose_pct: float | None = Field(
        default=None, gt=0, le=100, description="% of concentrate in the product; default: "
        "the concentration's usual dose (an edp's 15 %...), said in `dose_pct_assumed`")
    ingredients: list[IngredientIn] = Field(max_length=MAX_INGREDIENTS)
    product_category: str | int = Field(default="4", description="IFRA category (4)")
    product_type: str | None = Field(
        default=None, max_length=40,
        description="fine_fragrance | eau_de_toilette; default from the concentration")


class ValidateIn(Strict):
    formula: FormulaIn
    repair: bool = Field(default=False, description="also return a repaired formula")


@lru_cache(maxsize=1)
def _materials() -> MaterialBook:
    return load_materials()


def _check(body: ValidateIn) -> dict[str, Any]:
    given = body.formula.model_dump(exclude_none=True)
    klass = CONCENTRATIONS.get(normalise_concentration(body.formula.concentration))
    assumed = None
    if body.formula.dose_pct is None:  # a perfumer's sheet lists the concentrate only
        if klass is None:
            raise RequestValidationError([{
                "loc": ("body", "formula", "dose_pct"), "type": "missing",
                "msg": f"required: the concentration {body.formula.concentration!r} has no "
                       "usual dose (parfum, edp, edt, edc and eau_fraiche have)"}])  # fmt: skip
        assumed = given["dose_pct"] = klass.default_pct
    try:
        formula = Formula.from_dict(given)
    except ValueError as exc:  # "formula.<field>: what is wrong"
        field, _, message = str(exc).partition(": ")
        raise RequestValidationError([{"loc": ("body", *field.split(".")) if message else
                                       ("body", "formula"), "type": "value_error",
                                       "msg": message or str(exc)}]) from exc
    materials = _materials()
    formula, read = read_materials(formula, materials)
    answer: dict[str, Any] = {"validation": validate(formula, materials).to_dict()}
    if read:  # "Iso E Super" as the id iso-e-super: say how each was read
        answer["materials_read"] = read
    if assumed is not None:
        answer["dose_pct_assumed"] = assumed
    if body.repair:
        fixed, repairs = repair(formula, materials, rebalance=True)
        answer["repaired"] = {"formula": fixed.to_dict(), "repairs": repairs,
                              "validation": validate(fixed, materials).to_dict()}
    return answer


@router.post("/validate/recipe", responses=problems(401, 403, 413, 422, 429, 503))
async def validate_recipe(body: ValidateIn, caller: GenerateSubmitter,
                          request: Request) -> dict[str, Any]:
    """Check a formula: sum to 100, known materials, dose, pyramid bands and every modelled
    rule for its product: IFRA Standards (51st Amendment: prohibitions, limits, restricted
    constituents of naturals, group limits, the phototoxic sum, Schiff bases) and EU Annex
    II/III (bans, caps by product type), in the finished product. ``validation.verdict`` has
    one row per rule the formula touches (amount, limit, ratio, pass or fail, members and
    their sources, standard and amendment), ``validation.summary`` the same as text lines,
    ``validation.labelling`` the EU allergens to label and ``validation.requirements`` the
    specifications the material grades must meet. An ingredient may name its material by
    id, name, synonym, CAS number or the words of a name ("Iso E Super", "54464-57-2",
    "oakmoss"); `materials_read` lists those read as another id, and a name that fits
    several materials ("rose") is an `ambiguous_material` violation naming them. Never
    answers valid on error. A tenant's validations run one at a time in an API process, a
    few more waiting (api.lanes): beyond, a 429."""
    lanes: TenantLanes = request.app.state.validations
    async with lanes.slot(caller.tenant_id):
        return await run_in_threadpool(_check, body)
