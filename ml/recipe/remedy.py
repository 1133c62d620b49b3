"""Repairs for formulas that fail validation. Each step returns the lines it reports.

Limits are repaired so the formula keeps its character: the restricted material goes down
to its cap (with headroom), a safer grade is swapped in where the rule set names one (FCF
bergamot for expressed bergamot), and the freed share is spread over the other materials of
the same pyramid position in proportion to their amounts, each only up to its own caps, so no
other material and no group or additive rule is pushed over its limit. When a position cannot
carry its share within the limits, the dose is lowered within the concentration's range; when
that is not enough either, the repair says so and leaves the formula's limits unrepaired
rather than change its pyramid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ml.recipe.compliance import RuleBook, rulebook
from ml.recipe.concentration import CONCENTRATIONS, ConcentrationClass
from ml.recipe.dosing import SAFETY, water_fill
from ml.recipe.formula import Formula, Ingredient
from ml.recipe.materials import POSITIONS, MaterialBook
from ml.recipe.proportions import to_hundred
from ml.recipe.pyramid import rebalance_shares
from ml.recipe.regulation import (
    ProductContext,
    Regulation,
    category_slug,
    product_type_slug,
)
from ml.recipe.rules import Rules

MAX_ROUNDS = 60
DOSE_STEPS = 8  # doses tried between the current one and the class minimum
GROWTH = 1.5  # in a repair no material grows beyond 1.5 x its amount


class NoRepair(ValueError):
    """No repair keeps the pyramid (the message says which position cannot carry its share)."""


def repair_formula(
    formula: Formula, book: MaterialBook, rules: Rules, *, rebalance: bool,
    regulation: Regulation | None = None,
) -> tuple[Formula, list[str]]:  # fmt: skip
    repairs: list[str] = []
    dose_repairs: list[str] = []  # reported after the material repairs, as they always were
    formula = _fix_dose(formula, dose_repairs)  # the product type may follow the class
    compiled = _compiled(formula, book, regulation, repairs)
    if compiled is not None:  # the repaired formula says which product it was repaired for
        formula = replace(formula, product_type=compiled.context.product_type)
    items = _drop_unusable(list(formula.ingredients), book, compiled, repairs)
    items = _merge_duplicates(items, repairs)
    repairs += dose_repairs
    items = _trim_count(items, rules, repairs)
    if not items:
        return formula.with_ingredients(()), repairs
    total = math.fsum(i.pct for i in items)
    if abs(total - 100.0) > rules.sum_tolerance:
        repairs.append(f"normalised percentages from a total of {total:.4f} to 100")
    amounts = {i.material_id: i.pct for i in items}
    if rebalance:
        amounts = _rebalance(items, amounts, rules, repairs)
    amounts = _scaled(amounts)
    if compiled is not None:
        positions = {i.material_id: i.position for i in items}
        klass = CONCENTRATIONS.get(formula.concentration)
        try:
            fit = fit_limits(amounts, positions, compiled, formula.dose_pct, rules, repairs,
                             klass)  # fmt: skip
        except NoRepair as exc:
            repairs.append(f"no repair keeps the pyramid: {exc}; the limits were left "
                           "unrepaired")  # fmt: skip
        else:
            items = [_swapped(i, fit.swaps, book) for i in items]
            amounts = fit.amounts
            formula = replace(formula, dose_pct=fit.dose)
    return formula.with_ingredients(_rounded(items, amounts)), repairs


def _compiled(formula: Formula, book: MaterialBook, regulation: Regulation | None,
              repairs: list[str]) -> RuleBook | None:  # fmt: skip
    try:
        context = ProductContext(category_slug(formula.product_category),
                                 product_type_slug(formula.product_type, formula.concentration))
    except ValueError as exc:
        repairs.append(f"limits not repaired: {exc}")
        return None
    return rulebook(book, context, regulation)


def _swapped(item: Ingredient, swaps: Mapping[str, str], book: MaterialBook) -> Ingredient:
    """The ingredient line, for the grade it was swapped to if it was."""
    grade = swaps.get(item.material_id)
    material = None if grade is None else book.get(grade)
    if material is None:
        return item
    return replace(item, material_id=material.id, name=material.name)


def _drop_unusable(
    items: list[Ingredient], book: MaterialBook, compiled: RuleBook | None, repairs: list[str]
) -> list[Ingredient]:
    kept = []
    for item in items:
        material = book.get(item.material_id)
        fits = book.read(item.material_id) if material is None else ()
        if fits:  # a name that fits several: the first, said, rather than none
            repairs.append(f"read {item.material_id!r} as {fits[0].id}, the first of the "
                           f"{len(fits)} materials it names")
            material, item = fits[0], replace(item, material_id=fits[0].id)
        why = "" if compiled is None else compiled.unusable.get(item.material_id, "")
        if material is None:
            repairs.append(f"removed unknown material {item.material_id!r}")
        elif material.forbidden or why:
            repairs.append(f"removed prohibited material {item.material_id}"
                           + (f" ({why})" if why else ""))  # fmt: skip
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


@dataclass
class Fit:
    amounts: dict[str, float]
    dose: float
    swaps: dict[str, str] = field(default_factory=dict)  # material id -> grade swapped in


def fit_limits(
    amounts: dict[str, float], positions: dict[str, str], compiled: RuleBook, dose: float,
    rules: Rules, repairs: list[str], klass: ConcentrationClass | None = None,
) -> Fit:  # fmt: skip
    """Bring every rule back under its headroom line, keeping each position's share.

    Nothing changes when no rule is over its limit. Otherwise safer grades are swapped in
    first, then the formula is re-dosed (trying lower doses down to ``klass``'s minimum).
    Raises ``NoRepair`` when no dose lets every position carry its share within the limits."""
    if not compiled.excess(amounts, dose, 0.0):
        return Fit(amounts, dose)
    amounts, positions, swaps = _swap_grades(amounts, positions, compiled, dose, repairs)
    if not compiled.excess(amounts, dose, 0.0):
        return Fit(amounts, dose, swaps)
    shares = {p: math.fsum(v for m, v in amounts.items() if positions[m] == p) for p in POSITIONS}
    problem = ""
    # in order: no material raised past its usual level or the dominant line (the freed
    # share pushed Iso E Super from 40 to 41.6 % and bergamot FCF from 20 to 23 %), at this
    # or a lower dose; then a position's share moved to another within the bands; only then
    # a material raised past its usual level, as far as the limits allow, said in `repairs`
    for (usual, shift), trial in itertools.product(
            ((True, False), (True, True), (False, False)), _doses(dose, klass)):
        try:
            fitted = _proportional(amounts, positions, shares, compiled, trial, rules, usual,
                                   shift)
        except NoRepair as exc:
            problem = str(exc)  # the last, at the lowest dose tried
            continue
        if trial != dose:
            repairs.append(f"lowered the dose from {dose:g} to {trial:g} % of the finished "
                           "product so the limited materials keep their share")  # fmt: skip
        _report_moves(amounts, fitted, positions, repairs)
        now = {p: math.fsum(v for m, v in fitted.items() if positions[m] == p)
               for p in POSITIONS}
        if moved := [f"{p} {shares[p]:.2f}->{now[p]:.2f} %" for p in POSITIONS
                     if abs(now[p] - shares[p]) >= 0.01]:
            repairs.append("moved the freed share between pyramid positions, each within "
                           "its band, as no material of its own position could take it below "
                           f"its usual level: {', '.join(moved)}")
        if not usual:
            raised = sorted(m for m, pct in fitted.items()
                            if pct > max(amounts.get(m, 0.0), _usual_top(m, compiled, rules)))
            repairs.append(f"raised {', '.join(raised)} past their usual level to keep the "
                           "pyramid: the position's other materials could not take the "
                           "freed share")
        return Fit(fitted, trial, swaps)
    lowest = _doses(dose, klass)[-1]
    raise NoRepair(f"{problem or 'the limits cannot be met'} (even at a dose of {lowest:g} %)")


def _doses(dose: float, klass: ConcentrationClass | None) -> list[float]:
    if klass is None or dose <= klass.min_pct:
        return [dose]
    step = (dose - klass.min_pct) / DOSE_STEPS
    return [dose] + [round(dose - step * k, 2) for k in range(1, DOSE_STEPS + 1)]


def _swap_grades(
    amounts: dict[str, float], positions: dict[str, str], compiled: RuleBook, dose: float,
    repairs: list[str],
) -> tuple[dict[str, float], dict[str, str], dict[str, str]]:  # fmt: skip
    """Swap a material for its safer grade when it contributes to a rule over its limit and
    the grade is not already in the formula."""
    over = {m for _, contributors in compiled.excess(amounts, dose, 0.0) for m in contributors}
    swaps: dict[str, str] = {}
    for material_id in sorted(over):
        grade = compiled.grades.get(material_id)
        if grade is None or grade in amounts:
            continue
        amounts = {(grade if m == material_id else m): v for m, v in amounts.items()}
        positions = {(grade if m == material_id else m): p for m, p in positions.items()}
        swaps[material_id] = grade
        repairs.append(f"swapped {material_id} for its {compiled.name(grade)} grade "
                       f"({grade}), which the phototoxicity limits do not restrict")  # fmt: skip
    return amounts, positions, swaps


def _usual_top(material_id: str, compiled: RuleBook, rules: Rules) -> float:
    """The most a repair raises a material to: the top of its typical use range, at most
    the dominant line (`Rules.max_single_pct`)."""
    material = compiled.book.get(material_id)
    use = material.typical_use_pct if material is not None else None
    return min(use[1], rules.max_single_pct) if use else rules.max_single_pct


def _proportional(
    amounts: Mapping[str, float], positions: Mapping[str, str], shares: Mapping[str, float],
    compiled: RuleBook, dose: float, rules: Rules, usual: bool = False, shift: bool = False,
) -> dict[str, float]:  # fmt: skip
    """Per position ``x_i = min(lam * current_i, cap_i)`` summing to the position's share.

    ``cap_i`` is the material's own cap under every rule (with headroom), at most
    ``GROWTH`` x its current amount (the others take up the freed share, none changes
    beyond recognition) and, if ``usual``, at most the larger of its current amount and
    `_usual_top`; if ``shift``, a share its position cannot carry so moves to another
    (`_within_bands`). For a rule several materials share, the contributor that weighs
    most on it per % is lowered until the rule is under its line, round after round (the
    cheapest way to meet one linear limit); the result is rounded to 0.01 without crossing a
    limit. Raises ``NoRepair`` when a position cannot carry its
    share."""
    caps = {}
    for material_id, pct in amounts.items():
        cap = min(compiled.cap(material_id, dose, rules.ifra_headroom, SAFETY), pct * GROWTH)
        if usual:
            cap = min(cap, max(pct, _usual_top(material_id, compiled, rules)))
        caps[material_id] = cap
    for _ in range(MAX_ROUNDS):
        wanted = _within_bands(shares, positions, caps, rules) if shift else shares
        fitted = _fill(amounts, positions, wanted, caps)
        rounded = _to_cents(fitted)
        over = compiled.contributions(rounded, dose, rules.ifra_headroom, 1.0)
        if not over:
            return rounded
        for _rule, total, target, parts in over:
            # the material that weighs most on the rule per % of the concentrate goes first
            material_id = max(parts, key=lambda m: (parts[m] / rounded[m], m))
            per_pct = parts[material_id] / rounded[material_id]
            lowered = rounded[material_id] - (total - target) / per_pct
            caps[material_id] = min(caps[material_id], max(0.0, lowered) * 0.995)
    raise NoRepair("the limits shared between materials could not be met")


def _within_bands(shares: Mapping[str, float], positions: Mapping[str, str],
                  caps: Mapping[str, float], rules: Rules) -> dict[str, float]:
    """The positions' shares, moved where a position's materials cannot carry its share
    within their caps: the rest goes to the positions with room, each share kept in its
    pyramid band (`Rules.band`). Unchanged when every position can carry its own."""
    room = {p: math.fsum(caps[m] for m in positions if positions[m] == p) for p in POSITIONS}
    moved = {p: min(shares.get(p, 0.0), room[p]) for p in POSITIONS}
    left = math.fsum(shares.values()) - math.fsum(moved.values())
    if left <= 1e-9:
        return dict(shares)
    for position in POSITIONS:
        if moved[position] < rules.band(position)[0] and shares.get(position, 0.0) > 0:
            return dict(shares)  # a position under its band: the caps cannot keep this
    for position in sorted(POSITIONS, key=lambda p: moved[p] - room[p]):
        take = min(left, room[position] - moved[position],
                   rules.band(position)[1] - moved[position])
        if take > 0:
            moved[position] += take
            left -= take
    return moved if left <= 1e-9 else dict(shares)


def _fill(
    amounts: Mapping[str, float], positions: Mapping[str, str], shares: Mapping[str, float],
    caps: Mapping[str, float],
) -> dict[str, float]:  # fmt: skip
    out: dict[str, float] = {}
    for position in POSITIONS:
        members = [m for m in amounts if positions[m] == position]
        share = shares.get(position, 0.0)
        if not members or share <= 0:
            out.update(dict.fromkeys(members, 0.0))
            continue
        capacity = math.fsum(caps[m] for m in members)
        if capacity < share - 1e-9:
            raise NoRepair(f"the {position} materials can carry at most {capacity:.2f} % of "
                           f"the concentrate within their limits, the pyramid needs "
                           f"{share:.2f} %")  # fmt: skip
        values = water_fill([amounts[m] for m in members],
                            [(0.0, caps[m]) for m in members], share)  # fmt: skip
        out.update(zip(members, values, strict=True))
    return out


def _to_cents(amounts: Mapping[str, float]) -> dict[str, float]:
    keys = [m for m, v in amounts.items() if v > 0]
    return dict(zip(keys, to_hundred([amounts[m] for m in keys]), strict=True)) if keys else {}


def _report_moves(before: Mapping[str, float], after: Mapping[str, float],
                  positions: Mapping[str, str], repairs: list[str]) -> None:  # fmt: skip
    raised: dict[str, list[str]] = {}
    for material_id in sorted(set(before) | set(after)):
        old, new = before.get(material_id, 0.0), after.get(material_id, 0.0)
        if new < old - 0.005:
            repairs.append(f"reduced {material_id} from {old:.2f} to {new:.2f} % to meet its "
                           "limits with headroom")  # fmt: skip
        elif new > old + 0.005:
            raised.setdefault(positions[material_id], []).append(
                f"{material_id} {old:.2f}->{new:.2f} %")
    for position in POSITIONS:
        if position in raised:
            repairs.append(f"spread the freed share over the other {position} materials, "
                           f"each within its own limits: {', '.join(raised[position])}")


def _scaled(amounts: dict[str, float]) -> dict[str, float]:
    total = math.fsum(amounts.values())
    return {m: 100.0 * v / total for m, v in amounts.items()}


def _rounded(items: list[Ingredient], amounts: dict[str, float]) -> list[Ingredient]:
    kept = [i for i in items if amounts.get(i.material_id, 0.0) >= 0.005]
    values = [amounts[i.material_id] for i in kept]
    cents = all(abs(v * 100 - round(v * 100)) < 1e-6 for v in values)
    if kept and cents and round(math.fsum(values) * 100) == 10000:
        pcts = [round(v, 2) for v in values]  # already exact hundredths: keep them
    else:
        pcts = to_hundred(values) if kept else []
    return [replace(i, pct=p) for i, p in zip(kept, pcts, strict=True) if p > 0]
