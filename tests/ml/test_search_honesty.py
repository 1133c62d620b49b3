"""Defects a black-box tester found, through the search pipeline on the shipped catalogue
(fake encoder, exact in-memory index): an avoided character, "date" the occasion against
"date" the fruit, prices the catalogue cannot know, queries and filters nothing matches,
the exact name against its flankers, and a mood both wished for and avoided."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from ml.embeddings import HashingEncoder
from ml.exact_index import InMemoryIndex
from ml.indexing import write_index
from ml.knowledge import Catalog, Perfume
from ml.planning import NOT_UNDERSTOOD
from ml.query_words import CHARACTERS
from ml.search import SearchFilters, SearchPipeline, SearchRequest, SearchResult

pytestmark = pytest.mark.unit
DATE_NOTE = "date"


def search(pipeline: SearchPipeline, query: str, top_k: int = 5,
           filters: SearchFilters | None = None) -> SearchResult:
    return pipeline.search(SearchRequest(query, top_k=top_k, filters=filters or SearchFilters()))


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


def is_powdery(perfume: Perfume) -> bool:
    powdery = CHARACTERS["powdery"]
    return (perfume.family in powdery.families or perfume.subfamily in powdery.subfamilies
            or not set(powdery.moods).isdisjoint(perfume.mood))


# ---- 1. an avoided character demotes the perfumes that have it ---------------------------
def test_less_powdery_demotes_the_powdery_perfumes_like_a_mood_avoid(
        pipeline: SearchPipeline, shipped: Catalog) -> None:
    plain = search(pipeline, "like chanel no 5", top_k=20)
    less = search(pipeline, "like chanel no 5 but less powdery", top_k=20)
    assert less.interpreted["avoid"] == ["character: powdery"]
    before = {hit.id: hit.score for hit in plain.hits}
    for hit in less.hits:
        if hit.id in before:
            factor = 0.7 if is_powdery(shipped.perfume(hit.id)) else 1.0
            assert hit.score == pytest.approx(before[hit.id] * factor, abs=1e-5)
    assert "frederic-malle-iris-poudre-2000" not in ids(less)[:5]


# ---- 2. "date" the occasion, and funerals ---------------------------------------------------
@pytest.mark.parametrize("query", ["perfume for a first date", "date night perfume",
                                   "a perfume for a date"])
def test_a_date_is_an_occasion_that_never_matches_the_date_note(
        pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    """The occasion's words are embedded but are no lexical terms: BM25 alone (keyword
    search) finds nothing for "date" the fruit."""
    result = search(pipeline, query)
    assert result.interpreted["occasions"] == ["date"] and result.interpreted["notes"] == []
    keyword = pipeline.search(SearchRequest(query, top_k=20, search_type="keyword"))
    assert not any(DATE_NOTE in shipped.perfume(i).notes for i in ids(keyword))


def test_date_in_a_list_of_notes_is_the_fruit(pipeline: SearchPipeline) -> None:
    result = search(pipeline, "date and fig perfume")
    assert result.interpreted["notes"] == ["date", "fig"]
    assert result.interpreted["occasions"] == []


@pytest.mark.parametrize("query", ["scent for a funeral", "perfume for a memorial service",
                                   "장례식 향수"])
def test_a_funeral_asks_for_a_calm_elegant_classic_scent(
        pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["occasions"] == ["funeral"] and result.message is None
    for perfume in map(shipped.perfume, ids(result)):
        assert {"calm", "elegant", "classic"} & set(perfume.mood)


# ---- 3. prices: reported as ignored, the rest searched -------------------------------------
@pytest.mark.parametrize(("query", "price", "english"), [
    ("fresh summer office scent under 50 dollars", "under 50 dollars",
     "fresh summer office scent"),
    ("fresh summer office scent under $50", "under 50 dollars", "fresh summer office scent"),
    ("cheap vanilla perfume", "cheap", "vanilla perfume"),
    ("rose perfume less than 100 euros", "less than 100 euros", "rose perfume"),
    ("저렴한 바닐라 향수", "cheap", "vanilla perfume")])
def test_a_price_is_said_to_be_ignored_and_the_rest_is_searched(
        pipeline: SearchPipeline, query: str, price: str, english: str) -> None:
    result = search(pipeline, query)
    assert result.message == f"The catalogue has no prices, so {price!r} was ignored."
    assert result.interpreted["english"] == english and len(result.hits) == 5
    plain = search(pipeline, english)
    assert ids(result) == ids(plain) and plain.message is None


def test_but_cheaper_keeps_the_reference_and_says_the_price_is_ignored(
        pipeline: SearchPipeline) -> None:
    result = search(pipeline, "santal 33 but cheaper")
    assert result.interpreted["reference"]["id"] == "le-labo-santal-33-2011"
    assert result.hits and result.message is not None and "no prices" in result.message


# ---- 4. queries and filters nothing matches --------------------------------------------------
# (emoji of notes are their words now: 🌸🍋 is flowers and lemon; these name none)
@pytest.mark.parametrize("query", ["🦄🎸", "!!!???...", "zorblax quux perfume"])
def test_a_query_with_nothing_understood_says_so(pipeline: SearchPipeline,
                                                 query: str) -> None:
    result = search(pipeline, query)
    assert result.message == NOT_UNDERSTOOD


@pytest.mark.parametrize("query", ["rose perfume", "perfume for a first date",
                                   "smells like rain", "Aventus"])
def test_an_understood_query_gets_no_such_message(pipeline: SearchPipeline,
                                                  query: str) -> None:
    result = search(pipeline, query)
    assert NOT_UNDERSTOOD not in (result.message or "")


def test_filters_that_match_nothing_say_so(pipeline: SearchPipeline) -> None:
    """A note no perfume is named with said only that nothing matched the filters."""
    result = search(pipeline, "rose", filters=SearchFilters(notes_include=["zzzz"]))
    assert result.hits == ()
    assert result.message == ("No perfume in the catalogue has the note 'zzzz' "
                              "(notes_include): no note of the catalogue is named so.")
    both = search(pipeline, "rose", filters=SearchFilters(notes_include=["oud", "civet"],
                                                        family=["citrus"]))
    assert both.hits == ()
    assert both.message == "No perfume in the catalogue matches the filters."
    excluded = search(pipeline, "rose perfume without rose",
                      filters=SearchFilters(notes_include=["rose"]))
    assert excluded.hits == () and excluded.message == (
        "No perfume in the catalogue matches the filters and the exclusions.")


# ---- 5. the exact name before its flankers ----------------------------------------------------
class FlankerLeaningEncoder(HashingEncoder):
    """Embeds a bare "aventus" as "aventus for her": the cosine favours the flanker, as
    the shipped model's does."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return super().encode([f"{t} for her" if t == "aventus" else t for t in texts])


