"""The formulator sweep: briefs x seeds over every family, intensity and concentration, each
formula checked by the validator and by an independent reference check of the rule set.

``make eval`` runs the full sweep (``python -m ml.recipe.sweep``, >= 2,000 formulas); the
test suite runs one seed per combination. The reference check recomputes every rule from the
raw data (material rows, constituents, ``regulation.json``) in the plainest way, without the
compiled tables the validator and the formulator share, so a compilation bug cannot hide
behind agreeing with itself.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ml.recipe.brief import INTENSITIES, WHEEL_FAMILIES, Brief
from ml.recipe.concentration import CONCENTRATIONS
from ml.recipe.formula import Formula
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.materials import MaterialBook, load_materials, normalise_term
from ml.recipe.regulation import Regulation, shipped_regulation
from ml.recipe.selection import core_families, odour_shares
from ml.recipe.validator import product_context, validate

# Plain family words that bring a sub-family (chypre, fougere, ...) on top of the 14 wheel
# families: every profile the formulator knows.
FAMILY_WORDS = ("chypre", "fougere", "gourmand", "leather", "aquatic", "musky", "spicy", "fresh")
FAMILIES = (*WHEEL_FAMILIES, *FAMILY_WORDS)
MOODS = ("", "romantic", "fresh", "sensual", "elegant", "mysterious", "calm", "bold")
SEASONS = (None, "spring", "summer", "autumn", "winter")
GENDERS = ("unisex", "feminine", "masculine")
FULL_SEEDS = 8  # 22 families x 3 intensities x 5 concentrations x 8 seeds = 2,640 briefs
RULE_CODES = frozenset({"ifra_limit", "ifra_group", "ifra_phototoxic", "eu_limit", "prohibited"})


def sweep_briefs(seeds: int, families: Sequence[str] = FAMILIES) -> list[Brief]:
    """Every family x intensity x concentration, ``seeds`` times, moods and seasons varied."""
    briefs = []
    combos = itertools.product(families, INTENSITIES, CONCENTRATIONS, range(seeds))
    for n, (family, intensity, concentration, seed) in enumerate(combos):
        briefs.append(Brief(family, mood=MOODS[n % len(MOODS)], intensity=intensity,
                            gender=GENDERS[n % len(GENDERS)], season=SEASONS[n % len(SEASONS)],
                            concentration=concentration, seed=seed))  # fmt: skip
    return briefs


@dataclass
class SweepReport:
    count: int = 0
    formulas: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # formulation errors by reason
    failures: Counter[str] = field(default_factory=Counter)  # validator: rule -> formulas
    reference_failures: Counter[str] = field(default_factory=Counter)  # reference check
    failed_formulas: int = 0
    by_family: dict[str, Counter[str]] = field(default_factory=dict)
    rules_checked: Counter[str] = field(default_factory=Counter)  # rule -> formulas touching
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed_formulas and not self.reference_failures


def run_sweep(
    briefs: Iterable[Brief], book: MaterialBook | None = None,
    regulation: Regulation | None = None,
) -> SweepReport:  # fmt: skip
    book = book if book is not None else load_materials()
    regulation = regulation if regulation is not None else shipped_regulation()
    formulator = Formulator(book, regulation=regulation)
    report = SweepReport()
    started = time.perf_counter()
    for brief in briefs:
        report.count += 1
        family = brief.subfamily or brief.fragrance_family
        tally = report.by_family.setdefault(family, Counter())
        tally["briefs"] += 1
        try:
            formula = formulator.formulate(brief)
        except FormulationError as exc:
            report.errors[str(exc)[:120]] += 1
            tally["errors"] += 1
            continue
        report.formulas += 1
        tally["led"] += _led_by_its_family(brief, formula, book)
        verdict = validate(formula, book, regulation=regulation)
        for row in verdict.verdict:
            report.rules_checked[row["rule"]] += 1
        failed = {row["rule"] for row in verdict.verdict if row["status"] == "fail"}
        failed |= {v.code for v in verdict.violations if v.code not in RULE_CODES}
        for rule in failed:
            report.failures[rule] += 1
        for rule in reference_failures(formula, book, regulation):
            report.reference_failures[rule] += 1
            failed.add(f"reference:{rule}")
        if failed:
            report.failed_formulas += 1
            tally["failed"] += 1
    report.seconds = time.perf_counter() - started
    return report


def _led_by_its_family(brief: Brief, formula: Formula, book: MaterialBook) -> bool:
    """Brief adherence: whether the odour family that makes most of the formula's odour
    (`odour_shares`) is one of the brief's core families."""
    shares = odour_shares([(material, i.pct) for i in formula.ingredients
                           if (material := book.get(i.material_id)) is not None])
    return max(shares, key=shares.__getitem__, default=None) in core_families(brief)


