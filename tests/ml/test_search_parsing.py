"""The query parser on the shipped catalogue's vocabulary: every stated wish, negation
scope, likeness, names, in English and Korean."""

from __future__ import annotations

import pytest

from ml.knowledge import Catalog
from ml.parsing import QueryParse
from ml.query import QueryInterpreter

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def interpreter() -> QueryInterpreter:
    return QueryInterpreter.for_catalog(Catalog.load())


def parse(interpreter: QueryInterpreter, query: str) -> QueryParse:
    return interpreter.interpret(query).parse


@pytest.mark.parametrize(("query", "excluded"), [
    ("vanilla perfume for women without tonka", ("tonka bean",)),
    ("spicy amber perfume, no oud", ("oud",)),
    ("a cologne with no lavender", ("lavender",)),
    ("no oud or incense", ("oud", "incense")),
    ("no oud, incense or leather, for men", ("oud", "incense", "leather")),
    ("tonka-free gourmand", ("tonka bean",)),
    ("hold the musk please", ("musk",)),
    ("floral perfume except rose", ("rose",)),
    ("jasmine scent but not tuberose", ("tuberose",)),
    ("clean scent excluding aldehydes", ("aldehydes",)),
    ("통카 안 들어간 여성용 바닐라 향수", ("tonka bean",)),
    ("장미 빼고 플로럴 향수", ("rose",)),
    ("오우드나 인센스 없는 우디 향수", ("oud", "incense")),
    ("라벤더가 들어가지 않은 코롱", ("lavender",)),
    ("튜베로즈 말고 자스민 향수", ("tuberose",)),
    ("베르가못 제외 시트러스 향", ("bergamot",)),
    ("시트러스 없이 상큼한 여름 향수", ()),
])
def test_exclusions_are_read_in_both_languages(interpreter: QueryInterpreter, query: str,
                                               excluded: tuple[str, ...]) -> None:
    found = parse(interpreter, query)
    assert found.excluded_notes == excluded
    for note in excluded:
        assert note not in {n for options in found.notes for n in options}


def test_a_comma_ends_the_scope_unless_an_or_closes_the_list(
        interpreter: QueryInterpreter) -> None:
    found = parse(interpreter, "without tonka, vanilla for women")
    assert found.excluded_notes == ("tonka bean",) and found.notes == (("vanilla",),)
    assert found.genders == ("feminine",)


def test_a_negated_character_excludes_its_notes_and_not_too_is_only_avoided(
        interpreter: QueryInterpreter) -> None:
    assert parse(interpreter, "anything but citrus").excluded_characters == ("citrus",)
    assert parse(interpreter, "시트러스 없이 상큼한 여름 향수").excluded_characters == ("citrus",)
    soft = parse(interpreter, "not too sweet vanilla perfume")
    assert soft.avoid == (("mood", "sweet"),) and soft.notes == (("vanilla",),)
    assert not soft.excluded_notes
    assert parse(interpreter, "너무 달지 않은 바닐라 향수").avoid == (("mood", "sweet"),)


@pytest.mark.parametrize("query", ["less sweet and more fresh perfume", "덜 달고 더 상큼한 향수"])
def test_more_after_a_conjunction_ends_a_less(interpreter: QueryInterpreter,
                                              query: str) -> None:
    found = parse(interpreter, query)
    assert found.avoid == (("mood", "sweet"),) and found.moods == ("fresh",)


@pytest.mark.parametrize("query", ["산탈 33 비슷한데 덜 달게", "산탈 33 같은데 덜 달콤한"])
def test_korean_like_but_less_is_the_perfume_with_it_avoided(interpreter: QueryInterpreter,
                                                              query: str) -> None:
    """As "Santal 33 but less sweet": the connective -데 and 덜 (less) are read, not dropped."""
    translated = interpreter.interpret(query)
    assert translated.untranslated == ()
    assert translated.parse.reference is not None
    assert translated.parse.reference.id == "le-labo-santal-33-2011"
    assert translated.parse.avoid == (("mood", "sweet"),) and translated.parse.moods == ()


def test_every_stated_constraint_is_kept(interpreter: QueryInterpreter) -> None:
    found = parse(interpreter, "light aquatic summer fragrance for men with bergamot, "
                               "for the office")
    assert found.intensity == "light" and found.characters == ("aquatic",)
    assert found.seasons == ("summer",) and found.genders == ("masculine",)
    assert found.notes == (("bergamot",),) and found.occasions == ("office",)
    korean = parse(interpreter, "베르가못이 들어간 남성용 가벼운 아쿠아틱 여름 향수")
    assert (korean.intensity, korean.characters, korean.seasons, korean.genders,
            korean.notes) == ("light", ("aquatic",), ("summer",), ("masculine",),
                              (("bergamot",),))


@pytest.mark.parametrize(("word", "character"), [
    ("oriental", "amber"), ("fougère", "fougere"), ("chypre", "mossy_woods"),
    ("gourmand", "gourmand"), ("woody oriental", "woody_amber"), ("cologne", "cologne")])
def test_family_synonyms(interpreter: QueryInterpreter, word: str, character: str) -> None:
    # spring: "a cologne for autumn" is a man's perfume for autumn (test_search_everyday_words)
    assert parse(interpreter, f"a {word} for spring").characters == (character,)


def test_a_word_that_is_a_note_and_a_family_reads_by_its_company(
        interpreter: QueryInterpreter) -> None:
    assert parse(interpreter, "spicy amber perfume").characters == ("spicy", "amber")
    listed = parse(interpreter, "sensual oriental with vanilla and amber")
    assert listed.notes == (("vanilla",), ("amber",)) and listed.characters == ("amber",)
    assert parse(interpreter, "rose or peony for her").notes == (("rose", "peony"),)


