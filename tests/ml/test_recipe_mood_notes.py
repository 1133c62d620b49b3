"""Notes a client names in a brief's free-text mood ("a cozy vanilla and tobacco evening")
are held in the formula as requested notes, on the shipped materials; words of the mood that
name no note, or mean something else there ("date night"), add nothing."""

from __future__ import annotations

import pytest

from ml.recipe.brief import MAX_MOOD_NOTES, Brief
from ml.recipe.generator import FormulatorGenerator
from ml.recipe.materials import load_materials
from ml.recipe.pipeline import RecipePipeline
from ml.recipe.prompt import build_prompt

pytestmark = pytest.mark.unit

BOOK = load_materials()
PIPELINE = RecipePipeline(FormulatorGenerator(BOOK), BOOK, None)


@pytest.mark.parametrize(("family", "mood", "notes"), [
    ("amber", "cozy vanilla and tobacco evening", ("vanilla", "tobacco")),
    ("floral", "a rose garden after rain", ("rose", "rain")),
    ("woody", "campfire smoke and leather jacket", ("campfire", "smoke", "leather")),
    ("fresh", "sea breeze on a sunny beach", ("sea breeze",)),
    ("floral", "like my grandmother's lilac bush", ("lilac",)),
    ("citrus", "fresh laundry on a summer morning", ("fresh laundry",)),
    ("green", "after the rain in a pine forest", ("after the rain", "pine", "forest")),
    ("citrus", "바닐라 향이 나는 따뜻한 느낌", ("vanilla",)),
    ("woody", "romantic but no musk, with a hint of leather", ("leather",)),
    ("woody", "a skin scent, intimate", ("skin scent",)),
    ("green", "yerba mate in the morning", ("yerba mate",)),
    # plurals as people write them ("peonies" was no note; "violets" was, and held nothing)
    ("floral", "wedding day bouquet of peonies and white roses", ("peonies", "roses")),
    ("floral", "cherries and lilies", ("cherries", "lilies")),
    ("citrus", "oranges and lemons", ("oranges", "lemons")),
    ("amber", "cigar and whiskey by the fire", ("cigar", "whiskey")),
    ("woody", "a walk in the forest", ("forest",)),
])  # fmt: skip
def test_the_notes_a_mood_names_are_read(family: str, mood: str, notes: tuple[str, ...]) -> None:
    assert Brief(family, mood=mood).mood_notes == notes


@pytest.mark.parametrize(("family", "mood"), [
    ("floral", "romantic floral date night"),  # "date" is an evening, "floral" the family
    ("citrus", "fresh and clean"),
    ("amber", "sexy, confident"),
    ("woody", "a night out with my mate"),
    ("amber", "soft on the skin"),
    ("floral", ""),
])  # fmt: skip
def test_a_mood_naming_no_note_adds_none(family: str, mood: str) -> None:
    assert Brief(family, mood=mood).mood_notes == ()


def test_notes_already_requested_are_not_named_twice_and_a_long_mood_names_a_few() -> None:
    brief = Brief("amber", mood="vanilla and tobacco", notes_include=("Vanilla",))
    assert brief.mood_notes == ("tobacco",)
    many = Brief("floral", mood="rose, jasmine, lilac, peony, iris, violet and vanilla")
    assert len(many.mood_notes) == MAX_MOOD_NOTES
    assert many.mood_notes == ("rose", "jasmine", "lilac", "peony")


