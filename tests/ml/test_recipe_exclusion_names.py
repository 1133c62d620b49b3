"""An excluded note as people write it: "bourbon vanilla", "vanilla pod", "sicilian lemon",
"white musk" named no shipped material as written, so they left every vanilla, lemon and
musk material in the formula without a word (a black-box tester's finding). They are now
read by their words that are notes, and a name that means nothing is said to leave nothing
out."""

from __future__ import annotations

import pytest

from ml.recipe.brief import Brief
from ml.recipe.generator import FormulatorGenerator
from ml.recipe.materials import load_materials
from ml.recipe.pipeline import RecipePipeline
from ml.recipe.selection import excluded, exclusion_forms, exclusion_notes

pytestmark = pytest.mark.unit

BOOK = load_materials()
PIPELINE = RecipePipeline(FormulatorGenerator(BOOK), BOOK)


@pytest.mark.parametrize(("note", "read"), [
    ("bourbon vanilla", ("vanilla",)), ("vanilla pod", ("vanilla",)),
    ("Tahitian vanilla", ("vanilla",)), ("sicilian lemon", ("lemon",)),
    ("white musk", ("musk",)), ("oud wood", ("oud",)), ("zorblax", ()),
    ("sicilian lemons", ("lemon",)), ("white musks", ("musk",))])  # plurals left lemon in
def test_an_excluded_note_that_names_no_material_is_read_by_its_note_words(
        note: str, read: tuple[str, ...]) -> None:
    assert exclusion_forms(note) == read


def test_a_note_that_names_materials_as_written_is_not_widened() -> None:
    assert exclusion_forms("orange blossom")[0] == "orange blossom"  # not every orange
    assert exclusion_forms("vanila")[:2] == ("vanila", "vanilla")  # respelled, as before


@pytest.mark.parametrize(("note", "material"), [
    ("sicilian lemon", "Lemon oil"), ("white musk", "Ethylene brassylate"),
    ("white musk", "Galaxolide"), ("bourbon vanilla", "Vanillin")])
def test_a_qualified_exclusion_excludes_the_materials_of_its_note(note: str,
                                                                  material: str) -> None:
    found = next(m for m in BOOK if m.name.startswith(material))
    assert excluded(found, Brief("floral", notes_exclude=[note]))


@pytest.mark.parametrize(("family", "note", "words"), [
    ("gourmand", "bourbon vanilla", ("vanill",)), ("gourmand", "vanilla pod", ("vanill",)),
    ("gourmand", "Tahitian vanilla", ("vanill", "tonka"))])
def test_the_formula_holds_none_of_what_a_qualified_exclusion_names(
        family: str, note: str, words: tuple[str, ...]) -> None:
    plain = PIPELINE.run(Brief(family, seed=14))
    assert plain.formula is not None
    assert any(w in i.name.lower() for i in plain.formula.ingredients for w in words), \
        "the test needs a formula that holds the material without the exclusion"
    outcome = PIPELINE.run(Brief(family, notes_exclude=[note], seed=14))
    assert outcome.status == "succeeded" and outcome.formula is not None
    assert not [i.name for i in outcome.formula.ingredients
                if any(w in i.name.lower() for w in words)]
    assert any(f"notes_exclude {note!r} names no material as written: read as" in line
               for line in outcome.notes), outcome.notes


def test_an_exclusion_that_names_nothing_is_said_to_leave_nothing_out() -> None:
    outcome = PIPELINE.run(Brief("gourmand", notes_exclude=["zorblax"], seed=2))
    assert outcome.status == "succeeded"
    assert ("notes_exclude 'zorblax' names no note or material known here: it leaves "
            "nothing out") in outcome.notes


def test_a_misspelt_or_foreign_exclusion_says_how_it_was_read() -> None:
    """"vanila" excluded vanilla, and `notes` said nothing of how it was read."""
    notes = exclusion_notes(Brief("citrus", notes_exclude=["vanila", "bergamont", "바닐라",
                                                           "vanilla"]))
    assert notes == ["notes_exclude 'vanila' read as 'vanilla'",
                     "notes_exclude 'bergamont' read as 'bergamot'",
                     "notes_exclude '바닐라' read as 'vanilla'"]
