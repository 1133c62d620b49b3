from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from ml.recipe.brief import Brief
from ml.recipe.formula import Formula
from ml.recipe.generator import FormulatorGenerator, GenerationOutcome, Generator, References
from ml.recipe.pipeline import RecipePipeline

try:
    from recipe_fixtures import BALANCED, fixture_book, make_formula
except ImportError:  # tests/ml imported as a package
    from tests.ml.recipe_fixtures import BALANCED, fixture_book, make_formula

pytestmark = pytest.mark.unit

BOOK = fixture_book()


class ScriptedGenerator:
    """A fake back end answering from a script keyed by the brief's seed."""

    name = "scripted"
    model_version = "test-1"

    def __init__(self, script: dict[int, Formula | str]) -> None:
        self.script = script
        self.calls: list[tuple[list[Brief], list[References]]] = []

    def generate(
        self, briefs: Sequence[Brief], references: Sequence[References]
    ) -> list[GenerationOutcome]:
        self.calls.append((list(briefs), list(references)))
        outcomes = []
        for brief in briefs:
            item = self.script[brief.seed]
            outcomes.append(GenerationOutcome(error=item) if isinstance(item, str)
                            else GenerationOutcome(item))  # fmt: skip
        return outcomes


def test_generators_satisfy_the_protocol() -> None:
    assert isinstance(FormulatorGenerator(BOOK), Generator)
    assert isinstance(ScriptedGenerator({}), Generator)


def test_formulator_batch_isolates_a_failing_item() -> None:
    generator = FormulatorGenerator(BOOK)
    everything = ["citrus", "floral", "aromatic", "spicy", "green", "aquatic", "aldehydic",
                  "powdery", "herbal", "gourmand", "woody", "musky", "amber", "balsamic",
                  "mossy", "earthy", "leather", "smoky"]  # fmt: skip
    briefs = [Brief("floral", seed=1), Brief("woody", notes_exclude=everything),
              Brief("citrus", seed=2)]  # fmt: skip
    outcomes = generator.generate(briefs, [])
    assert [o.ok for o in outcomes] == [True, False, True]
    # the brief's reason, without the Python class name it read "FormulationError: ..."
    assert outcomes[1].error and outcomes[1].error.startswith("only 0 usable materials")


def test_pipeline_runs_a_batch_with_one_retrieval_call() -> None:
    seen: list[list[Brief]] = []

    def retrieve(briefs: Sequence[Brief]) -> list[list[dict]]:
        seen.append(list(briefs))
        return [[{"top_notes": ["bergamot"], "heart_notes": [], "base_notes": ["vetiver"]}]
                for _ in briefs]  # fmt: skip

    pipeline = RecipePipeline(FormulatorGenerator(BOOK), BOOK, retrieve)
    briefs = [Brief(f, seed=s) for s, f in enumerate(["floral", "amber", "fresh", "chypre"])]
    outcomes = pipeline.run_many(briefs)
    assert len(seen) == 1 and seen[0] == briefs
    assert [o.status for o in outcomes] == ["succeeded"] * 4
    for outcome in outcomes:
        data = json.loads(json.dumps(outcome.to_dict()))
        assert data["backend"] == "formulator" and data["model_version"] == "formulator-4"
        assert data["validation"]["valid"] is True and data["formula"]["ingredients"]


def test_pipeline_repairs_fails_and_passes_errors_through() -> None:
    overdosed = make_formula([("bergamot-oil", 6.0, "top"), *BALANCED[2:],
                              ("lilial", 6.0, "heart")])  # fmt: skip
    tiny = make_formula([("hedione", 60.0, "heart"), ("iso-e-super", 40.0, "base")])
    generator = ScriptedGenerator({0: make_formula(BALANCED), 1: overdosed, 2: tiny,
                                   3: "model timed out"})  # fmt: skip
    pipeline = RecipePipeline(generator, BOOK)
    ok, repaired, unrepairable, errored = pipeline.run_many([Brief("floral", seed=s)
                                                             for s in range(4)])  # fmt: skip
    assert ok.status == "succeeded" and ok.report is not None and ok.report.repairs == []
    assert repaired.status == "succeeded" and repaired.report is not None
    assert any("lilial" in r for r in repaired.report.repairs)
    assert any("bergamot-oil" in r for r in repaired.report.repairs)
    assert unrepairable.status == "failed"
    assert {f.code for f in unrepairable.violations} == {"material_count"}
    assert unrepairable.to_dict()["validation"]["violations"][0]["code"] == "material_count"
    assert errored.status == "failed" and errored.error == "model timed out"
    assert errored.to_dict()["formula"] is None
    assert generator.calls[0][1] == [(), (), (), ()]


def test_pipeline_survives_retrieval_and_backend_crashes() -> None:
    def broken_retrieve(briefs: Sequence[Brief]) -> list[list[dict]]:
        raise ConnectionError("index offline")

    class Crashing(ScriptedGenerator):
        def generate(self, briefs, references):  # type: ignore[no-untyped-def]
            raise RuntimeError("engine died")

    outcomes = RecipePipeline(FormulatorGenerator(BOOK), BOOK, broken_retrieve).run_many(
        [Brief("floral")])
    assert outcomes[0].status == "succeeded" and "index offline" in outcomes[0].notes[0]
    crashed = RecipePipeline(Crashing({}), BOOK).run_many([Brief("floral"), Brief("woody")])
    assert [o.status for o in crashed] == ["failed", "failed"]
    assert all("engine died" in (o.error or "") for o in crashed)
    assert RecipePipeline(Crashing({}), BOOK).run_many([]) == []


def test_a_repaired_formula_s_description_names_what_its_ingredient_list_holds() -> None:
    """Repair removes a prohibited material the back end wrote: the description, written
    for the back end's formula, named it; the answer's description names the repaired
    formula's materials."""
    from dataclasses import replace

    from ml.recipe.naming import describe_formula

    brief = Brief("floral", seed=0)
    lines = [(m, p, pos) for m, p, pos in BALANCED if m != "hedione"] + [
        ("lilial", 20.0, "heart")]
    written = make_formula(lines)
    written = replace(written, description=describe_formula(brief, written, BOOK))
    assert "Lilial" in written.description
    outcome = RecipePipeline(ScriptedGenerator({0: written}), BOOK).run(brief)
    assert outcome.status == "succeeded" and outcome.formula is not None, outcome.error
    assert "lilial" not in outcome.formula.amounts()
    assert "Lilial" not in outcome.formula.description, outcome.formula.description
    assert outcome.formula.description == describe_formula(brief, outcome.formula, BOOK)
    unchanged = RecipePipeline(ScriptedGenerator({0: make_formula(BALANCED)}), BOOK).run(brief)
    assert unchanged.formula is not None
    assert unchanged.formula.description == "A hand-made test formula."


def test_an_outcome_echoes_the_notes_as_the_client_wrote_them() -> None:
    brief = Brief("woods", notes_include=["Iso E Super"], seed=1)
    outcome = RecipePipeline(FormulatorGenerator(BOOK), BOOK).run(brief)
    assert outcome.status == "succeeded" and outcome.formula is not None
    assert outcome.to_dict()["brief"]["notes_include"] == ["Iso E Super"]
    assert "iso-e-super" in outcome.formula.amounts()  # matched whatever the case
    missing = RecipePipeline(FormulatorGenerator(BOOK), BOOK).run(
        Brief("woods", notes_include=["Unobtainium Wood"], seed=1))
    assert any("'Unobtainium Wood'" in line for line in missing.notes), missing.notes
