"""retrieve -> generate -> repair -> validate, for a batch of briefs.

Every brief gets one ``RecipeOutcome``. An outcome is ``succeeded`` only when its final
formula passes ``validate``; otherwise it is ``failed`` with the error or the violations
that repair could not remove.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ml.recipe.brief import Brief, brief_notes
from ml.recipe.findings import Finding, ValidationReport
from ml.recipe.formula import Formula
from ml.recipe.generator import GenerationOutcome, Generator, References
from ml.recipe.materials import Material, MaterialBook
from ml.recipe.naming import describe_formula
from ml.recipe.regulation import Regulation
from ml.recipe.rules import DEFAULT_RULES, Rules
from ml.recipe.selection import (
    excluded_family_notes,
    exclusion_notes,
    faint_core_notes,
    off_profile_notes,
    unmet_notes,
)
from ml.recipe.validator import repair, validate

Retrieve = Callable[[Sequence[Brief]], Sequence[References]]


@dataclass
class RecipeOutcome:
    status: str  # "succeeded" | "failed"
    brief: Brief
    backend: str
    model_version: str
    formula: Formula | None = None
    report: ValidationReport | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def violations(self) -> list[Finding]:
        return [] if self.report is None else list(self.report.violations)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: only str, int, float, bool, None, lists and dicts."""
        return {
            "status": self.status,
            "brief": self.brief.to_dict(),
            "backend": self.backend,
            "model_version": self.model_version,
            "formula": None if self.formula is None else self.formula.to_dict(),
            "validation": None if self.report is None else self.report.to_dict(),
            "repairs": [] if self.report is None else list(self.report.repairs),
            "error": self.error,
            "notes": list(self.notes),
        }


class RecipePipeline:
    def __init__(
        self,
        generator: Generator,
        materials: MaterialBook,
        retrieve: Retrieve | None = None,
        *,
        rules: Rules = DEFAULT_RULES,
        rebalance: bool = True,
        regulation: Regulation | None = None,
    ) -> None:
        self.generator = generator
        self.materials = materials
        self.retrieve = retrieve
        self.rules = rules
        self.rebalance = rebalance
        self.regulation = regulation  # None: the shipped rule set

    def run(self, brief: Brief) -> RecipeOutcome:
        return self.run_many([brief])[0]

    def run_many(self, briefs: Sequence[Brief]) -> list[RecipeOutcome]:
        """One outcome per brief, in order. Never raises for a bad item."""
        briefs = list(briefs)
        if not briefs:
            return []
        references, notes = self._references(briefs)
        try:
            outcomes = self.generator.generate(briefs, references)
            if len(outcomes) != len(briefs):
                raise RuntimeError(f"generator returned {len(outcomes)} outcomes for {len(briefs)}")
        except Exception as exc:  # the whole back end failed: every item fails with the reason
            outcomes = [GenerationOutcome(error=f"{type(exc).__name__}: {exc}")] * len(briefs)
        return [self._finish(b, o, list(notes)) for b, o in zip(briefs, outcomes, strict=True)]

    def _references(self, briefs: list[Brief]) -> tuple[list[References], list[str]]:
        if self.retrieve is None:
            return [() for _ in briefs], []
        try:
            found = list(self.retrieve(briefs))
            if len(found) != len(briefs):
                raise RuntimeError(f"{len(found)} reference lists for {len(briefs)} briefs")
            return found, []
        except Exception as exc:  # retrieval is an aid: generate without it and say so
            return [() for _ in briefs], [f"retrieval failed, generated without references: {exc}"]

    def _finish(self, brief: Brief, outcome: GenerationOutcome, notes: list[str]) -> RecipeOutcome:
        result = RecipeOutcome("failed", brief, self.generator.name,
                               self.generator.model_version, notes=notes)  # fmt: skip
        result.notes += brief_notes(brief)
        result.notes += exclusion_notes(brief)
        result.notes += excluded_family_notes(brief, self._usable())
        if outcome.formula is None:
            result.error = outcome.error
            return result
        context = brief.product_context  # the brief's product, whatever the back end said
        formula = replace(outcome.formula, product_category=context.category,
                          product_type=context.product_type)
        result.formula, result.report = self._checked(formula)
        if _material_ids(result.formula) != _material_ids(formula):  # repair removed or swapped
            result.formula = replace(result.formula,
                                     description=describe_formula(brief, result.formula,
                                                                  self.materials))
        result.notes += self._unmet_notes(brief, result.formula)
        lines = self._lines(result.formula)
        result.notes += off_profile_notes(brief, lines) or faint_core_notes(brief, lines)
        if result.report.valid:
            result.status = "succeeded"
        else:
            reasons = "; ".join(f.message for f in result.report.violations)
            unrepaired = [r for r in result.report.repairs if r.startswith("no repair")]
            result.error = f"unrepairable violations: {reasons}" + (
                f" ({'; '.join(unrepaired)})" if unrepaired else "")
        return result

    def _unmet_notes(self, brief: Brief, formula: Formula) -> list[str]:
        """Whatever back end wrote the formula, say which requested notes it does not hold."""
        if not brief.notes_include and not brief.mood_notes:
            return []
        present = [material for material, _ in self._lines(formula)]
        return unmet_notes(brief, present, self._usable(),
                           [m for m in self.materials if m.forbidden])

    def _lines(self, formula: Formula) -> list[tuple[Material, float]]:
        """The formula's known materials with their % of the concentrate."""
        return [(material, ingredient.pct) for ingredient in formula.ingredients
                if (material := self.materials.get(ingredient.material_id)) is not None]

    def _usable(self) -> list[Material]:
        return [m for m in self.materials if not m.forbidden]

    def _checked(self, formula: Formula) -> tuple[Formula, ValidationReport]:
        first = validate(formula, self.materials, self.rules, regulation=self.regulation)
        needs_rebalance = self.rebalance and any(w.code == "pyramid" for w in first.warnings)
        if first.valid and not needs_rebalance:
            return formula, first
        fixed, repairs = repair(formula, self.materials, self.rules, rebalance=self.rebalance,
                                regulation=self.regulation)  # fmt: skip
        report = validate(fixed, self.materials, self.rules, regulation=self.regulation)
        report.repairs = repairs
        return fixed, report


def _material_ids(formula: Formula) -> set[str]:
    return {ingredient.material_id for ingredient in formula.ingredients}
