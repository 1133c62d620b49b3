"""Aversions, comparisons and typos as people write them, read by the query parser and by a
recipe brief's mood: "vanilla gives me a headache" wished for vanilla and a strong perfume,
"vanilla isn't my thing" for vanilla, "somthing sweet" was the mood calm ("soothing")."""

from __future__ import annotations

import pytest

from ml.knowledge import Catalog
from ml.query import QueryInterpreter
from ml.recipe.mood import read_mood

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def interpreter(shipped: Catalog) -> QueryInterpreter:
    return QueryInterpreter.for_catalog(shipped)


@pytest.mark.parametrize(("query", "excluded", "avoid"), [
    ("vanilla gives me a headache, I want something floral", ("vanilla",),
     (("intensity", "strong"),)),
    ("oud and tonka give me headaches", ("oud", "tonka bean"), (("intensity", "strong"),)),
    ("vanilla gives her a headache", ("vanilla",), (("intensity", "strong"),)),
    ("patchouli makes my head hurt", ("patchouli",), (("intensity", "strong"),)),
    ("vanilla isn't my thing, floral please", ("vanilla",), ()),
    ("patchouli is not my cup of tea", ("patchouli",), ()),
    ("no oud or anything smoky", ("oud",), ()),
])
def test_an_aversion_refuses_what_it_is_about(
        interpreter: QueryInterpreter, query: str, excluded: tuple[str, ...],
        avoid: tuple[tuple[str, str], ...]) -> None:
    parse = interpreter.interpret(query).parse
    assert parse.excluded_notes == excluded
    assert parse.avoid == avoid
    assert not parse.notes and parse.intensity is None


@pytest.mark.parametrize("query", ["strong perfumes give me a headache",
                                   "a perfume that doesn't give me a headache",
                                   "headache free perfume"])
def test_a_headache_is_never_a_wish_for_a_strong_perfume(
        interpreter: QueryInterpreter, query: str) -> None:
    parse = interpreter.interpret(query).parse
    assert parse.intensity is None and parse.avoid == (("intensity", "strong"),)


def test_anything_after_or_stays_refused(interpreter: QueryInterpreter) -> None:
    """"not oud or anything smoky" wished for smoky; a comma begins a wish again."""
    assert interpreter.interpret("no oud or anything smoky").parse.excluded_characters == (
        "smoky",)
    parse = interpreter.interpret("no oud, something fresh").parse
    assert parse.moods == ("fresh",) and parse.excluded_notes == ("oud",)


@pytest.mark.parametrize(("query", "moods", "excluded"), [
    ("somthing sweet for winter", ("sweet",), ()),
    ("somthing frsh and citrusy for summr", ("fresh",), ()),
    ("wihtout vanila, somthing woddy", (), ("vanilla",)),
])
def test_a_typo_near_an_everyday_word_is_no_wish(
        interpreter: QueryInterpreter, query: str, moods: tuple[str, ...],
        excluded: tuple[str, ...]) -> None:
    """"somthing" was "soothing", the mood calm (and the sweet the query asked for was
    relaxed first): it is as near "something", so it is left alone; "wihtout" was no
    negation, so the vanilla was required."""
    parse = interpreter.interpret(query).parse
    assert parse.moods == moods and parse.excluded_notes == excluded
    assert ("somthing", "calm") not in parse.corrections and not parse.notes


@pytest.mark.parametrize(("query", "reference", "prefer"), [
    ("Sauvage but fresher", "dior-sauvage-eau-de-toilette-2015", (("mood", "fresh"),)),
    ("like Black Opium but fresher", "ysl-black-opium-2014", (("mood", "fresh"),)),
])
def test_a_comparison_with_a_perfume_is_a_preference_among_its_neighbours(
        interpreter: QueryInterpreter, query: str, reference: str,
        prefer: tuple[tuple[str, str], ...]) -> None:
    """"Sauvage but fresher" was Sauvage and its editions first (no reference); "like Black
    Opium but fresher" required a fresh perfume and listed N°5 L'Eau, sharing nothing."""
    parse = interpreter.interpret(query).parse
    assert parse.reference is not None and parse.reference.id == reference
    assert parse.prefer == prefer
    assert not parse.moods


def test_a_note_said_many_times_is_one_wish(interpreter: QueryInterpreter) -> None:
    assert interpreter.interpret("rose " * 400).parse.notes == (("rose",),)


