"""A brief's mood can limit which materials a formula may use, not only which notes it has:
"hypoallergenic" / "no EU allergens" (nothing the EU requires on the label), "all natural" /
"no synthetics" (natural complex substances only), "vegan" (nothing taken from animals).
Until 2026-12-04 these were mood words, pasted into the description as a claim over a
formula with a dozen allergens on its label."""

from __future__ import annotations

import pytest

from ml.material_limits import ALLERGEN_FREE, NATURAL_ONLY, VEGAN
from ml.recipe.brief import Brief, brief_notes
from ml.recipe.formulator import FormulationError, Formulator
from ml.recipe.generator import FormulatorGenerator
from ml.recipe.materials import load_materials
from ml.recipe.mood import read_mood
from ml.recipe.pipeline import RecipePipeline
from ml.recipe.selection import ANIMAL_SOURCES
from ml.recipe.validator import validate

pytestmark = pytest.mark.unit

BOOK = load_materials()
FORMULATOR = Formulator(BOOK)
MATERIALS = {material.id: material for material in BOOK}


@pytest.mark.parametrize(("mood", "limits", "left"), [
    ("hypoallergenic", (ALLERGEN_FREE,), ""),
    ("hypoallergenic, no eu allergens please", (ALLERGEN_FREE,), ""),
    ("romantic but allergen-free, no musk", (ALLERGEN_FREE,), "romantic"),
    ("for sensitive skin, fragrance allergy, only non-allergenic materials",
     (ALLERGEN_FREE,), ""),
    ("알레르기 성분 없이 상큼하게", (ALLERGEN_FREE,), "상큼하게"),
    ("all natural, vegan, no synthetics", (NATURAL_ONLY, VEGAN), ""),
    ("100% natural and cozy", (NATURAL_ONLY,), "cozy"),
    ("cruelty-free and fresh", (VEGAN,), "fresh"),
    ("cozy evening", (), "cozy evening"),
    ("natural and elegant", (), "natural and elegant"),  # a look, not a limit
])  # fmt: skip
def test_the_mood_s_material_limits_are_read_and_left_out_of_the_mood(
        mood: str, limits: tuple[str, ...], left: str) -> None:
    reading = read_mood(mood)
    assert reading.limits == limits
    assert reading.mood == left


@pytest.mark.parametrize("family", ["floral", "woody", "citrus", "amber", "chypre", "gourmand"])
def test_a_hypoallergenic_formula_has_no_allergen_on_its_label(family: str) -> None:
    plain = validate(FORMULATOR.formulate(Brief(family, seed=3)), BOOK)
    assert plain.allergens, "the test needs a family whose usual formula declares some"
    formula = FORMULATOR.formulate(Brief(family, mood="hypoallergenic, romantic", seed=3))
    report = validate(formula, BOOK)
    assert report.valid and report.allergens == []
    assert "hypoallergenic" not in formula.description and "romantic" in formula.description


def test_an_all_natural_formula_holds_natural_materials_only_and_a_vegan_none_from_animals(
        ) -> None:
    natural = FORMULATOR.formulate(Brief("amber", mood="all natural", seed=1))
    assert {MATERIALS[m].type for m in natural.amounts()} == {"ncs"}
    for seed in range(4):
        vegan = FORMULATOR.formulate(Brief("leather", mood="vegan, animalic", seed=seed))
        assert validate(vegan, BOOK).valid
        assert not [m for m in vegan.amounts() if MATERIALS[m].type == "ncs" and any(
            word in MATERIALS[m].name.lower() for word in ANIMAL_SOURCES)]


def test_limits_no_formula_can_meet_are_refused_saying_so() -> None:
    with pytest.raises(FormulationError, match=r"the mood allows only some materials "
                                               r"\(allergen_free, natural_only\)"):
        FORMULATOR.formulate(Brief("floral", mood="hypoallergenic and all natural"))


