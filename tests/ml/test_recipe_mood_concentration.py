"""A concentration named in a brief's mood ("an extrait de parfum, very concentrated", "a
light body mist for the gym") was pasted into the description of an eau de parfum dosed at
15 % (a black-box tester's finding). It is now the brief's concentration when the brief
names none, is said in the result's notes, and leaves the mood's text."""

from __future__ import annotations

import pytest

from ml.recipe.brief import Brief
from ml.recipe.generator import FormulatorGenerator
from ml.recipe.materials import load_materials
from ml.recipe.mood import read_mood
from ml.recipe.pipeline import RecipePipeline

pytestmark = pytest.mark.unit

BOOK = load_materials()
PIPELINE = RecipePipeline(FormulatorGenerator(BOOK), BOOK)


@pytest.mark.parametrize(("mood", "slug", "left"), [
    ("an extrait de parfum, very concentrated", "parfum", "very concentrated"),
    ("a light body mist for the gym", "eau_fraiche", "for the gym"),
    ("romantic eau-de-parfum", "edp", "romantic"),
    ("fresh edt for the office", "edt", "fresh for the office"),
    ("a perfume for date night", None, "a perfume for date night"),  # any strength
    # refused, not asked for (each was made a parfum at 20 %)
    ("not an extrait", None, "not an extrait"),
    ("anything but a parfum", None, "anything but a parfum"),
    ("i find extrait de parfum too strong", None, "i find extrait de parfum too strong"),
    ("no extrait please, an eau de toilette", "edt", "no extrait"),
    ("a cozy evening", None, "a cozy evening")])
def test_the_mood_s_concentration_is_read_and_left_out_of_the_mood(
        mood: str, slug: str | None, left: str) -> None:
    reading = read_mood(mood)
    assert (reading.concentration or (None,))[0] == slug
    assert reading.mood == left


@pytest.mark.parametrize(("mood", "slug", "dose"), [
    ("an extrait de parfum, very concentrated", "parfum", 20.0),
    ("a light body mist for the gym", "eau_fraiche", 2.0)])
def test_a_brief_without_a_concentration_is_made_at_the_mood_s(mood: str, slug: str,
                                                                dose: float) -> None:
    outcome = PIPELINE.run(Brief("woody", mood=mood, seed=1))
    assert outcome.status == "succeeded" and outcome.formula is not None
    assert outcome.brief.concentration == slug
    assert outcome.to_dict()["formula"]["dose_pct"] == dose
    assert "eau de parfum" not in outcome.formula.description
    assert mood not in outcome.formula.description
    assert any(line.startswith("the mood's") and f"read as concentration {slug!r}" in line
               for line in outcome.notes), outcome.notes


def test_the_brief_s_own_concentration_wins_and_the_result_says_so() -> None:
    outcome = PIPELINE.run(Brief("citrus", mood="a light body mist", concentration="edp"))
    assert outcome.brief.concentration == "edp"
    assert ("the mood's 'body mist' asks for Eau Fraîche; concentration 'edp' (or the "
            "product type) wins: the formula is dosed at 15 %") in outcome.notes


def test_a_long_mood_says_which_of_its_notes_it_left_and_names_each_exclusion_once() -> None:
    """A 1,000-character mood held four of its seven notes and dropped the rest without a
    word; its "no vanilla, no coconut", said three times, was echoed three times."""
    mood = ("incense and leather, a touch of saffron, dark rose and plum, oud and labdanum, "
            "no vanilla, no coconut. " * 3)
    outcome = PIPELINE.run(Brief("amber", mood=mood, seed=1))
    assert ("the mood's 'no vanilla' and 'no coconut' read as notes_exclude: vanilla, "
            "coconut") in outcome.notes
    beyond = [line for line in outcome.notes if line.startswith("the mood also names")]
    assert beyond and "'labdanum'" in beyond[0] and "notes_include" in beyond[0]


@pytest.mark.parametrize(("mood", "amounts", "left"), [
    ("20% oud, very smoky", ("20%",), "oud, very smoky"),
    ("a 0.5 % touch of rose", ("0.5 %",), "a touch of rose"),
    ("oud 20 percent", ("20 percent",), "oud"),
    ("100% natural and cozy", (), "cozy")])  # a material limit, not an amount
def test_an_amount_in_the_mood_is_read_and_left_out_of_the_mood(
        mood: str, amounts: tuple[str, ...], left: str) -> None:
    reading = read_mood(mood)
    assert reading.amounts == amounts and reading.mood == left


def test_the_result_says_the_brief_s_amounts_are_not_applied() -> None:
    """"20% oud" was pasted into the description of a formula with 1.2 % agarwood."""
    outcome = PIPELINE.run(Brief("woody", mood="20% oud, very smoky",
                                 notes_include=["10% sandalwood"], seed=1))
    assert outcome.formula is not None and "20%" not in outcome.formula.description
    assert ("the brief's amounts ('20%', '10% sandalwood') are not applied: the formula "
            "doses each material within its usual use level and the IFRA limits"
            ) in outcome.notes


@pytest.mark.parametrize(("mood", "note"), [
    ("봄날의 벚꽃", "cherry blossom"),    # was read as nothing: the notes said nothing
    ("벚꽃 향", "cherry blossom"),
    ("모닥불 옆에서", "campfire"),
    ("cherry blossom in spring", "cherry blossom"),
])
def test_a_korean_mood_names_its_notes_as_an_english_one_does(mood: str, note: str) -> None:
    assert Brief("floral", mood=mood).mood_notes == (note,)