def test_the_exact_name_outranks_a_flanker_the_embedding_prefers(shipped: Catalog) -> None:
    encoder, index = FlankerLeaningEncoder(), InMemoryIndex()
    write_index(index, encoder, shipped)
    leaning = SearchPipeline(encoder, index, shipped)
    try:
        assert ids(search(leaning, "Aventus"))[:2] == ["creed-aventus-2010",
                                                       "creed-aventus-for-her-2016"]
    finally:
        leaning.close()


@pytest.mark.parametrize(("query", "first"), [
    ("Aventus", "creed-aventus-2010"), ("creed aventus", "creed-aventus-2010"),
    ("Aventus for Her", "creed-aventus-for-her-2016")])
def test_the_perfume_named_in_full_ranks_first(pipeline: SearchPipeline, query: str,
                                               first: str) -> None:
    result = search(pipeline, query)
    assert ids(result)[0] == first
    # a name looked up says what the other hits are, not which "constraint relaxes"
    assert result.message is not None and "relax" not in result.message
    assert result.message.endswith("; the others are the nearest to it."), result.message


# ---- 6. a mood both wished for and avoided --------------------------------------------------
def test_not_too_sweet_outweighs_sweet(pipeline: SearchPipeline) -> None:
    result = search(pipeline, "sweet gourmand but not too sweet", top_k=10)
    assert result.interpreted["moods"] == [] and result.interpreted["avoid"] == ["mood: sweet"]
    assert result.interpreted["families"] == ["gourmand"]
    assert result.interpreted["english"] == "gourmand"
    assert "mood: sweet" not in result.interpreted["constraints"]