def test_a_result_says_how_it_read_the_limits() -> None:
    brief = Brief("floral", mood="hypoallergenic, romantic, vegan")
    notes = brief_notes(brief)
    assert any(line.startswith("the mood's 'hypoallergenic' read as: no material that is or "
                               "carries an allergen") for line in notes)
    assert any(line.startswith("the mood's 'vegan' read as: no material taken from animals")
               for line in notes)
    outcome = RecipePipeline(FormulatorGenerator(BOOK), BOOK, None).run(brief)
    assert outcome.status == "succeeded" and outcome.report is not None
    assert outcome.report.allergens == []


@pytest.mark.parametrize(("mood", "limits", "left"), [
    # as people spell and say it (each was pasted into the description over 16-24
    # allergens or a synthetic formula)
    ("alergen free", (ALLERGEN_FREE,), ""), ("hypoalergenic", (ALLERGEN_FREE,), ""),
    ("safe for allergy sufferers", (ALLERGEN_FREE,), ""),
    ("my skin is very sensitive, romantic", (ALLERGEN_FREE,), "romantic"),
    ("nothing synthetic", (NATURAL_ONLY,), ""),
    ("vegan friendly, no animal-derived ingredients", (VEGAN,), ""),
    # said not to be wanted: neither applied nor described (both were applied)
    ("doesn't have to be vegan, just warm", (), "warm"),
    ("not all natural, modern", (), "modern"),
    # in the other languages moods are read in
    ("гипоаллергенный, нежный", (ALLERGEN_FREE,), "delicate"),
    ("без аллергенов", (ALLERGEN_FREE,), ""), ("для чувствительной кожи", (ALLERGEN_FREE,), ""),
    ("только натуральные ингредиенты", (NATURAL_ONLY,), ""),
    ("веганский, без мускуса", (VEGAN,), ""), ("نباتي بدون مسك", (VEGAN,), ""),
    ("敏感肌向け、ムスクなし", (ALLERGEN_FREE,), ""), ("天然成分のみ", (NATURAL_ONLY,), ""),
    ("纯天然，无麝香", (NATURAL_ONLY,), ""),
])  # fmt: skip
def test_limits_as_people_write_them(mood: str, limits: tuple[str, ...], left: str) -> None:
    reading = read_mood(mood)
    assert reading.limits == limits and reading.mood == left


@pytest.mark.parametrize(("mood", "excluded", "named"), [
    ("avoid anything leathery", ("leathery",), ()),  # castoreum was added
    ("hates anything too sweet or powdery, romantic", (), ()),  # orris butter was added
    ("vanilla but not too sweet, less smoky", (), ("vanilla",)),
    ("no vetiver or patchouli, earthy", ("vetiver", "patchouli"), ("earthy",)),
])
def test_a_refusal_is_never_a_wish(mood: str, excluded: tuple[str, ...],
                                   named: tuple[str, ...]) -> None:
    reading = read_mood(mood)
    assert reading.excluded == excluded and reading.named == named


def test_a_description_leaves_out_a_story_and_names_a_material_once() -> None:
    story = ("for my mom's 60th birthday, she loves roses and she wears it to church on "
             "sundays")
    assert "birthday" not in FORMULATOR.formulate(Brief("floral", mood=story)).description
    for seed in range(6):
        described = FORMULATOR.formulate(Brief("woods", seed=seed)).description
        assert "Cedarwood oil and Cedarwood oil" not in described


@pytest.mark.parametrize(("mood", "note", "said"), [
    ("all natural", "calone", "natural only"), ("vegan", "castoreum", "vegan")])
def test_a_requested_note_a_limit_leaves_out_is_said(mood: str, note: str, said: str) -> None:
    """The note's material was gone, and the result said nothing of it."""
    outcome = RecipePipeline(FormulatorGenerator(BOOK), BOOK, None).run(
        Brief("amber", mood=mood, notes_include=[note]))
    assert any(line.startswith(f"requested note {note!r} is not in the formula")
               and f"left out by the mood's {said} limit" in line for line in outcome.notes)
