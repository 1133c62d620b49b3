"""Repairs for formulas that fail validation. Each step returns the lines it reports."""

from __future__ import annotations

import math
from dataclasses import replace

from ml.recipe.concentration import CONCENTRATIONS
from ml.recipe.exposure import limit_of, substance_loads
from ml.recipe.formula import Formula, Ingredient
from ml.recipe.materials import POSITIONS, MaterialBook
from ml.recipe.proportions import to_hundred
from ml.recipe.pyramid import rebalance_shares
from ml.recipe.rules import Rules

MAX_IFRA_ROUNDS = 25


def repair_formula(
    formula: Formula, book: MaterialBook, rules: Rules, *, rebalance: bool
) -> tuple[Formula, list[str]]:
    repairs: list[str] = []
    items = _drop_unusable(list(formula.ingredients), book, repairs)
    items = _merge_duplicates(items, repairs)
    formula = _fix_dose(formula, repairs)
    items = _trim_count(items, rules, repairs)
    if not items:
        return formula.with_ingredients(()), repairs
    total = math.fsum(i.pct for i in items)
    if abs(total - 100.0) > rules.sum_tolerance:
        repairs.append(f"normalised percentages from a total of {total:.4f} to 100")
    amounts = {i.material_id: i.pct for i in items}
    if rebalance:
        amounts = _rebalance(items, amounts, rules, repairs)
    positions = {i.material_id: i.position for i in items}
    amounts = _reduce_ifra(amounts, positions, book, formula.dose_pct, rules, repairs)
    return formula.with_ingredients(_rounded(items, amounts)), repairs


def _drop_unusable(
    items: list[Ingredient], book: MaterialBook, repairs: list[str]
) -> list[Ingredient]:
    kept = []
    for item in items:
        material = book.get(item.material_id)
        if material is None:
            repairs.append(f"removed unknown material {item.material_id!r}")
        elif material.forbidden:
            repairs.append(f"removed prohibited material {item.material_id}")
        elif not math.isfinite(item.pct) or item.pct <= 0:
            repairs.append(f"removed {item.material_id} with non-positive pct {item.pct}")
        else:
            kept.append(replace(item, name=material.name))
    return kept


def _merge_duplicates(items: list[Ingredient], repairs: list[str]) -> list[Ingredient]:
    merged: dict[str, Ingredient] = {}
    for item in items:
        first = merged.get(item.material_id)
        if first is None:
            merged[item.material_id] = item
        else:
            merged[item.material_id] = replace(first, pct=first.pct + item.pct)
            repairs.append(f"merged duplicate lines of {item.material_id}")
    return list(merged.values())


def _fix_dose(formula: Formula, repairs: list[str]) -> Formula:
    klass = CONCENTRATIONS.get(formula.concentration)
    if klass is None:
        fitting = [c for c in CONCENTRATIONS.values() if c.contains(formula.dose_pct)]
        klass = fitting[0] if fitting else CONCENTRATIONS["edp"]
        repairs.append(f"unknown concentration {formula.concentration!r} set to {klass.slug}")
        formula = replace(formula, concentration=klass.slug)
    if not klass.contains(formula.dose_pct):
        finite = math.isfinite(formula.dose_pct)
        dose = klass.clamp(formula.dose_pct) if finite else klass.default_pct
        repairs.append(f"dose {formula.dose_pct:g} % moved into the {klass.slug} range: {dose:g} %")
        formula = replace(formula, dose_pct=dose)
    return formula


def _trim_count(items: list[Ingredient], rules: Rules, repairs: list[str]) -> list[Ingredient]:
    if len(items) <= rules.max_materials:
        return items
    ranked = sorted(items, key=lambda i: (-i.pct, i.material_id))
    dropped = ranked[rules.max_materials :]
    repairs.append(f"dropped the {len(dropped)} smallest materials to keep {rules.max_materials}")
    keep = {i.material_id for i in ranked[: rules.max_materials]}
    return [i for i in items if i.material_id in keep]


