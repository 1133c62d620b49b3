"""Japanese and Chinese queries (`ml.cjk`): "ジャスミンの香水", "ローズ", "胡椒 木质" were
understood as nothing and listed the same random perfumes. The vocabulary of notes,
families, moods, seasons, genders and a few houses and names is read as Korean is, words
found without spaces and unknown characters skipped."""

from __future__ import annotations

import pytest

from ml.knowledge import Catalog
from ml.query import QueryInterpreter

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def interpreter(shipped: Catalog) -> QueryInterpreter:
    return QueryInterpreter.for_catalog(shipped)


@pytest.mark.parametrize(("query", "lang", "expected"), [
    ("ジャスミンの香水", "ja", {"notes": ["jasmine"]}),
    ("ローズ", "ja", {"notes": ["rose"]}),
    ("夏に爽やかな香水", "ja", {"seasons": ["summer"], "moods": ["fresh"]}),
    ("メンズのウッディな香水", "ja", {"genders": ["masculine"], "families": ["woody"]}),
    ("バニラなしの甘い香水", "ja", {"excluded_notes": ["vanilla"], "moods": ["sweet"]}),
    ("バラ以外のフローラル", "ja", {"excluded_notes": ["rose"], "families": ["floral"]}),
    ("胡椒 木质", "zh", {"notes": ["black pepper"], "families": ["woody"]}),
    ("不要玫瑰的木质香水", "zh", {"excluded_notes": ["rose"], "families": ["woody"]}),
    ("适合夏天的清新女士香水", "zh", {"genders": ["feminine"], "seasons": ["summer"],
                                 "moods": ["fresh"]}),
    ("桂花香水", "zh", {"notes": ["osmanthus"]}),
])
def test_a_japanese_or_chinese_query_is_read(interpreter: QueryInterpreter, query: str,
                                            lang: str, expected: dict[str, list[str]]) -> None:
    read = interpreter.interpret(query)
    assert read.lang == lang
    parse = read.parse
    got = {"notes": [n for options in parse.notes for n in options],
           "excluded_notes": list(parse.excluded_notes), "families": list(parse.characters),
           "genders": list(parse.genders), "seasons": list(parse.seasons),
           "moods": list(parse.moods)}
    assert {key: got[key] for key in expected} == expected, got
    assert all(not values for key, values in got.items() if key not in expected), got


@pytest.mark.parametrize(("query", "perfume"), [
    ("黑鸦片", "Black Opium"), ("祖玛珑 鼠尾草与海盐", "Wood Sage & Sea Salt"),
    ("バカラルージュ540", "Baccarat Rouge 540")])
def test_names_written_in_japanese_or_chinese_name_their_perfume(
        interpreter: QueryInterpreter, query: str, perfume: str) -> None:
    parse = interpreter.interpret(query).parse
    assert any(shipped_name.startswith(perfume) for shipped_name in _names(parse.named))


@pytest.mark.parametrize(("query", "reference"), [
    ("像香奈儿五号的香水", "chanel-no5"), ("ディオールのソヴァージュみたいな香水", "dior-sauvage")])
def test_likeness_in_japanese_or_chinese_names_its_reference(
        interpreter: QueryInterpreter, query: str, reference: str) -> None:
    found = interpreter.interpret(query).parse.reference
    assert found is not None and found.id is not None and found.id.startswith(reference)


def _names(ids: tuple[str, ...]) -> list[str]:
    catalog = Catalog.load()
    return [catalog.perfume(i).name for i in ids]
