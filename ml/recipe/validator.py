"""The scientific validator: deterministic checks on a formula.

``validate`` never answers valid by default: a check that raises turns the report invalid
with a ``validator_error`` violation. ``repair`` fixes what can be fixed and lists each fix.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from ml.recipe.compliance import rulebook
from ml.recipe.concentration import CONCENTRATIONS
from ml.recipe.findings import Finding, ValidationReport
from ml.recipe.formula import Formula
from ml.recipe.materials import POSITIONS, MaterialBook
from ml.recipe.regulation import ProductContext, Regulation, category_slug, product_type_slug
from ml.recipe.remedy import repair_formula
from ml.recipe.rules import DEFAULT_RULES, Rules

__all__ = ["ValidationReport", "product_context", "read_materials", "repair", "validate"]

USE_TOLERANCE = 1e-9  # a typical use maximum is a plain number: only float noise is forgiven


def validate(
    formula: Formula,
    materials: MaterialBook,
    rules: Rules = DEFAULT_RULES,
    *,
    regulation: Regulation | None = None,
    detail: bool = True,
) -> ValidationReport:
    """Run every check; ``report.valid`` is true only if all ran and found no violation.

    ``regulation`` defaults to the shipped rule set (``ml/knowledge/regulation.json``); the
    formula's ``product_category`` and ``product_type`` choose the limits. ``detail=False``
    is the quick check a generator runs on its own output: the same verdict (``valid`` and
    the violations), without the rows of passing rules, labelling and headroom warnings."""
    report = ValidationReport()
    try:
        _check_structure(formula, materials, rules, report)
        _check_dose(formula, report)
        _check_regulation(formula, materials, rules, report, regulation, detail)
        _check_pyramid(formula, rules, report)
    except Exception as exc:  # a crashing check must never read as "valid"
        report.violations.append(Finding("validator_error", f"validator failed: {exc!r}"))
        report.valid = False
        return report
    report.valid = not report.violations
    return report


def read_materials(formula: Formula,
                   materials: MaterialBook) -> tuple[Formula, list[dict[str, str]]]:
    """The formula with each ingredient that names a material by its name, a synonym or a
    CAS number ("Iso E Super", "Bergamot oil", "ambroxan", "54464-57-2"), as perfumers write
    formulas, given that material's id; and one `{given, material_id, name}` per ingredient
    so read. An id, or a name no material has, stays as written (``validate`` reports it)."""
    read: list[dict[str, str]] = []
    ingredients = []
    for ingredient in formula.ingredients:
        fits = () if ingredient.material_id in materials else materials.read(
            ingredient.material_id)
        material = fits[0] if len(fits) == 1 else None
        if material is not None:
            read.append({"given": ingredient.material_id, "material_id": material.id,
                         "name": material.name})  # fmt: skip
            ingredient = replace(ingredient, material_id=material.id)
        ingredients.append(ingredient)
    return (replace(formula, ingredients=tuple(ingredients)) if read else formula), read


def repair(
    formula: Formula,
    materials: MaterialBook,
    rules: Rules = DEFAULT_RULES,
    *,
    rebalance: bool = False,
    regulation: Regulation | None = None,
) -> tuple[Formula, list[str]]:
    """Fix what can be fixed: unknown or forbidden materials, the sum, dose, limits (IFRA and
    EU, groups and sums included: restricted materials are reduced, FCF grades swapped in
    and the freed share spread over the same pyramid position, the dose lowered if needed),
    material count above the maximum and, if ``rebalance``, the pyramid. Returns the new
    formula and one human-readable line per repair. When no repair keeps the pyramid it says
    so and leaves the limits unrepaired rather than return a formula of another character;
    call ``validate`` on the result."""
    return repair_formula(formula, materials, rules, rebalance=rebalance, regulation=regulation)


def _unknown(given: str, book: MaterialBook) -> Finding:
    """An ingredient no material is: a name that fits several says which, so the sheet can
    name one (their limits differ: a check must not choose), else it is unknown."""
    fits = book.read(given)
    if len(fits) > 1:
        named = "; ".join(f"{m.id} ({m.name})" for m in fits[:MAX_NAMED_FITS])
        more = f" and {len(fits) - MAX_NAMED_FITS} more" if len(fits) > MAX_NAMED_FITS else ""
        return Finding("ambiguous_material", f"{given!r} names {len(fits)} materials: "
                       f"{named}{more}; write the one meant", given)
    return Finding("unknown_material", f"{given!r} is not in the knowledge base", given)


MAX_NAMED_FITS = 6


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
            report.violations.append(_unknown(ingredient.material_id, book))
    # a material listed twice is checked at its summed amount: two lines of 30 % are 60 %
    for material_id, pct in formula.amounts().items():
        if material_id in book:
            _check_use_level(material_id, pct, book, rules, report)
    for material_id, times in _repeated(ids).items():
        report.warnings.append(Finding(
            "duplicate_material", f"{material_id} is listed {_times(times)}; its lines "
            "count as one material of their summed amount", material_id))  # fmt: skip
    if not rules.min_materials <= report.material_count <= rules.max_materials:
        report.violations.append(Finding(
            "material_count", f"{report.material_count} materials; allowed "
            f"{rules.min_materials}-{rules.max_materials}"))  # fmt: skip


def _check_use_level(
    material_id: str, pct: float, book: MaterialBook, rules: Rules, report: ValidationReport
) -> None:
    """Warn about a material above ``max_single_pct`` or above the top of its typical use
    range: legal, but more than a perfumer would use (a trace material at 20 % swamps the
    formula). A warning, not a violation: the regulatory limits are the hard checks."""
    if pct > rules.max_single_pct:
        report.warnings.append(Finding(
            "dominant_material", f"{material_id} is {pct:.2f} % of the concentrate "
            f"(> {rules.max_single_pct:g} %)", material_id))  # fmt: skip
    material = book.get(material_id)
    use = None if material is None else material.typical_use_pct
    if material is None or use is None or pct <= use[1] + USE_TOLERANCE:
        return
    if material.forbidden:  # its prohibition or ban is the finding; any use is too much
        return
    if use[1] > 0:
        why = f"above its typical use of at most {use[1]:g} %"
    else:  # a typical use of 0: a material perfumers no longer use
        why = "a material that is not used in perfumery (typical use 0 %)"
    report.warnings.append(Finding(
        "above_typical_use", f"{material_id} is {pct:.2f} % of the concentrate, {why}",
        material_id))  # fmt: skip


def _repeated(ids: list[str]) -> dict[str, int]:
    """Material id -> how many times it is listed, for ids listed more than once."""
    counts: dict[str, int] = {}
    for material_id in ids:
        counts[material_id] = counts.get(material_id, 0) + 1
    return {m: n for m, n in counts.items() if n > 1}


def _times(count: int) -> str:
    return {2: "twice", 3: "three times"}.get(count, f"{count} times")


def _check_dose(formula: Formula, report: ValidationReport) -> None:
    klass = CONCENTRATIONS.get(formula.concentration)
    if klass is None:
        report.violations.append(Finding(
            "concentration", f"unknown concentration {formula.concentration!r}"))
    elif not klass.contains(formula.dose_pct):
        report.violations.append(Finding(
            "dose", f"dose {formula.dose_pct:g} % outside {klass.slug} range "
            f"{klass.min_pct:g}-{klass.max_pct:g} %"))  # fmt: skip


def product_context(formula: Formula) -> ProductContext:
    """The IFRA category and EU product type a formula is checked for; ``ValueError`` for
    a category or product type the knowledge base does not model."""
    return ProductContext(category_slug(formula.product_category),
                          product_type_slug(formula.product_type, formula.concentration))


def _check_regulation(
    formula: Formula,
    book: MaterialBook,
    rules: Rules,
    report: ValidationReport,
    regulation: Regulation | None,
    detail: bool = True,
) -> None:
    try:
        context = product_context(formula)
    except ValueError as exc:
        report.violations.append(Finding("product_context", str(exc)))
        return
    report.context = {**context.to_dict(), "concentration": formula.concentration,
                      "dose_pct": formula.dose_pct}  # fmt: skip
    if not math.isfinite(formula.dose_pct) or formula.dose_pct <= 0:
        report.violations.append(Finding(
            "regulation_unchecked", "the limits cannot be checked without a positive dose"))
        return
    compiled = rulebook(book, context, regulation)
    amounts = {m: pct for m, pct in formula.amounts().items()
               if m in book and math.isfinite(pct) and pct > 0}  # fmt: skip
    result = compiled.evaluate(amounts, formula.dose_pct, detail)
    report.verdict = result.rows
    report.requirements = result.requirements
    report.labelling = result.labelling
    report.specifications = [r["text"].removeprefix("REQUIREMENT ") for r in result.requirements]
    headroom = 100.0 * rules.ifra_headroom
    for row in result.rows:
        if row["status"] == "fail":
            for subject, message in _fail_subjects(row):
                report.violations.append(Finding(row["code"], message, subject))
        elif row.get("headroom_pct") is not None and row["headroom_pct"] < headroom:
            code = "eu_headroom" if row["authority"] == "EU" else "ifra_headroom"
            report.warnings.append(Finding(
                code, f"{row['title']}: only {row['headroom_pct']:.1f} % headroom to its limit "
                f"({row['standard']})", _subject(row)))  # fmt: skip
        if row["authority"] == "IFRA" and row["kind"] in ("limit", "group_limit"):
            report.ifra.append(_ifra_entry(row, result.loads, formula.dose_pct))
    report.allergens = [
        {"substance": r["substances"][0] if len(r["substances"]) == 1 else r["name"],
         "name": r["name"], "eu_list": r["eu_list"], "finished_pct": r["amount_pct"]}
        for r in result.labelling if r["label"]
    ]  # fmt: skip


def _subject(row: dict[str, Any]) -> str:
    members = row.get("members") or []
    if row["kind"] in ("limit", "prohibition") and len(members) == 1:
        return str(members[0]["substance"])
    return str(row["rule"])


def _fail_subjects(row: dict[str, Any]) -> list[tuple[str, str]]:
    if row["kind"] == "prohibition":
        why = row.get("note") or ""
        who = "banned in the EU" if row["authority"] == "EU" else "prohibited by IFRA"
        return [(m["substance"], f"{m['substance']} is {who} ({row['standard']})"
                 + (f": {why}" if why and row["rule"].endswith(":as-such") else ""))
                for m in row["members"]]  # fmt: skip
    return [(_subject(row), row["text"])]


def _ifra_entry(row: dict[str, Any], loads: dict[str, Any], dose: float) -> dict[str, Any]:
    members = row["members"]
    sources: dict[str, float] = {}
    for member in members:
        for material_id, pct in loads[member["substance"]].sources.items():
            sources[material_id] = sources.get(material_id, 0.0) + pct
    return {
        "substance": _subject(row), "name": row["title"], "rule": row["rule"],
        "standard": row["standard"], "finished_pct": row["amount"], "limit_pct": row["limit"],
        "headroom_pct": row["headroom_pct"],
        "sources": {k: round(v, 6) for k, v in sorted(sources.items())},
    }  # fmt: skip


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
