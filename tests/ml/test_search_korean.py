from __future__ import annotations

import json

import pytest

from ml.knowledge import Catalog
from ml.korean import LEXICON_FILE, Lexicon, contains_hangul, translate
from ml.query import QueryInterpreter

pytestmark = pytest.mark.unit

SEED = "상큼하고 로맨틱한 봄 향수"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load()


@pytest.fixture
def interpreter(catalog: Catalog, lexicon: Lexicon) -> QueryInterpreter:
    return QueryInterpreter.for_catalog(catalog, lexicon)


def test_the_lexicon_is_large_and_has_no_duplicates() -> None:
    rows = json.loads(LEXICON_FILE.read_text(encoding="utf-8"))["entries"]
    assert len(rows) >= 150
    assert len({row["ko"] for row in rows}) == len(rows)
    assert {"family", "note", "mood", "season", "gender", "intensity", "occasion", "negation",
            "like", "conjunction"} <= {row["category"] for row in rows}


def test_hangul_detection() -> None:
    assert contains_hangul(SEED) and contains_hangul("rose 장미")
    assert not contains_hangul("fresh spring perfume")


def test_the_seed_query_becomes_english_with_a_spring_hint(
        interpreter: QueryInterpreter) -> None:
    query = interpreter.interpret(SEED)
    assert query.lang == "ko"
    assert {"fresh", "romantic", "spring"} <= set(query.english.split())
    assert not contains_hangul(query.english) and query.untranslated == ()
    assert query.hints.seasons == {"spring"}
    assert {"fresh", "romantic"} <= query.hints.moods


@pytest.mark.parametrize(("korean", "english"), [
    ("상큼하고", "fresh citrus"), ("로맨틱한", "romantic"), ("관능적인", "sensual"),
    ("장미향이 나는", "rose"), ("봄향수", "spring perfume"), ("남자용", "masculine men"),
    ("부드러운", "soft"), ("겨울에", "winter"), ("바닐라와 머스크를", "vanilla musk"),
])
def test_particles_and_endings_are_stripped(lexicon: Lexicon, korean: str,
                                            english: str) -> None:
    translation = translate(korean, lexicon)
    assert translation.english.replace(" scent", "") == english
    assert translation.untranslated == ()


@pytest.mark.parametrize(("korean", "english"), [
    ("비 오는 날 어울리는 향", "rainy day scent"), ("비오는날", "rainy day"),
    ("눈 오는 날 향수", "snowy winter day perfume"), ("장마철 향수", "rainy season perfume"),
])
def test_weather_is_read_as_the_english_says_it(lexicon: Lexicon, korean: str,
                                                english: str) -> None:
    """"A scent for a rainy day" in Korean was "nothing understood" (비, 오는, 날 each
    unknown) where the English query reached the perfumes it names."""
    translation = translate(korean, lexicon)
    assert translation.english == english and translation.untranslated == ()


def test_longest_prefix_wins(lexicon: Lexicon) -> None:
    assert translate("로즈마리", lexicon).english == "rosemary"
    assert translate("화이트머스크", lexicon).english == "white musk"


def test_unknown_words_are_reported_and_latin_words_kept(lexicon: Lexicon) -> None:
    translation = translate("쀍뚧 Chanel 장미", lexicon)
    assert translation.english == "Chanel rose"
    assert translation.untranslated == ("쀍뚧",)


def test_english_queries_get_the_same_hints(interpreter: QueryInterpreter) -> None:
    hints = interpreter.interpret("Woody amber with roses and tonka for men in winter").hints
    assert hints.families == {"woody_amber"}
    assert hints.notes == {"rose", "tonka bean"}
    assert hints.genders == {"masculine"} and hints.seasons == {"winter"}
    assert interpreter.interpret("a perfume").hints.is_empty()


def test_korean_and_english_paraphrases_share_hints(interpreter: QueryInterpreter) -> None:
    korean = interpreter.interpret("여성을 위한 장미 향수")
    english = interpreter.interpret("rose perfume for women")
    assert korean.hints == english.hints