@pytest.mark.parametrize(("mood", "excluded", "left"), [
    ("warm, vanilla gives me a headache", ("vanilla",), "warm"),
    ("cozy, vanilla isn't my thing", ("vanilla",), "cozy"),
    ("warm and cozy, ohne vanille", ("vanille",), "warm and cozy"),
    ("romantic, sem rosa", ("rosa",), "romantic"),
    ("i can't stand patchouli, elegant", ("patchouli",), "elegant"),
    ("romantic but no musk please, vanilla-free", ("musk", "vanilla"), "romantic"),
])
def test_a_brief_s_mood_refuses_notes_as_a_query_does(mood: str, excluded: tuple[str, ...],
                                                      left: str) -> None:
    """The mood's notes were held as requested notes: the formula had vanilla absolute."""
    reading = read_mood(mood)
    assert reading.excluded == excluded and reading.mood == left and not reading.named


@pytest.mark.parametrize(("query", "excluded"), [
    # refusals of supported languages required the note they refuse
    ("pas de vanille", ("vanilla",)), ("je n'aime pas la vanille", ("vanilla",)),
    ("je déteste la vanille", ("vanilla",)),
    ("un parfum frais, surtout pas de patchouli", ("patchouli",)),
    ("no me gusta la vainilla", ("vanilla",)), ("odio la vainilla", ("vanilla",)),
    ("niente vaniglia", ("vanilla",)), ("ich hasse Vanille", ("vanilla",)),
    ("odeio baunilha", ("vanilla",)), ("我讨厌香草", ("vanilla",)),
    # "without" in languages whose note names are read ("geen" was read "green")
    ("zoete parfum zonder vanille", ("vanilla",)), ("geen vanille alsjeblieft", ("vanilla",)),
    ("parfum bez patchouli", ("patchouli",)), ("parfum tanpa vanila", ("vanilla",)),
    ("keep the oud away", ("oud",)),
    # Turkish puts "without" after the note ("vanilya olmadan" listed vanilla perfumes);
    # Japanese "is not" / "dislike" after it too
    ("vanilya olmadan", ("vanilla",)), ("gül yok", ("rose",)),
    ("vanilya istemiyorum", ("vanilla",)), ("バニラは嫌い", ("vanilla",)),
    ("ローズは苦手", ("rose",)),
])
def test_refusals_as_people_write_them_in_many_languages(
        interpreter: QueryInterpreter, query: str, excluded: tuple[str, ...]) -> None:
    parse = interpreter.interpret(query).parse
    assert parse.excluded_notes == excluded and not parse.notes


def test_neither_nor_refuses_both(interpreter: QueryInterpreter) -> None:
    """"fresh but neither citrus nor aquatic" required citrus and aquatic."""
    parse = interpreter.interpret("fresh but neither citrus nor aquatic").parse
    assert parse.excluded_characters == ("citrus", "aquatic") and not parse.characters


def test_something_different_from_a_perfume_leaves_it_out(
        interpreter: QueryInterpreter) -> None:
    """The three Sauvage editions were the first hits."""
    parse = interpreter.interpret("something different from Sauvage").parse
    assert len(parse.excluded_perfumes) == 3 and not parse.named


def test_who_hates_a_note_is_not_whom_the_perfume_is_for(
        interpreter: QueryInterpreter) -> None:
    """"my husband hates patchouli, I want a floral" was a masculine wish."""
    parse = interpreter.interpret("my husband hates patchouli, I want a floral").parse
    assert parse.excluded_notes == ("patchouli",) and not parse.genders
    assert interpreter.interpret("for my husband, he hates patchouli").parse.genders == (
        "masculine",)


def test_a_note_loved_is_the_note_not_a_perfume_with_a_number_after_it(
        interpreter: QueryInterpreter) -> None:
    """"i love rose" was Le Labo's Rose 31 ("rose" fuzzily read as "rose31")."""
    parse = interpreter.interpret("I love rose but hate oud").parse
    assert parse.notes == (("rose",),) and parse.reference is None
    assert parse.excluded_notes == ("oud",)
    assert interpreter.interpret("I love Rose 31").parse.reference.id == "le-labo-rose-31-2006"


@pytest.mark.parametrize(("query", "wanted", "refused"), [
    # "sans fleurs", "ohne Blumen" were dropped: flowery hits
    ("parfum vanille sans fleurs", (), ("floral",)),
    ("Duft mit Vanille ohne Blumen", (), ("floral",)),
    # "no animalics" was read "animalics": nothing refused
    ("leather fougere no animalics", ("fougere",), ("animalic",)),
    ("i want a woody scent, no animalics please", ("woody",), ("animalic",)),
    ("dirty musk", ("animalic",), ()),
    # "woody, not floral" in Japanese and Turkish required both
    ("花の香りじゃないウッディ", ("woody",), ("floral",)),
    ("çiçeksi olmayan odunsu parfüm", ("woody",), ("floral",)),
])
def test_kinds_of_perfume_refused_or_wished_as_people_write_them(
        interpreter: QueryInterpreter, query: str, wanted: tuple[str, ...],
        refused: tuple[str, ...]) -> None:
    parse = interpreter.interpret(query).parse
    assert parse.characters == wanted and parse.excluded_characters == refused