@pytest.mark.parametrize(("family", "mood", "material_ids"), [
    ("amber", "cozy vanilla and tobacco evening", {"vanilla-absolute", "tobacco-absolute"}),
    ("woody", "campfire smoke and leather jacket",
     {"birch-tar-oil-rectified", "castoreum-absolute"}),
    ("fresh", "sea breeze on a sunny beach", {"calone"}),
    ("floral", "like my grandmother's lilac bush", {"alpha-terpineol"}),
    ("citrus", "fresh laundry on a summer morning", {"galaxolide"}),
    ("floral", "a rose garden after rain", {"rose-oil", "helional"}),
    ("floral", "a bouquet of peonies", {"peonile"}),
    ("floral", "violets and irises", {"orris-butter", "violet-leaf-absolute"}),
    ("citrus", "oranges and lemons", {"orange-oil-sweet", "lemon-oil"}),
    ("fruity", "ripe peaches", {"gamma-undecalactone"}),
])  # fmt: skip
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_formula_holds_the_mood_s_notes(family: str, mood: str, material_ids: set[str],
                                            seed: int) -> None:
    outcome = PIPELINE.run(Brief(family, mood=mood, seed=seed))
    assert outcome.status == "succeeded", outcome.error
    held = {ingredient.material_id for ingredient in outcome.formula.ingredients}
    ids = {material.id for material in BOOK}
    assert material_ids <= ids, material_ids - ids  # the test names shipped materials
    assert material_ids <= held, (material_ids - held, sorted(held))
    assert any(line.startswith("the mood names") for line in outcome.notes), outcome.notes


def test_a_mood_note_the_brief_excludes_stays_out_and_the_result_says_why() -> None:
    outcome = PIPELINE.run(Brief("amber", mood="a vanilla dream", notes_exclude=("vanilla",)))
    assert outcome.status == "succeeded", outcome.error
    assert not [i for i in outcome.formula.ingredients if "vanill" in i.material_id]
    assert "the mood's note 'vanilla' is not in the formula: it is excluded by " \
           "notes_exclude ('vanilla')" in outcome.notes


def test_a_mood_note_no_material_stands_for_is_said_not_refused() -> None:
    outcome = PIPELINE.run(Brief("citrus", mood="like a salted caramel sundae", seed=3))
    assert outcome.status == "succeeded", outcome.error
    brief = Brief("woody", mood="a whiff of sycamore")
    assert brief.mood_notes == ("sycamore",)
    outcome = PIPELINE.run(brief)
    assert outcome.status == "succeeded", outcome.error
    assert "the mood's note 'sycamore' is not in the formula: no usable material stands " \
           "for it" in outcome.notes


def test_an_llm_prompt_asks_for_the_mood_s_notes() -> None:
    brief = Brief("amber", mood="cozy vanilla and tobacco evening", notes_include=("oud",))
    prompt = build_prompt(brief, [], list(BOOK)[:10])
    assert "must include notes: oud, vanilla, tobacco" in prompt


def test_warming_builds_the_tables_a_mood_is_read_with() -> None:
    """A process warms them at its start (the API's lifespan, a recipe worker's warm-up):
    reading a mood looks every word up in them, and building them took the first brief
    70 ms on an idle host, over a second on a busy one."""
    from ml.recipe import vocabulary
    from ml.recipe.brief import warm

    vocabulary._material_names.cache_clear()
    vocabulary._spelling_words.cache_clear()
    warm()
    assert vocabulary._material_names.cache_info().currsize == 1
    assert vocabulary._spelling_words.cache_info().currsize == 1


@pytest.mark.parametrize(("note", "material_ids"), [
    ("rain", {"helional", "calone"}), ("sugar", {"ethyl-maltol"}),
    ("laundry", {"galaxolide"}), ("campfire", {"birch-tar-oil-rectified"}),
    ("sea salt", {"calone"}), ("fig", {"stemone"}),
])  # fmt: skip
def test_excluding_a_note_excludes_what_stands_for_it(note: str, material_ids: set[str]) -> None:
    """"no sugar" or "no laundry" excluded nothing: no material is named after them, and
    what stands for them when they are asked for was still drawn."""
    from ml.recipe.selection import excluded

    brief = Brief("amber", mood=f"warm, but no {note}")
    assert note in brief.notes_exclude
    assert {m.id for m in BOOK if m.id in material_ids and excluded(m, brief)} == material_ids
    outcome = PIPELINE.run(brief)
    assert outcome.status == "succeeded", outcome.error
    assert not material_ids & {i.material_id for i in outcome.formula.ingredients}
