"""`POST /api/v1/validate/recipe`: the scientific validator, synchronously (it is cheap).

The validator is plain Python (`ml.recipe.validator`, no torch); the material book is loaded
once per API process on first use.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.deps import GenerateSubmitter
from api.strict_json import StrictJsonRoute
from ml.recipe.formula import Formula
from ml.recipe.materials import MaterialBook, load_materials
from ml.recipe.validator import repair, validate

router = APIRouter(prefix="/api/v1", tags=["generate"], route_class=StrictJsonRoute)


class ValidateIn(BaseModel):
    formula: dict[str, Any] = Field(description="name, description, concentration (parfum, "
                                    "edp, edt, edc), dose_pct, ingredients: [{material_id, "
                                    "pct (of the concentrate), position: top|heart|base}]")
    repair: bool = Field(default=False, description="also return a repaired formula")


@lru_cache(maxsize=1)
def _materials() -> MaterialBook:
    return load_materials()


def _check(body: ValidateIn) -> dict[str, Any]:
    try:
        formula = Formula.from_dict({"name": "", "description": "", **body.formula})
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    materials = _materials()
    answer: dict[str, Any] = {"validation": validate(formula, materials).to_dict()}
    if body.repair:
        fixed, repairs = repair(formula, materials, rebalance=True)
        answer["repaired"] = {"formula": fixed.to_dict(), "repairs": repairs,
                              "validation": validate(fixed, materials).to_dict()}
    return answer


@router.post("/validate/recipe")
async def validate_recipe(body: ValidateIn, caller: GenerateSubmitter) -> dict[str, Any]:
    """Check a formula: sum to 100, known materials, IFRA limits in the finished product,
    pyramid bands, EU allergens above the labelling threshold. Never answers valid on error."""
    return await run_in_threadpool(_check, body)
