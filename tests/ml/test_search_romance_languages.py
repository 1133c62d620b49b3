"""Queries and briefs in Spanish, French, Italian, Portuguese and German, as people type
them: "perfume para hombre fresco verano" understood nothing, "rosa y vainilla" only the
vanilla, "un parfum frais pour l'été" not the summer, "profumo agrumato" was Acqua di Giò
Profumo; a recipe's "bergamotte" and "pamplemousse" named no material; "ohne Vanille"
required vanilla."""

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
    # Portuguese and German ("holziger Duft für Männer" understood nothing)
    ("perfume amadeirado para homem", [], ["masculine"], [], [], ["woody"]),
    ("perfume doce para mulher", [], ["feminine"], [], ["sweet"], []),
    ("rosa e baunilha", ["rose", "vanilla"], [], [], [], []),
    ("holziger Duft für Männer", [], ["masculine"], [], [], ["woody"]),
    ("Parfum mit Vanille für Frauen", ["vanilla"], ["feminine"], [], [], []),
    ("frisches Parfüm für den Sommer", [], [], ["summer"], ["fresh"], []),
    ("süßer Duft mit Kirsche und Mandel", ["cherry", "almond"], [], [], ["sweet"], []),
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


@pytest.mark.parametrize(("query", "excluded"), [
    ("perfume sin vainilla", ("vanilla",)),
    # "ohne" and "sem" were no negation: the note they refuse was required
    ("frisches Parfüm für den Sommer ohne Vanille", ("vanilla",)),
    ("Duft ohne Vanille und ohne Rose", ("vanilla", "rose")),
    ("perfume masculino amadeirado sem baunilha", ("vanilla",)),
    ("kein Oud", ("oud",)),
])
def test_without_excludes_in_spanish_german_and_portuguese(
        interpreter: QueryInterpreter, query: str, excluded: tuple[str, ...]) -> None:
    parse = interpreter.interpret(query).parse
    assert parse.excluded_notes == excluded and not parse.notes


def test_letters_without_an_accent_of_their_own_are_spelt_out() -> None:
    """"süß" was "sü" less its "ß", then "su"; "Œillet" lost its "Œ"."""
    from ml.tokens import fold

    assert fold("Süß Œillet Ærø") == "suss oeillet aero"


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
