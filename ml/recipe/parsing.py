"""Turn model output into a ``Formula``, or raise ``ParseError`` saying what was wrong."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Collection, Mapping
from typing import Any

from ml.recipe.brief import Brief
from ml.recipe.concentration import CONCENTRATIONS
from ml.recipe.formula import Formula, Ingredient
from ml.recipe.materials import POSITIONS, Material, MaterialBook
from ml.recipe.naming import describe, name_formula

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class ParseError(ValueError):
    """Model output that cannot be read as a formula; the message says why."""


def _json_object(text: str) -> dict[str, Any]:
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty model output")
    bad = CONTROL.search(text)
    if bad:
        raise ParseError(f"control character {bad.group()!r} at offset {bad.start()}")
    body = FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end < start:
        raise ParseError("no JSON object in model output")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise ParseError(f"invalid JSON: {exc.msg} at offset {exc.pos}") from exc
    if not isinstance(data, dict):
        raise ParseError("model output is not a JSON object")
    return data


def _ingredient(item: Any, n: int, book: MaterialBook) -> Ingredient:
    if not isinstance(item, Mapping):
        raise ParseError(f"ingredients[{n}] is not an object")
    material_id, pct = item.get("material_id"), item.get("pct")
    if not isinstance(material_id, str):
        raise ParseError(f"ingredients[{n}].material_id missing or not a string")
    if isinstance(pct, bool) or not isinstance(pct, int | float):
        raise ParseError(f"ingredients[{n}].pct missing or not a number")
    material = book.get(material_id)
    if material is None:
        raise ParseError(f"ingredients[{n}]: unknown material id {material_id!r}")
    position = item.get("position", material.note_position)
    if position not in POSITIONS:
        raise ParseError(f"ingredients[{n}].position {position!r} not in {POSITIONS}")
    return Ingredient(material.id, material.name, float(pct), str(position))


def parse_formula(
    text: str, brief: Brief, book: MaterialBook, allowed_ids: Collection[str] | None = None
) -> Formula:
    """Parse ``{"ingredients": [...]}`` (code fences and surrounding prose tolerated).

    Raises ``ParseError`` for control characters, invalid JSON, missing or mistyped fields,
    ids unknown to ``book`` or outside ``allowed_ids``. Name and description come from the
    brief, not the model. Percentages are returned as given: repair and validate them.
    """
    data = _json_object(text)
    items = data.get("ingredients")
    if not isinstance(items, list) or not items:
        raise ParseError("'ingredients' missing or not a non-empty list")
    ingredients = [_ingredient(item, n, book) for n, item in enumerate(items)]
    if allowed_ids is not None:
        outside = sorted({i.material_id for i in ingredients} - set(allowed_ids))
        if outside:
            raise ParseError(f"material ids not offered in the prompt: {outside}")
    rng = random.Random(f"name|{brief.seed}|{brief.fragrance_family}")
    by_position: dict[str, list[Material]] = {p: [] for p in POSITIONS}
    for ingredient in sorted(ingredients, key=lambda i: -i.pct):
        material = book.get(ingredient.material_id)
        if material is not None:
            by_position[ingredient.position].append(material)
    concentration = str(brief.concentration)
    return Formula(
        name=name_formula(brief, rng),
        description=describe(brief, by_position),
        concentration=concentration,
        dose_pct=CONCENTRATIONS[concentration].default_pct,
        ingredients=tuple(ingredients),
        product_category=brief.product_context.category,
        product_type=brief.product_context.product_type,
    )