def _rebalance(
    items: list[Ingredient], amounts: dict[str, float], rules: Rules, repairs: list[str]
) -> dict[str, float]:
    total = math.fsum(amounts.values())
    shares = {p: 100.0 * math.fsum(amounts[i.material_id] for i in items if i.position == p) / total
              for p in POSITIONS}  # fmt: skip
    targets = rebalance_shares(shares, rules)
    if all(abs(targets[p] - shares[p]) < 0.01 for p in POSITIONS):
        return amounts
    by_position = {i.material_id: i.position for i in items}
    repairs.append("rebalanced pyramid " + ", ".join(
        f"{p} {shares[p]:.1f}->{targets[p]:.1f} %" for p in POSITIONS))  # fmt: skip
    return {m: 100.0 * pct / total * targets[by_position[m]] / shares[by_position[m]]
            for m, pct in amounts.items()}  # fmt: skip


def _reduce_ifra(
    amounts: dict[str, float],
    positions: dict[str, str],
    book: MaterialBook,
    dose: float,
    rules: Rules,
    repairs: list[str],
) -> dict[str, float]:
    """Scale down contributors of each over-limit substance to (1 - headroom) of its limit and
    give the freed share to materials that contribute to no over-limit substance, in the same
    pyramid position where possible (so a rebalanced pyramid stays balanced)."""
    start = _scaled(amounts)
    current = dict(start)
    for _ in range(MAX_IFRA_ROUNDS):
        over = _over_limit(current, book, dose, rules.ifra_headroom)
        if not over:
            break
        before = dict(current)
        contributors = {m for _, sources in over for m in sources}
        for factor, sources in over:
            for material_id in sources:
                current[material_id] = min(current[material_id], before[material_id] * factor)
        current = _refill(current, before, contributors, positions)
    for material_id in sorted(start):
        if current[material_id] < start[material_id] - 0.005:
            repairs.append(f"reduced {material_id} from {start[material_id]:.2f} to "
                           f"{current[material_id]:.2f} % for IFRA limits")  # fmt: skip
    return current


def _over_limit(
    amounts: dict[str, float], book: MaterialBook, dose: float, headroom: float
) -> list[tuple[float, set[str]]]:
    over = []
    for load in substance_loads(amounts, book).values():
        limit = limit_of(load)
        finished = load.finished_pct(dose)
        if limit is not None and finished > limit * (1 - 1e-9) and finished > 0:
            over.append((limit * (1 - headroom) / finished, set(load.sources)))
    return over


def _refill(
    amounts: dict[str, float],
    before: dict[str, float],
    frozen: set[str],
    positions: dict[str, str],
) -> dict[str, float]:
    """Hand each position's lost share to its unfrozen materials, the rest to any unfrozen."""
    out = dict(amounts)
    for position in POSITIONS:
        lost = math.fsum(before[m] - amounts[m] for m in amounts if positions[m] == position)
        free = [m for m in amounts if m not in frozen and positions[m] == position]
        _spread(out, free, lost)
    anywhere = [m for m in amounts if m not in frozen]
    _spread(out, anywhere, 100.0 - math.fsum(out.values()))
    return out


def _spread(amounts: dict[str, float], free: list[str], missing: float) -> None:
    mass = math.fsum(amounts[m] for m in free)
    if mass <= 0 or missing <= 1e-12:
        return
    for material_id in free:
        amounts[material_id] += missing * amounts[material_id] / mass


def _scaled(amounts: dict[str, float]) -> dict[str, float]:
    total = math.fsum(amounts.values())
    return {m: 100.0 * v / total for m, v in amounts.items()}


def _rounded(items: list[Ingredient], amounts: dict[str, float]) -> list[Ingredient]:
    kept = [i for i in items if amounts.get(i.material_id, 0.0) >= 0.005]
    pcts = to_hundred([amounts[i.material_id] for i in kept]) if kept else []
    return [replace(i, pct=p) for i, p in zip(kept, pcts, strict=True) if p > 0]
