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