# ---- the reference check --------------------------------------------------------------
TOLERANCE = 1 + 1e-9


def reference_failures(formula: Formula, book: MaterialBook, regulation: Regulation) -> list[str]:
    """Every quantitative rule and prohibition recomputed from the raw data; the ids of the
    rules the formula breaks (empty when it complies)."""
    if any(i.material_id not in book for i in formula.ingredients):
        return ["unknown_material"]
    finished = _finished(formula, book, regulation)
    used = {i.material_id for i in formula.ingredients}
    failures, own = _material_standards(book, regulation, finished, used)
    failures += _regulation_rules(formula, book, regulation, finished, used, own)
    return sorted(set(failures))


def _key(book: MaterialBook, name: str) -> str:
    if name in book:
        return name
    material = book.resolve(name)
    return material.id if material is not None else "constituent:" + normalise_term(name)


def _finished(formula: Formula, book: MaterialBook, regulation: Regulation) -> dict[str, float]:
    """Substance -> % of the finished product, summed over every ingredient that carries it."""
    dose = formula.dose_pct / 100.0
    finished: dict[str, float] = {}
    for ingredient in formula.ingredients:
        material = book.get(ingredient.material_id)
        assert material is not None
        parts = [(material.id, 1.0)]
        parts += [(_key(book, n), high / 100.0) for n, (_, high) in material.constituents.items()
                  if _key(book, n) != material.id]  # fmt: skip
        parts += [(_key(book, c.substance), c.content_pct / 100.0)
                  for c in regulation.contributions if c.material == material.id]  # fmt: skip
        for substance, fraction in parts:
            finished[substance] = finished.get(substance, 0.0) + ingredient.pct * fraction * dose
    return finished


def _material_standards(
    book: MaterialBook, regulation: Regulation, finished: dict[str, float], used: set[str]
) -> tuple[list[str], dict[str, float]]:
    """Failures of the materials' own standards (one rule per standard, members summed) and
    of EU bans not listed in the regulation; and each material's own limit."""
    replaced = {r.source.standard for r in regulation.rules}
    replaced |= {s for r in regulation.rules for s in r.supersedes}
    standards: dict[tuple[str, str, float | None], list[str]] = {}
    for material in book:
        ifra = material.ifra
        if ifra is None or ifra.standard in replaced:
            continue
        limit = ifra.cat4_limit_pct if ifra.type == "restriction" else None
        standards.setdefault((ifra.type, ifra.standard or f"IFRA ({material.id})", limit),
                             []).append(material.id)  # fmt: skip
    listed = {m for r in regulation.rules if r.kind == "prohibition" and r.authority == "EU"
              for m in r.members}  # fmt: skip
    failures = [f"EU-banned:{m.id}" for m in book
                if m.eu_banned and m.id not in listed and m.id in used]  # fmt: skip
    own: dict[str, float] = {}
    for (kind, standard, limit), members in standards.items():
        total = math.fsum(finished.get(m, 0.0) for m in members)
        if kind == "prohibition" and total > 0:
            failures.append(f"{standard}:{'+'.join(members)}")
        elif kind == "restriction" and limit is not None:
            if len(members) == 1:
                own[members[0]] = limit
            if total > limit * TOLERANCE:
                failures.append(f"{standard}:{'+'.join(members)}")
    return failures, own