def test_turkish_seasons_genders_and_notes_are_read(interpreter: QueryInterpreter) -> None:
    """"yaz için ferah parfüm" and "gül kokulu parfüm kadın" were nothing understood."""
    summer = interpreter.interpret("yaz için ferah parfüm").parse
    assert summer.seasons == ("summer",) and summer.moods == ("fresh",)
    rose = interpreter.interpret("gül kokulu parfüm kadın").parse
    assert rose.notes == (("rose",),) and rose.genders == ("feminine",)
    assert interpreter.interpret("bal d'afrique").parse.named  # a name, not honey


@pytest.mark.parametrize(("query", "note", "character"), [
    ("smoked vanilla", "vanilla", "smoky"), ("salted caramel", "caramel", "salty"),
    ("salty vanilla", "vanilla", "salty")])
def test_a_qualifier_of_a_note_is_a_wish_too(interpreter: QueryInterpreter, query: str,
                                            note: str, character: str) -> None:
    """"smoked" and "salted" were dropped: a salty vanilla first for "smoked vanilla"."""
    parse = interpreter.interpret(query).parse
    assert parse.notes == ((note,),) and parse.characters == (character,)


def test_by_a_brand_for_men_is_the_brand_s_perfumes_for_men(
        interpreter: QueryInterpreter) -> None:
    """It was the perfume Tom Ford for Men, and four other brands' after it."""
    parse = interpreter.interpret("something by Tom Ford for men").parse
    assert parse.brands == ("Tom Ford",) and parse.genders == ("masculine",)
    assert not parse.named
    assert interpreter.interpret("tom ford for men").parse.named == ("tom-ford-for-men-2007",)
    assert interpreter.interpret("by tom ford oud wood").parse.named == (
        "tom-ford-oud-wood-2007",)


def test_a_name_of_common_words_before_but_is_the_reference(
        interpreter: QueryInterpreter) -> None:
    """"Light Blue but more long lasting" was a light intensity and the colour blue."""
    parse = interpreter.interpret("Light Blue but more long lasting").parse
    assert parse.reference is not None
    assert parse.reference.id == "dolce-gabbana-light-blue-2001"
    assert parse.intensity == "strong"


@pytest.mark.parametrize("query", ["Citrus für den Sommer, nicht zu süß",
                                   "pas trop sucré, vanille", "甘すぎない香水",
                                   "no demasiado dulce"])
def test_not_too_sweet_in_other_languages_avoids_sweet(interpreter: QueryInterpreter,
                                                       query: str) -> None:
    """Each was a wish for sweet (Sundazed, cotton candy, first for the German)."""
    parse = interpreter.interpret(query).parse
    assert ("mood", "sweet") in parse.avoid and "sweet" not in parse.moods


def test_a_trailing_no_before_a_word_refuses_nothing_before_it(
        interpreter: QueryInterpreter) -> None:
    """"tuberose no indole" refused tuberose; "lavender yes, tonka no" still refuses tonka."""
    assert interpreter.interpret("tuberose no indole").parse.notes == (("tuberose",),)
    assert interpreter.interpret("lavender yes, tonka no").parse.excluded_notes == (
        "tonka bean",)


def test_small_words_of_other_languages_are_not_misspelt_notes(
        interpreter: QueryInterpreter) -> None:
    """"aber" (German "but") was corrected to amber."""
    parse = interpreter.interpret("Rose ohne Oud aber mit Patschuli").parse
    assert parse.characters == () and parse.excluded_notes == ("oud",)


@pytest.mark.parametrize(("query", "reference"), [
    ("Sauvage but for women", "dior-sauvage"),
    ("a feminine version of Bleu de Chanel", "chanel-bleu-de-chanel"),
])
def test_a_perfume_for_the_other_gender_is_the_reference_not_a_wish(
        interpreter: QueryInterpreter, query: str, reference: str) -> None:
    """Both listed the men's perfume itself first: it was named, a wish for it."""
    parse = interpreter.interpret(query).parse
    assert parse.reference is not None and parse.reference.id.startswith(reference)
    assert parse.genders == ("feminine",) and not parse.named


@pytest.mark.parametrize("query", ["something like Chanel 5", "похожее на Шанель №5"])
def test_chanel_5_is_n5(interpreter: QueryInterpreter, query: str) -> None:
    """It was Chance, a typo's distance from "chanel"."""
    parse = interpreter.interpret(query).parse
    assert parse.reference is not None and parse.reference.id == "chanel-no5-parfum-1921"
