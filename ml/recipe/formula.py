"""A perfume formula: ingredients as % of the fragrance concentrate, plus the dose.

``dose_pct`` is the share of concentrate in the finished product, so an ingredient's share of
the finished product is ``pct * dose_pct / 100``. ``product_category`` (the IFRA category,
default 4: fine fragrance) and ``product_type`` (the EU product type; empty means the default
for the concentration) say which limits apply. ``concentration`` is kept as its class slug
("Eau de Parfum" -> "edp", "extrait" -> "parfum"); a name no class has stays as written, in
lower case, for the validator to report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ml.recipe.concentration import normalise_concentration
from ml.recipe.materials import POSITIONS


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    return number


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ValueError(f"{where}.{key}: expected a string, got {value!r:.60}")
    return value


@dataclass(frozen=True)
class Ingredient:
    material_id: str
    name: str
    pct: float
    position: str

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise ValueError(f"ingredient {self.material_id!r}: position must be in {POSITIONS}")

    def to_dict(self) -> dict[str, Any]:
        return {"material_id": self.material_id, "name": self.name,
                "pct": self.pct, "position": self.position}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "ingredient") -> Ingredient:
        if not isinstance(data, Mapping):
            raise ValueError(f"{where}: expected an object, got {type(data).__name__}")
        material_id = _text(data, "material_id", where)
        name = data.get("name", material_id)
        if not isinstance(name, str):
            raise ValueError(f"{where}.name: expected a string")
        return cls(
            material_id=material_id,
            name=name,
            pct=_number(data.get("pct"), f"{where}.pct"),
            position=_text(data, "position", where).lower(),
        )


@dataclass(frozen=True)
class Formula:
    name: str
    description: str
    concentration: str
    dose_pct: float
    ingredients: tuple[Ingredient, ...] = field(default_factory=tuple)
    product_category: str = "4"
    product_type: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "ingredients", tuple(self.ingredients))
        object.__setattr__(self, "product_category", str(self.product_category))
        if isinstance(self.concentration, str):  # "Eau de Parfum", "extrait": their slugs
            object.__setattr__(self, "concentration",
                               normalise_concentration(self.concentration))

    @property
    def total_pct(self) -> float:
        return math.fsum(i.pct for i in self.ingredients)

    def amounts(self) -> dict[str, float]:
        """Material id -> total % of the concentrate (a material listed twice is summed)."""
        amounts: dict[str, float] = {}
        for ingredient in self.ingredients:
            amounts[ingredient.material_id] = amounts.get(ingredient.material_id, 0.0) + (
                ingredient.pct)
        return amounts

    def share(self, position: str) -> float:
        """% of the concentrate at one pyramid position."""
        return math.fsum(i.pct for i in self.ingredients if i.position == position)

    def with_ingredients(self, ingredients: tuple[Ingredient, ...] | list[Ingredient]) -> Formula:
        return replace(self, ingredients=tuple(ingredients))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "concentration": self.concentration,
            "dose_pct": self.dose_pct,
            "product_category": self.product_category,
            "product_type": self.product_type,
            "ingredients": [i.to_dict() for i in self.ingredients],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Formula:
        """Inverse of ``to_dict``; raises ``ValueError`` naming the first bad field."""
        if not isinstance(data, Mapping):
            raise ValueError(f"formula: expected an object, got {type(data).__name__}")
        items = data.get("ingredients")
        if not isinstance(items, list):
            raise ValueError("formula.ingredients: expected a list")
        category = data.get("product_category", "4")
        if isinstance(category, bool) or not isinstance(category, str | int):
            raise ValueError(f"formula.product_category: expected a string, got {category!r:.60}")
        product_type = data.get("product_type") or ""
        if not isinstance(product_type, str):
            raise ValueError(f"formula.product_type: expected a string, got {product_type!r:.60}")
        return cls(
            name=_text(data, "name", "formula"),
            description=_text(data, "description", "formula"),
            concentration=_text(data, "concentration", "formula"),
            dose_pct=_number(data.get("dose_pct"), "formula.dose_pct"),
            ingredients=tuple(
                Ingredient.from_dict(item, f"formula.ingredients[{n}]")
                for n, item in enumerate(items)
            ),
            product_category=str(category),
            product_type=product_type,
        )
