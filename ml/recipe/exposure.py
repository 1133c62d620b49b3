"""Substance loads in the finished product, summed over direct use and NCS constituents.

IFRA limits and EU allergen thresholds apply to the finished product (DOMAIN.md §2.1, §2.3):
a substance's load is ``Σ pct_in_concentrate × content × dose / 100`` over every ingredient
that is the substance or contains it. For natural complex substances we take the upper bound
of the constituent range, so the load is never under-estimated.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ml.recipe.formula import Formula
from ml.recipe.materials import Material, MaterialBook, normalise_term

# Reg. (EC) 1223/2009 Annex III, the original 26: a fallback for NCS constituents whose name
# does not resolve to a material row (the KB's own ``eu_allergen`` field wins when it does).
ORIGINAL_26 = frozenset(normalise_term(n) for n in (
    "amyl cinnamal", "amylcinnamyl alcohol", "anise alcohol", "benzyl alcohol",
    "benzyl benzoate", "benzyl cinnamate", "benzyl salicylate", "cinnamal", "cinnamyl alcohol",
    "citral", "citronellol", "coumarin", "eugenol", "farnesol", "geraniol", "hexyl cinnamal",
    "hydroxycitronellal", "hydroxyisohexyl 3-cyclohexene carboxaldehyde", "isoeugenol",
    "butylphenyl methylpropional", "limonene", "linalool", "methyl 2-octynoate",
    "alpha-isomethyl ionone", "evernia prunastri extract", "evernia furfuracea extract",
))  # fmt: skip


@dataclass
class SubstanceLoad:
    """One substance's total share of the concentrate, with where it comes from."""

    key: str
    name: str
    material: Material | None
    concentrate_pct: float = 0.0
    sources: dict[str, float] = field(default_factory=dict)  # material id -> concentrate %

    def finished_pct(self, dose_pct: float) -> float:
        return self.concentrate_pct * dose_pct / 100.0

    def add(self, material_id: str, pct: float) -> None:
        self.concentrate_pct += pct
        self.sources[material_id] = self.sources.get(material_id, 0.0) + pct

    @property
    def allergen_list(self) -> str | None:
        if self.material is not None and self.material.eu_allergen:
            return self.material.eu_allergen
        return "26" if normalise_term(self.name) in ORIGINAL_26 else None


def contributions(material: Material, book: MaterialBook) -> Iterable[tuple[str, str, float]]:
    """``(substance key, name, content fraction)`` for the material itself and its constituents."""
    yield material.id, material.name, 1.0
    for name, (_, high) in material.constituents.items():
        target = book.resolve(name)
        if target is None:
            yield f"constituent:{normalise_term(name)}", name, high / 100.0
        elif target.id != material.id:
            yield target.id, target.name, high / 100.0


def substance_loads(
    amounts: Mapping[str, float], book: MaterialBook
) -> dict[str, SubstanceLoad]:
    """Loads for ``amounts`` (material id -> % of the concentrate); unknown ids are skipped."""
    loads: dict[str, SubstanceLoad] = {}
    for material_id, pct in amounts.items():
        material = book.get(material_id)
        if material is None:
            continue
        for key, name, fraction in contributions(material, book):
            load = loads.get(key)
            if load is None:
                load = loads[key] = SubstanceLoad(key, name, book.get(key))
            load.add(material_id, pct * fraction)
    return loads


def formula_amounts(formula: Formula) -> dict[str, float]:
    """Material id -> total % of the concentrate (a material listed twice is summed)."""
    amounts: dict[str, float] = {}
    for ingredient in formula.ingredients:
        amounts[ingredient.material_id] = amounts.get(ingredient.material_id, 0.0) + ingredient.pct
    return amounts


def limit_of(load: SubstanceLoad) -> float | None:
    """The Cat 4 limit (% finished product) for a load: 0 when prohibited, None when unlimited."""
    material = load.material
    if material is None:
        return None
    if material.forbidden:
        return 0.0
    if material.ifra is not None and material.ifra.limited:
        return material.ifra.cat4_limit_pct
    return None