def _regulation_rules(
    formula: Formula, book: MaterialBook, regulation: Regulation, finished: dict[str, float],
    used: set[str], own: dict[str, float],
) -> list[str]:  # fmt: skip
    context = product_context(formula)
    for rule in regulation.rules:
        if rule.kind == "limit" and rule.authority == "IFRA" and len(rule.members) == 1:
            value = rule.limit_for(context)
            if value:
                own[_key(book, rule.members[0])] = value
    failures = []
    for rule in regulation.rules:
        members = list(dict.fromkeys(_key(book, m) for m in rule.members))
        limit = rule.limit_for(context)
        if rule.kind == "prohibition":
            present = [m for m in members if m in used
                       or (rule.scope == "any" and finished.get(m, 0.0) > 0)]  # fmt: skip
            failed = bool(present)
        elif rule.kind == "limit":
            if rule.natural_only and any(m in used for m in members):
                failures.append(f"{rule.id}:as-such")
            total = math.fsum(finished.get(m, 0.0) for m in members)
            failed = limit is not None and total > limit * TOLERANCE
        elif rule.kind == "phototoxic_sum":
            total = math.fsum(finished.get(m, 0.0) / own[m] for m in members if m in own)
            failed = total > (limit or 1.0) * TOLERANCE
        else:
            failed = False
        if failed:
            failures.append(rule.id)
    return failures


# ---- the report ---------------------------------------------------------------------------
def format_sweep(report: SweepReport) -> str:
    lines = [
        f"formulator sweep: {report.count} briefs ({len(report.by_family)} families x "
        f"{len(INTENSITIES)} intensities x {len(CONCENTRATIONS)} concentrations x seeds), "
        f"{report.formulas} formulas, {report.seconds:.1f} s",
        f"  formulas failing any modelled rule: {report.failed_formulas}",
        f"  formulation errors (no formula):    {sum(report.errors.values())}",
        f"  formulas led by their family's own odour families: {_led(report)}",
        "",
        f"{'family':<16} {'briefs':>6} {'formulas':>8} {'failed':>6} {'errors':>6} "
        f"{'led':>6}",
    ]
    for family in sorted(report.by_family):
        t = report.by_family[family]
        lines.append(f"{family:<16} {t['briefs']:>6} {t['briefs'] - t['errors']:>8} "
                     f"{t['failed']:>6} {t['errors']:>6} {t['led']:>6}")  # fmt: skip
    lines += ["", f"{'rule (failures by rule)':<44} {'touched':>7} {'failed':>6} {'ref.':>5}"]
    rules = sorted(set(report.rules_checked) | set(report.failures)
                   | set(report.reference_failures))  # fmt: skip
    for rule in rules:
        lines.append(f"{rule[:44]:<44} {report.rules_checked[rule]:>7} "
                     f"{report.failures[rule]:>6} {report.reference_failures[rule]:>5}")
    for reason, n in report.errors.most_common(10):
        lines.append(f"error x{n}: {reason}")
    return "\n".join(lines)


def _led(report: SweepReport) -> str:
    led = sum(t["led"] for t in report.by_family.values())
    return f"{led} ({led / report.formulas:.0%})" if report.formulas else "0"


def to_dict(report: SweepReport) -> dict[str, Any]:
    return {"count": report.count, "formulas": report.formulas,
            "led_by_family": {f: t["led"] for f, t in sorted(report.by_family.items())},
            "failed_formulas": report.failed_formulas, "errors": dict(report.errors),
            "failures_by_rule": dict(report.failures),
            "reference_failures_by_rule": dict(report.reference_failures),
            "rules_touched": dict(report.rules_checked), "seconds": report.seconds}  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml.recipe.sweep", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=FULL_SEEDS)
    parser.add_argument("--json", action="store_true", help="the report as one JSON object")
    args = parser.parse_args(argv)
    report = run_sweep(sweep_briefs(args.seeds))
    print(json.dumps(to_dict(report)) if args.json else format_sweep(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
