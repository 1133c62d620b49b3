"""Russian and Arabic queries and moods, read by word stems (`ml.spaced_scripts`): both were
"nothing in the query was understood" ("عطر عود", an oud perfume, listed Fahrenheit), and a
Russian mood was pasted into a recipe's description whole, its exclusion not honoured."""

from __future__ import annotations

import pytest

from ml.knowledge import Catalog
from ml.query import QueryInterpreter
from ml.recipe.brief import Brief
from ml.recipe.formulator import Formulator
from ml.recipe.materials import load_materials
from ml.recipe.mood import read_mood
from ml.search import SearchPipeline
from ml.search_protocol import SearchFilters, SearchRequest
from ml.spaced_scripts import lexicon_of, script_of, spelling, translate_words

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def interpreter(shipped: Catalog) -> QueryInterpreter:
    return QueryInterpreter.for_catalog(shipped)


@pytest.mark.parametrize(("query", "lang", "notes", "excluded"), [
    ("ваниль без цветов", "ru", (("vanilla",),), ()),
    ("духи с ванилью", "ru", (("vanilla",),), ()),  # an inflected form: the stem reads it
    ("розовый перец", "ru", (("pink pepper",),), ()),  # pink pepper, not rose
    ("عطر عود", "ar", (("oud",),), ()),
    ("عطر فانيليا", "ar", (("vanilla",),), ()),
    ("عطر بدون مسك", "ar", (), ("musk",)),
    ("العطر بالعود", "ar", (("oud",),), ()),  # the article and "with" joined to the word
])
def test_russian_and_arabic_notes_and_refusals_are_read(
        interpreter: QueryInterpreter, query: str, lang: str,
        notes: tuple[tuple[str, ...], ...], excluded: tuple[str, ...]) -> None:
    read = interpreter.interpret(query)
    assert read.lang == lang and read.parse.notes == notes
    assert read.parse.excluded_notes == excluded


def test_kinds_genders_and_seasons_are_read(interpreter: QueryInterpreter) -> None:
    parse = interpreter.interpret("свежий аромат для мужчин на лето").parse
    assert parse.moods == ("fresh",) and parse.genders == ("masculine",)
    assert parse.seasons == ("summer",)
    assert interpreter.interpret("ваниль без цветов").parse.excluded_characters == (
        "floral",)
    assert interpreter.interpret("عطر ورد للنساء").parse.genders == ("feminine",)
    assert interpreter.interpret("подарок для мамы").parse.genders == ("feminine",)


def test_latin_words_stay_and_spellings_are_folded() -> None:
    russian = lexicon_of("ru")
    assert translate_words("Chanel ваниль", russian).english == "chanel vanilla"
    assert script_of("ваниль") == "ru" and script_of("عود") == "ar" and script_of("oud") is None
    assert spelling("Ёлка") == "елка" and spelling("إِبْرَة") == "ابرة"


@pytest.mark.parametrize(("mood", "excluded", "left"), [
    ("без ванили, тёплый", ("vanilla",), "warm"),
    ("романтичный, без мускуса", ("musk",), "romantic"),
    ("بدون فانيليا، دافئ", ("vanilla",), "warm"),
])
def test_a_recipe_mood_in_russian_or_arabic_excludes_what_it_refuses(
        mood: str, excluded: tuple[str, ...], left: str) -> None:
    reading = read_mood(mood)
    assert reading.excluded == excluded and reading.mood == left


@pytest.mark.parametrize("note", ["ваниль", "فانيليا", "バニラ", "바닐라"])
def test_a_note_list_in_another_script_is_honoured(pipeline: SearchPipeline,
                                                   shipped: Catalog, note: str) -> None:
    """A recipe's or a search filter's note in another script matched nothing: excluded
    nothing (vanilla absolute in the formula, 7 of 10 hits with vanilla), required nothing
    (0 hits)."""
    formula = Formulator(load_materials()).formulate(Brief("amber", notes_exclude=[note]))
    assert not [m for m in formula.amounts() if "vanil" in m]
    excluded = pipeline.search(SearchRequest("warm amber", top_k=10,
                                             filters=SearchFilters(notes_exclude=[note])))
    assert excluded.hits and not [hit.id for hit in excluded.hits
                                  if "vanilla" in shipped.perfume(hit.id).notes]
    required = pipeline.search(SearchRequest("warm amber", top_k=5,
                                             filters=SearchFilters(notes_include=[note])))
    assert len(required.hits) == 5 and all(
        "vanilla" in shipped.perfume(hit.id).notes for hit in required.hits)
