"""The scientific validator: deterministic checks on a formula (DOMAIN.md §4.2).

``validate`` never answers valid by default: a check that raises turns the report invalid
with a ``validator_error`` violation. ``repair`` fixes what can be fixed and lists each fix.
"""

from __future__ import annotations

import math

from ml.recipe.concentration import CONCENTRATIONS
from ml.recipe.exposure import SubstanceLoad, formula_amounts, limit_of, substance_loads
from ml.recipe.findings import Finding, ValidationReport
from ml.recipe.formula import Formula
from ml.recipe.materials import POSITIONS, MaterialBook
from ml.recipe.remedy import repair_formula
from ml.recipe.rules import DEFAULT_RULES, Rules

__all__ = ["ValidationReport", "repair", "validate"]


def validate(
    formula: Formula, materials: MaterialBook, rules: Rules = DEFAULT_RULES
) -> ValidationReport:
    """Run every check; ``report.valid`` is true only if all ran and found no violation."""
    report = ValidationReport()
    try:
        _check_structure(formula, materials, rules, report)
        _check_dose(formula, report)
        _check_regulation(formula, materials, rules, report)
        _check_pyramid(formula, rules, report)
    except Exception as exc:  # a crashing check must never read as "valid"
        report.violations.append(Finding("validator_error", f"validator failed: {exc!r}"))
        report.valid = False
        return report
    report.valid = not report.violations
    return report


def repair(
    formula: Formula,
    materials: MaterialBook,
    rules: Rules = DEFAULT_RULES,
    *,
    rebalance: bool = False,
) -> tuple[Formula, list[str]]:
    """Fix what can be fixed: unknown or forbidden materials, the sum, dose, IFRA excess,
    material count above the maximum and, if ``rebalance``, the pyramid. Returns the new
    formula and one human-readable line per repair. Does not guarantee validity: call
    ``validate`` on the result."""
    return repair_formula(formula, materials, rules, rebalance=rebalance)


def _check_structure(
    formula: Formula, book: MaterialBook, rules: Rules, report: ValidationReport
) -> None:
    ids = [i.material_id for i in formula.ingredients]
    report.material_count = len(set(ids))
    total = formula.total_pct
    if abs(total - 100.0) > rules.sum_tolerance:
        report.violations.append(Finding("sum", f"percentages sum to {total:.4f}, not 100"))
    for ingredient in formula.ingredients:
        if not math.isfinite(ingredient.pct) or ingredient.pct <= 0:
            report.violations.append(Finding(
                "non_positive", f"{ingredient.material_id} has pct {ingredient.pct}",
                ingredient.material_id))  # fmt: skip
        if ingredient.material_id not in book:
            report.violations.append(Finding(
                "unknown_material", f"{ingredient.material_id!r} is not in the knowledge base",
                ingredient.material_id))  # fmt: skip
        elif ingredient.pct > rules.max_single_pct:
            report.warnings.append(Finding(
                "dominant_material", f"{ingredient.material_id} is {ingredient.pct:.2f} % "
                f"of the concentrate (> {rules.max_single_pct:g} %)", ingredient.material_id))
    if len(ids) != len(set(ids)):
        report.warnings.append(Finding("duplicate_material", "a material is listed twice"))
    if not rules.min_materials <= report.material_count <= rules.max_materials:
        report.violations.append(Finding(
            "material_count", f"{report.material_count} materials; allowed "
            f"{rules.min_materials}-{rules.max_materials}"))  # fmt: skip


def _check_dose(formula: Formula, report: ValidationReport) -> None:
    klass = CONCENTRATIONS.get(formula.concentration)
    if klass is None:
        report.violations.append(Finding(
            "concentration", f"unknown concentration {formula.concentration!r}"))
    elif not klass.contains(formula.dose_pct):
        report.violations.append(Finding(
            "dose", f"dose {formula.dose_pct:g} % outside {klass.slug} range "
            f"{klass.min_pct:g}-{klass.max_pct:g} %"))  # fmt: skip


def _check_regulation(
    formula: Formula, book: MaterialBook, rules: Rules, report: ValidationReport
) -> None:
    amounts = formula_amounts(formula)
    for material_id in amounts:
        material = book.get(material_id)
        if material is not None and material.forbidden:
            why = "banned in the EU" if material.eu_banned else "prohibited by IFRA"
            report.violations.append(Finding("prohibited", f"{material_id} is {why}", material_id))
        if material is not None and material.ifra and material.ifra.type == "specification":
            report.specifications.append(f"{material_id}: {material.ifra.note or 'IFRA spec'}")
    loads = substance_loads(amounts, book)
    for load in sorted(loads.values(), key=lambda x: x.key):
        _check_ifra(load, amounts, formula.dose_pct, rules, report)
        _check_allergen(load, formula.dose_pct, rules, report)


def _check_ifra(
    load: SubstanceLoad,
    amounts: dict[str, float],
    dose: float,
    rules: Rules,
    report: ValidationReport,
) -> None:
    limit = limit_of(load)
    if limit is None or (limit == 0 and load.key in amounts):
        return  # unrestricted, or a directly used forbidden material (already reported)
    finished = load.finished_pct(dose)
    headroom = 100.0 * (1 - finished / limit) if limit > 0 else (0.0 if finished else 100.0)
    report.ifra.append({
        "substance": load.key, "name": load.name, "finished_pct": round(finished, 6),
        "limit_pct": limit, "headroom_pct": round(headroom, 3),
        "sources": {k: round(v, 6) for k, v in sorted(load.sources.items())},
    })  # fmt: skip
    if finished > limit + 1e-9:
        report.violations.append(Finding(
            "ifra_limit", f"{load.name}: {finished:.4f} % in the finished product exceeds the "
            f"IFRA Cat {rules.ifra_category} limit {limit:g} %", load.key))  # fmt: skip
    elif headroom < 100.0 * rules.ifra_headroom:
        report.warnings.append(Finding(
            "ifra_headroom", f"{load.name}: only {headroom:.1f} % headroom to its limit",
            load.key))  # fmt: skip


def _check_allergen(
    load: SubstanceLoad, dose: float, rules: Rules, report: ValidationReport
) -> None:
    listing = load.allergen_list
    finished = load.finished_pct(dose)
    if listing and finished > rules.allergen_threshold_finished_pct:
        report.allergens.append({
            "substance": load.key, "name": load.name, "eu_list": listing,
            "finished_pct": round(finished, 6),
        })  # fmt: skip


def _check_pyramid(formula: Formula, rules: Rules, report: ValidationReport) -> None:
    total = formula.total_pct or 1.0
    for position in POSITIONS:
        share = 100.0 * formula.share(position) / total
        report.pyramid[position] = round(share, 2)
        low, high = rules.band(position)
        if not low <= share <= high:
            report.warnings.append(Finding(
                "pyramid", f"{position} is {share:.1f} % of the concentrate; "
                f"band {low:g}-{high:g} %", position))  # fmt: skip
