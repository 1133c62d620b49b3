"""The generator seam: a batch of briefs in, one outcome per brief out.

A failing item never fails the batch: its outcome carries the error instead of a formula.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from ml.recipe.brief import Brief
from ml.recipe.formula import Formula
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.materials import MaterialBook
from ml.recipe.regulation import Regulation
from ml.recipe.rules import DEFAULT_RULES, Rules

References = Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class GenerationOutcome:
    """Exactly one of ``formula`` and ``error`` is set."""

    formula: Formula | None = None
    error: str | None = None
    raw: str | None = None  # model output, for LLM back ends

    def __post_init__(self) -> None:
        if (self.formula is None) == (self.error is None):
            raise ValueError("GenerationOutcome: set exactly one of formula and error")

    @property
    def ok(self) -> bool:
        return self.formula is not None


@runtime_checkable
class Generator(Protocol):
    """A recipe back end. ``name`` and ``model_version`` identify it in results."""

    name: str
    model_version: str

    def generate(
        self, briefs: Sequence[Brief], references: Sequence[References]
    ) -> list[GenerationOutcome]:
        """One outcome per brief, in order; ``references[i]`` belongs to ``briefs[i]``."""
        ...


def references_for(references: Sequence[References], count: int) -> list[References]:
    """Pad or check the per-brief references list (empty means no references at all)."""
    if not references:
        return [() for _ in range(count)]
    if len(references) != count:
        raise ValueError(f"references: expected {count} lists, got {len(references)}")
    return list(references)


class FormulatorGenerator:
    """The built-in CPU back end behind the ``Generator`` protocol."""

    name = "formulator"

    def __init__(
        self, materials: MaterialBook, rules: Rules = DEFAULT_RULES,
        regulation: Regulation | None = None,
    ) -> None:  # fmt: skip
        self._formulator = Formulator(materials, rules, regulation)
        self.model_version = self._formulator.version

    def generate(
        self, briefs: Sequence[Brief], references: Sequence[References] = ()
    ) -> list[GenerationOutcome]:
        outcomes = []
        for brief, refs in zip(briefs, references_for(references, len(briefs)), strict=True):
            try:
                outcomes.append(GenerationOutcome(self._formulator.formulate(brief, refs)))
            except FormulationError as exc:  # the brief's own reason, without a class name
                outcomes.append(GenerationOutcome(error=str(exc)))
            except Exception as exc:  # one bad item must not fail the batch
                outcomes.append(GenerationOutcome(error=f"{type(exc).__name__}: {exc}"))
        return outcomes
