"""Queries and briefs in Spanish, French and Italian, as people type them: "perfume para
hombre fresco verano" understood nothing, "rosa y vainilla" only the vanilla, "un parfum
frais pour l'été" not the summer, "profumo agrumato" was Acqua di Giò Profumo; a recipe's
"bergamotte" and "pamplemousse" named no material."""

from __future__ import annotations

import pytest

from ml.knowledge import Catalog
from ml.query import QueryInterpreter
from ml.recipe import Brief, load_materials
from ml.recipe.formulator import Formulator

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def interpreter(shipped: Catalog) -> QueryInterpreter:
    return QueryInterpreter.for_catalog(shipped)


@pytest.mark.parametrize(("query", "notes", "genders", "seasons", "moods", "families"), [
    ("perfume para hombre fresco verano", [], ["masculine"], ["summer"], ["fresh"], []),
    ("perfume de vainilla para mujer", ["vanilla"], ["feminine"], [], [], []),
    ("rosa y vainilla", ["rose", "vanilla"], [], [], [], []),
    ("perfume de rosas", ["rose"], [], [], [], []),
    ("un parfum frais pour l'été", [], [], ["summer"], ["fresh"], []),
    ("profumo agrumato", [], [], [], [], ["citrus"]),
    ("pamplemousse et menthe", ["grapefruit", "mint"], [], [], [], []),
    ("perfume amaderado para el invierno", [], [], ["winter"], [], ["woody"]),
])
def test_a_romance_language_query_is_read(
        interpreter: QueryInterpreter, query: str, notes: list[str], genders: list[str],
        seasons: list[str], moods: list[str], families: list[str]) -> None:
    parse = interpreter.interpret(query).parse
    assert [note for options in parse.notes for note in options] == notes
    assert (list(parse.genders), list(parse.seasons), list(parse.moods)) == (
        genders, seasons, moods)
    assert list(parse.characters) == families
    assert not parse.named


def test_sin_excludes_in_spanish(interpreter: QueryInterpreter) -> None:
    assert interpreter.interpret("perfume sin vainilla").parse.excluded_notes == ("vanilla",)


@pytest.mark.parametrize("name", ["Rosa Nobile", "Mandarino di Amalfi",
                                  "Acqua di Gio Profumo"])
def test_names_made_of_those_words_still_name_their_perfume(
        interpreter: QueryInterpreter, name: str) -> None:
    assert interpreter.interpret(name).parse.named


def test_a_recipe_s_notes_in_french_find_their_materials() -> None:
    book = load_materials()
    formula = Formulator(book).formulate(Brief(
        "citrus", concentration="edc", seed=1,
        notes_include=["bergamotte", "pamplemousse", "yuzu", "petit grain"]))
    held = {ingredient.material_id for ingredient in formula.ingredients}
    assert {"grapefruit-oil", "yuzu-oil", "petitgrain-bigarade-oil"} <= held
    assert held & {"bergamot-oil", "bergamot-oil-fcf"}