@pytest.mark.parametrize(("query", "reference"), [
    ("something like YSL Black Opium", "ysl-black-opium-2014"),
    ("dupe for baccarat rouge", "maison-francis-kurkdjian-baccarat-rouge-540-2015"),
    ("smells like blck opium", "ysl-black-opium-2014"),
    ("alternatives to Bleu de Chanel", "chanel-bleu-de-chanel-eau-de-toilette-2010"),
    ("Black Opium 같은 향수", "ysl-black-opium-2014"),
    ("입생로랑 블랙 오피움 같은 향수", "ysl-black-opium-2014"),
    ("톰포드 오드 우드랑 비슷한 향수", "tom-ford-oud-wood-2007"),
    # as people type names: no apostrophe, a brand word that is also a name word, a name
    # word that is a typo of another name's word
    ("jadore dupe", "dior-jadore-1999"),
    ("smells like jadore", "dior-jadore-1999"),
    ("something like leau dissey", "issey-miyake-leau-dissey-1992"),
    ("like miss dior cherie", "dior-miss-dior-cherie-2005"),
    ("like aqua di gio", "armani-acqua-di-gio-pour-homme-1996"),  # the original
    ("like aqua universalis", "maison-francis-kurkdjian-aqua-universalis-2009"),
    # compared: "X but more Y", "Y-er than X"
    ("something sweeter than libre", "ysl-libre-2019"),
    ("less sweet than black opium", "ysl-black-opium-2014"),
    ("블랙 오피움보다 덜 달달한 향수", "ysl-black-opium-2014"),
    ("리브르보다 더 상큼한 향", "ysl-libre-2019"),
    # the community's names: "BR540", "N5", "TF" for Tom Ford
    ("br540 dupe", "maison-francis-kurkdjian-baccarat-rouge-540-2015"),
    ("chanel n5 dupe", "chanel-no5-parfum-1921"),
    ("like bdc but sweeter", "chanel-bleu-de-chanel-eau-de-toilette-2010"),
    ("similar to tf oud wood", "tom-ford-oud-wood-2007"),
])
def test_like_queries_resolve_their_reference(interpreter: QueryInterpreter, query: str,
                                              reference: str) -> None:
    found = parse(interpreter, query).reference
    assert found is not None and found.id == reference


def test_an_unknown_reference_is_reported_and_a_simile_is_not_one(
        interpreter: QueryInterpreter) -> None:
    unknown = parse(interpreter, "similar to Zorblax Nuit").reference
    assert unknown is not None and unknown.id is None and unknown.text == "zorblax nuit"
    assert unknown.suggestions
    korean = parse(interpreter, "쀍뚧 같은 향수").reference
    assert korean is not None and korean.id is None and korean.text == "쀍뚧"
    assert parse(interpreter, "something like a fresh summer day").reference is None


def test_a_like_query_keeps_its_other_constraints(interpreter: QueryInterpreter) -> None:
    found = parse(interpreter, "like Black Opium but for men without coffee")
    assert found.reference is not None and found.reference.id == "ysl-black-opium-2014"
    assert found.genders == ("masculine",) and found.excluded_notes == ("coffee",)
    assert "opium" not in found.text


@pytest.mark.parametrize(("query", "named"), [
    ("Dior Sauvage", {"dior-sauvage-eau-de-toilette-2015", "dior-sauvage-eau-de-parfum-2018",
                      "dior-sauvage-elixir-2021"}),
    ("디올 소바쥬", {"dior-sauvage-eau-de-toilette-2015", "dior-sauvage-eau-de-parfum-2018",
                "dior-sauvage-elixir-2021"}),
    ("톰포드 오드 우드", {"tom-ford-oud-wood-2007"}),
    ("입생로랑 블랙 오피움", {"ysl-black-opium-2014"}),
    ("Light Blue by Dolce & Gabbana", {"dolce-gabbana-light-blue-2001",
                                       "dolce-gabbana-light-blue-pour-homme-2007"}),
])
def test_named_perfumes_and_their_line(interpreter: QueryInterpreter, query: str,
                                       named: set[str]) -> None:
    assert set(parse(interpreter, query).named) == named


def test_a_name_made_of_common_words_needs_its_brand(interpreter: QueryInterpreter) -> None:
    assert parse(interpreter, "oud and wood").named == ()
    assert parse(interpreter, "green tea and fig fresh scent").named == ()
    assert parse(interpreter, "Chanel perfume for women").brands == ("Chanel",)


def test_excluded_words_never_reach_the_embedded_text(interpreter: QueryInterpreter) -> None:
    query = interpreter.interpret("vanilla perfume for women without tonka")
    assert query.english == "vanilla perfume for women" and "tonka" not in query.terms
    assert interpreter.interpret("장미 빼고 플로럴 향수").english == "floral perfume"


@pytest.mark.parametrize(("query", "english"), [
    ("like chanel no 5 but less powdery", ""),  # it said "but"
    ("something like Sauvage but more fresh", "fresh"),  # "but more fresh"
    ("fresh but more woody", "fresh woody"),
    ("fresh but warm", "fresh but warm"),  # a "but" that still joins two wishes stays
])
def test_a_but_that_joins_nothing_left_is_not_embedded(interpreter: QueryInterpreter,
                                                       query: str, english: str) -> None:
    assert interpreter.interpret(query).english == english


def test_a_literal_interpreter_understands_nothing() -> None:
    literal = QueryInterpreter.for_catalog(Catalog.load(), understand=False)
    query = literal.interpret("vanilla without tonka")
    assert query.parse == QueryParse() and query.english == "vanilla without tonka"