# ---- material limits: the catalogue lists no ingredients, so it says it could not check ---
@pytest.mark.parametrize(("query", "said", "unchecked"), [
    ("hypoallergenic perfume for sensitive skin", ("'hypoallergenic'", "'for sensitive skin'"),
     "allergens"),
    ("vegan rose perfume", ("'vegan'",), "materials of animal origin"),
    ("all natural, no synthetics woody scent", ("'all natural'", "'no synthetics'"),
     "synthetic materials"),
    ("저자극 향수", ("'저자극'",), "allergens"),
    ("гипоаллергенные духи", ("'hypoallergenic'",), "allergens")])
def test_a_material_limit_is_said_to_be_unchecked(pipeline: SearchPipeline, query: str,
                                                  said: tuple[str, ...],
                                                  unchecked: str) -> None:
    """"hypoallergenic perfume" ranked perfumes as if the catalogue knew their allergens;
    the result now says it cannot (and that a recipe brief can leave them out)."""
    message = search(pipeline, query).message or ""
    assert message.startswith("The catalogue does not list the perfumes' ingredients")
    assert all(phrase in message for phrase in said), message
    assert f"these hits are not screened for {unchecked}." in message


def test_a_limit_said_not_to_matter_or_on_materials_gets_no_such_notice(
        pipeline: SearchPipeline) -> None:
    for query in ("doesn't have to be vegan, a warm amber", "fresh citrus for summer"):
        assert "ingredients" not in (search(pipeline, query).message or "")
    materials = search(pipeline, "hypoallergenic musk",
                       filters=SearchFilters(kind="material"))
    assert "ingredients" not in (materials.message or "")


# ---- a filter's note as people write it -----------------------------------------------------
def notes_of(pipeline: SearchPipeline, perfume_id: str) -> set[str]:
    return set(pipeline.catalog.perfume(perfume_id).notes)


@pytest.mark.parametrize(("query", "excluded", "read"), [
    ("sweet gourmand", ["vanila"], "vanilla"),
    ("sweet gourmand", ["bourbon vanilla"], "vanilla"),
    ("sweet gourmand", ["vanilla bean"], "vanilla"),
    ("woody", ["sandlewood"], "sandalwood")])
def test_a_misspelt_or_qualified_excluded_note_excludes_its_note(
        pipeline: SearchPipeline, query: str, excluded: list[str], read: str) -> None:
    """They excluded nothing, silently: the top hits of "sweet gourmand" without "vanila"
    all had vanilla."""
    plain = search(pipeline, query, top_k=10)
    assert any(read in notes_of(pipeline, i) for i in ids(plain)), "the test needs them"
    result = search(pipeline, query, top_k=10, filters=SearchFilters(notes_exclude=excluded))
    assert result.hits and not [i for i in ids(result) if read in notes_of(pipeline, i)]
    assert f"filters.notes_exclude {excluded[0]!r} was read as {read!r}." in (
        result.message or "")


def test_an_excluded_note_that_names_nothing_is_said_to_exclude_nothing(
        pipeline: SearchPipeline) -> None:
    result = search(pipeline, "woody", filters=SearchFilters(notes_exclude=["asdf"]))
    assert result.hits and result.message == (
        "filters.notes_exclude 'asdf' names no note of the catalogue: it excludes nothing.")
    plain = search(pipeline, "woody", filters=SearchFilters(notes_exclude=["vanilla"]))
    assert plain.message is None  # a note of the catalogue as written: nothing to say


def test_a_misspelt_included_note_is_read_as_its_note(pipeline: SearchPipeline) -> None:
    result = search(pipeline, "warm", filters=SearchFilters(notes_include=["vanila"]))
    assert result.hits and all("vanilla" in notes_of(pipeline, i) for i in ids(result))
    assert "filters.notes_include 'vanila' was read as 'vanilla'." in (result.message or "")


@pytest.mark.parametrize(("query", "note"), [("irises", "iris"), ("peaches", "peach"),
                                             ("roses", "rose"), ("lilies", "lily")])
def test_a_plural_in_es_is_read_as_its_note(pipeline: SearchPipeline, query: str,
                                            note: str) -> None:
    """"irises" and "peaches" were not understood (the singular of "-es" was "irise")."""
    result = search(pipeline, query)
    assert result.interpreted["notes"] == [note] and result.message is None


@pytest.mark.parametrize("query", ["fresher than zorblax", "less sweet than zorblax"])
def test_a_comparison_with_an_unknown_perfume_says_so(pipeline: SearchPipeline,
                                                      query: str) -> None:
    """"fresher than zorblax" answered hits and no message; "like zorblax" says no perfume
    has that name."""
    result = search(pipeline, query)
    like = search(pipeline, "like zorblax")
    assert result.message and "zorblax" in result.message
    assert result.message == like.message and ids(result) == ids(like)


def test_a_comparison_with_everyday_words_is_no_reference(pipeline: SearchPipeline) -> None:
    assert search(pipeline, "something lighter than usual").message is None


@pytest.mark.parametrize(("excluded", "note"), [("spicy", "cinnamon"), ("floral", "rose"),
                                                ("fruity", "peach")])
def test_a_character_in_an_exclude_filter_excludes_its_group(
        pipeline: SearchPipeline, excluded: str, note: str) -> None:
    """`notes_exclude: ["spicy"]` said it "excludes nothing": 14 of 20 hits had cinnamon."""
    plain = search(pipeline, "warm evening", top_k=20)
    assert any(note in notes_of(pipeline, i) for i in ids(plain)), "the test needs them"
    result = search(pipeline, "warm evening", top_k=20,
                    filters=SearchFilters(notes_exclude=[excluded]))
    assert result.hits and not [i for i in ids(result) if note in notes_of(pipeline, i)]
    assert f"filters.notes_exclude {excluded!r} was read as " in (result.message or "")


@pytest.mark.parametrize(("query", "excluded", "says"), [
    ("vanilla", ["vanilla"], "'vanilla' (excluded as 'vanilla')"),
    ("warm vanilla and amber", ["bourbon vanilla"], "'vanilla' (excluded as 'bourbon vanilla')"),
])
def test_a_note_the_query_asks_for_and_its_own_filter_excludes_is_said_to_clash(
        pipeline: SearchPipeline, query: str, excluded: list[str], says: str) -> None:
    """The answer said only "0 of 5 hits meet every constraint; the others relax: note:
    vanilla", as if the catalogue had no vanilla perfume."""
    result = pipeline.search(SearchRequest(query, top_k=5, filters=SearchFilters(
        notes_exclude=tuple(excluded))))
    assert result.message and f"The query asks for {says}" in result.message
    assert "the filter wins" in result.message
    assert not any("vanilla" in hit.notes["base"] + hit.notes["heart"] + hit.notes["top"]
                   for hit in result.hits)
    unrelated = pipeline.search(SearchRequest("rose", top_k=5, filters=SearchFilters(
        notes_exclude=("vanilla",))))
    assert unrelated.message is None or "asks for" not in unrelated.message


@pytest.mark.parametrize(("query", "said"), [
    ("long lasting but not too strong", "strong, not strong"),
    ("fresh and floral, nothing too heavy, but it should last all day", "strong, not strong"),
    ("light but long lasting", "light, strong"),
])
def test_intensities_that_pull_apart_are_said_and_neither_is_required(
        pipeline: SearchPipeline, query: str, said: str) -> None:
    """"nothing too heavy ... should last all day" was read as intensity strong and strong
    avoided at once, and the message said nothing."""
    result = search(pipeline, query)
    assert result.interpreted["intensity"] is None
    assert not [a for a in result.interpreted["avoid"] if a.startswith("intensity")]
    assert result.message and f"intensities that pull apart ({said})" in result.message
    assert "Nothing in the query was understood" not in result.message
    assert search(pipeline, "something strong").interpreted["intensity"] == "strong"
