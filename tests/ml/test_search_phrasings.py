"""Phrasings people type that the parser used to misread, through the search pipeline on
the shipped catalogue (fake encoder, exact in-memory index): "smells like <a description>",
a trailing "dupe" / "clone" / "alternative" / "but cheaper" / "but less X", and misspelt
note, family and mood words."""

from __future__ import annotations

import pytest

from ml.edit_distance import edit_distance
from ml.knowledge import Catalog
from ml.search import SearchPipeline, SearchRequest, SearchResult
from ml.spelling import SpellingCorrector, english_words

pytestmark = pytest.mark.unit
LAUNDRY_NOTES = {"white musk", "aldehydes", "cotton"}
NO5 = {"chanel-no5-parfum-1921", "chanel-no5-eau-de-parfum-1986", "chanel-no5-leau-2016"}
SANTAL_33 = "le-labo-santal-33-2011"


def search(pipeline: SearchPipeline, query: str, top_k: int = 5) -> SearchResult:
    return pipeline.search(SearchRequest(query, top_k=top_k))


def ids(result: SearchResult) -> list[str]:
    return [hit.id for hit in result.hits]


# ---- "smells like <a description>" ------------------------------------------------------
@pytest.mark.parametrize("query", ["smells like clean laundry", "smells like fresh laundry",
                                   "빨래 냄새 나는 향수"])
def test_smells_like_laundry_finds_clean_musks_and_aldehydes(
        pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["reference"] is None and result.message is None
    assert result.interpreted["families"] == []  # laundry is no Fragrance Wheel family
    assert result.interpreted["notes"] == ["aldehydes or cotton or white musk"]
    assert len(result.hits) == 5
    for perfume in map(shipped.perfume, ids(result)):
        assert LAUNDRY_NOTES & set(perfume.notes) or perfume.subfamily in ("musky",
                                                                           "aldehydic")


@pytest.mark.parametrize("query", ["smells like the beach", "smells like the seaside",
                                   "해변 같은 향수"])
def test_smells_like_the_beach_finds_aquatic_perfumes(pipeline: SearchPipeline,
                                                      shipped: Catalog, query: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["reference"] is None and result.message is None
    assert "aquatic" in result.interpreted["families"] and len(result.hits) == 5
    for perfume in map(shipped.perfume, ids(result)):
        assert perfume.family == "water" or perfume.subfamily == "aquatic"


def test_smells_like_unknown_words_searches_them_and_says_no_perfume_has_that_name(
        pipeline: SearchPipeline) -> None:
    # (rain is now a described smell: test_search_everyday_words)
    result = search(pipeline, "smells like wet cardboard")
    assert result.hits and result.interpreted["reference"] is None
    assert result.message is not None
    assert result.message.startswith("Searched for perfumes that smell like 'wet cardboard' "
                                     "by their descriptions")


@pytest.mark.parametrize(("query", "words"), [
    ("a perfume that smells like hot asphalt", "hot asphalt"),
    ("smells like a dusty attic", "a dusty attic"),
    ("smells like pencil shavings", "pencil shavings"),
])
def test_a_described_smell_gets_no_far_fetched_name_suggestions(
        pipeline: SearchPipeline, query: str, words: str) -> None:
    """"Did you mean: Bigarade Concentrée, Jasmin et Cigarette?" for "rain on concrete" read
    as a broken search: after "smells like", names are suggested only when alike enough to
    be a misspelling (`ml.names.SIMILE_SUGGESTION_RATIO`)."""
    assert search(pipeline, query).message == (
        f"Searched for perfumes that smell like {words!r} by their descriptions: it names no "
        "note, family or perfume of the catalogue.")


@pytest.mark.parametrize(("query", "reference"), [
    ("smells like Sauvage", "dior-sauvage-eau-de-toilette-2015"),
    ("like chanel no 5", "chanel-no5-parfum-1921"),
    ("smells like Creed Aventus", "creed-aventus-2010"),
])
def test_a_perfume_name_after_like_is_still_the_reference(
        pipeline: SearchPipeline, query: str, reference: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["reference"]["id"] == reference and result.hits


def test_a_strong_marker_before_unknown_words_still_reports_an_unknown_perfume(
        pipeline: SearchPipeline) -> None:
    for query in ("similar to Zorblax Nuit", "zorblax dupe"):
        result = search(pipeline, query)
        assert result.hits == () and result.message is not None
        assert result.message.startswith("No perfume in the catalogue matches 'zorblax")


# ---- a trailing "dupe", "clone", "alternative", "but cheaper", "but less / more X" -------
@pytest.mark.parametrize("query", ["chanel no 5 dupe", "Chanel No 5 dupes", "chanel no5 clone",
                                   "chanel no 5 alternative", "dupe for chanel no 5",
                                   "샤넬 넘버5 대체", "샤넬 넘버5 비슷한 향수"])
def test_a_trailing_dupe_marker_makes_the_perfume_the_reference(
        pipeline: SearchPipeline, query: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["reference"]["id"] == "chanel-no5-parfum-1921"
    assert result.interpreted["perfumes"] == [] and result.interpreted["constraints"] == []
    assert len(result.hits) == 5 and not NO5 & set(ids(result))
    assert result.relaxed == () and result.message is None


def test_but_less_x_is_like_the_perfume_with_x_avoided(pipeline: SearchPipeline) -> None:
    """Read as "like Santal 33 but less sweet": the same parse, the same ranking."""
    result = search(pipeline, "santal 33 but less sweet", top_k=10)
    assert result.interpreted["reference"]["id"] == SANTAL_33
    assert result.interpreted["avoid"] == ["mood: sweet"] and result.interpreted_query == ""
    assert SANTAL_33 not in ids(result) and result.message is None
    assert ids(result) == ids(search(pipeline, "like santal 33 but less sweet", top_k=10))


@pytest.mark.parametrize(("query", "families"), [
    ("santal 33 but more smoky", ["smoky"]), ("santal 33 but cheaper", []),
    ("santal 33 clone", []), ("산탈 33 비슷한", [])])
def test_other_trailing_forms_take_the_perfume_as_the_reference(
        pipeline: SearchPipeline, query: str, families: list[str]) -> None:
    result = search(pipeline, query)
    assert result.interpreted["reference"]["id"] == SANTAL_33
    assert result.interpreted["families"] == families and result.interpreted["perfumes"] == []
    assert result.hits and SANTAL_33 not in ids(result)


def test_a_trailing_dupe_keeps_what_follows_it(pipeline: SearchPipeline,
                                               shipped: Catalog) -> None:
    result = search(pipeline, "baccarat rouge 540 dupe for women")
    assert result.interpreted["reference"]["id"] == (
        "maison-francis-kurkdjian-baccarat-rouge-540-2015")
    assert result.interpreted["genders"] == ["feminine"]
    assert all(shipped.perfume(i).gender == "feminine" for i in ids(result))


# ---- misspelt words ------------------------------------------------------------------------
def test_misspelt_note_and_family_words_are_understood_and_said(
        pipeline: SearchPipeline) -> None:
    typed = search(pipeline, "woddy vanila parfum for winter")
    spelt = search(pipeline, "woody vanilla parfum for winter")
    assert typed.interpreted["notes"] == ["vanilla"] and typed.interpreted["families"] == [
        "woody"]
    assert typed.interpreted["seasons"] == ["winter"]
    assert typed.interpreted["corrected"] == {"woddy": "woody", "vanila": "vanilla"}
    assert ids(typed) == ids(spelt) and spelt.interpreted["corrected"] == {}


@pytest.mark.parametrize(("query", "notes", "corrected"), [
    ("lavander cologne", ["lavender"], {"lavander": "lavender"}),
    ("sandlewood and bergamont", ["sandalwood", "bergamot"],
     {"sandlewood": "sandalwood", "bergamont": "bergamot"}),
    ("romantc perfume with tuberoze", ["tuberose"],
     {"romantc": "romantic", "tuberoze": "tuberose"}),
])
def test_typos_in_notes_and_moods(pipeline: SearchPipeline, query: str, notes: list[str],
                                  corrected: dict[str, str]) -> None:
    result = search(pipeline, query)
    assert result.interpreted["notes"] == notes and result.interpreted["corrected"] == corrected


@pytest.mark.parametrize("query", ["something good to wear to work", "a nice gift for my wife",
                                   "long lasting scent that i love", "safe blind buy"])
def test_everyday_words_are_never_read_as_typos(pipeline: SearchPipeline, query: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["corrected"] == {} and result.interpreted["notes"] == []


def test_edit_distance_counts_a_swap_as_one_edit() -> None:
    assert edit_distance("vanilla", "vanilla", 2) == 0
    assert edit_distance("vanila", "vanilla", 2) == 1
    assert edit_distance("vanilal", "vanilla", 2) == 1
    assert edit_distance("woddy", "woody", 1) == 1
    assert edit_distance("kumquat", "karounde", 2) == 3  # past the limit: limit + 1


def test_the_corrector_leaves_short_known_and_ambiguous_words_alone(shipped: Catalog) -> None:
    from ml.phrases import PhraseTable

    phrases = PhraseTable.build(shipped.note_vocabulary(), shipped.mood_vocabulary())
    corrector = SpellingCorrector(phrases, english_words())
    assert corrector.correct("citris") == "citrus"  # not "citric": the word of the meaning
    assert corrector.correct("musc") is None  # the French spelling, read as musk as typed
    assert corrector.correct("vanile") == "vanilla"  # next to "vanille", read by its name
    assert corrector.correct("rse") is None  # under four letters
    assert corrector.correct("good") is None and corrector.correct("wear") is None  # words
    assert corrector.correct("zorblax") is None  # nothing close
    assert corrector.correct("spicr") is None  # "spice" (the group) or "spicy" (a family)?


# ---- "to smell expensive" is a description, not a price -------------------------------------
@pytest.mark.parametrize(("query", "price"), [
    ("i want to smell expensive", None),
    ("expensive-smelling woody perfume", None),
    ("something that smells expensive but is cheap", "The catalogue has no prices, so 'cheap' "
                                                     "was ignored."),
])
def test_smelling_expensive_is_an_elegant_mood_not_a_price(
        pipeline: SearchPipeline, query: str, price: str | None) -> None:
    result = search(pipeline, query)
    assert result.interpreted["moods"] == ["elegant"]
    assert result.message == price


# ---- a query that only names a perfume: it, then the perfumes most like it ------------------
@pytest.mark.parametrize(("query", "like"), [
    ("YSL Libre", "like YSL Libre"),
    ("la vie est belle", "similar to la vie est belle"),
    ("tom ford black orchid", "like tom ford black orchid"),
])
def test_a_named_perfume_comes_first_and_its_neighbours_after_it(
        pipeline: SearchPipeline, query: str, like: str) -> None:
    """"YSL Libre" listed Libre, then Etat Libre d'Orange's perfumes (the word "libre")
    under "the others are the nearest to it": the others are now what "like YSL Libre"
    finds, the named perfume's neighbours."""
    named, alike = search(pipeline, query, top_k=6), search(pipeline, like, top_k=6)
    assert named.message is not None and named.message.startswith("1 of 6 hits are ")
    assert named.message.endswith("; the others are the nearest to it.")
    reference = alike.interpreted["reference"]["id"]
    assert named.hits[0].id == reference
    assert [hit.id for hit in named.hits[1:]] == [hit.id for hit in alike.hits[:5]]


def test_a_flanker_of_the_named_line_keeps_a_likeness_score(pipeline: SearchPipeline) -> None:
    """"Aventus" names Aventus for Her too (its line): a fruity flanker of a chypre is far
    on the wheel, yet asked for by name; its score is its notes and description, not 0."""
    hits = search(pipeline, "aventus", top_k=4).hits
    assert [hit.id for hit in hits[:2]] == ["creed-aventus-2010", "creed-aventus-for-her-2016"]
    assert hits[1].score > 0.1


# ---- "like X but more Y": Y's perfumes, ranked by likeness to X ------------------------------
def test_like_x_but_another_family_ranks_that_family_by_likeness_to_x(
        pipeline: SearchPipeline, shipped: Catalog) -> None:
    """"like Aventus but more fruity" asks for fruity perfumes: the wheel's distance from
    Aventus's family (a chypre) no longer scores every one of them near 0."""
    result = search(pipeline, "something like aventus but more fruity", top_k=5)
    assert result.interpreted["reference"]["id"] == "creed-aventus-2010"
    assert result.interpreted["families"] == ["fruity"] and result.relaxed == ()
    # every hit is fruity (nothing relaxed): of the fruity family, or fruity by its notes
    # (Pomelo Paradis's blackcurrant and pomelo), the feminine ones behind unisex ones
    assert sum(shipped.perfume(hit.id).family == "fruity" for hit in result.hits) >= 3
    assert min(hit.score for hit in result.hits) > 0.2


@pytest.mark.parametrize(("query", "mood", "intensity"), [
    ("like black opium but fresher", "fresh", None),
    ("something sweeter than libre", "sweet", None),
    ("like sauvage but lighter", None, "light"),
])
def test_comparatives_are_their_wishes(pipeline: SearchPipeline, query: str,
                                       mood: str | None, intensity: str | None) -> None:
    """A mood compared is preferred among the reference's neighbours, not required: as a
    requirement "like Black Opium but fresher" listed N°5 L'Eau, sharing nothing."""
    result = search(pipeline, query)
    assert result.interpreted["reference"] is not None
    assert result.interpreted["prefer"] == ([f"mood: {mood}"] if mood else [])
    assert result.interpreted["moods"] == []
    assert result.interpreted["intensity"] == intensity


def test_a_search_stamp_covers_the_code_and_lexicon_that_read_queries(
        pipeline: SearchPipeline) -> None:
    """Cached searches are answered only under the stamp they ran on (`core.search_cache`):
    with the query-reading code in it, a release that reads "isn't too sweet" anew does
    not answer it from the cache of the last one."""
    from ml.indexing import index_stamp
    from ml.search import logic_fingerprint

    assert pipeline.stamp.startswith(index_stamp(pipeline._catalog,
                                                 pipeline._encoder.model_version))
    assert pipeline.stamp.endswith(f";logic={logic_fingerprint()}")
    assert len(logic_fingerprint()) == 16


# ---- filters name notes as people write them ----------------------------------------------
@pytest.mark.parametrize(("written", "catalogue"), [
    ("tonka", {"tonka bean", "tonka", "coumarin"}), ("roses", {"rose"}),
    ("agarwood", {"oud", "agarwood"}), ("santal", {"sandalwood", "santal"}),
    ("jasmin", {"jasmine", "water jasmine"}), ("vanille", {"vanilla", "vanille"}),
])
def test_a_filter_note_matches_the_catalogue_s_names_of_it(
        pipeline: SearchPipeline, shipped: Catalog, written: str, catalogue: set[str]) -> None:
    """`filters.notes_include: ["tonka"]` found nothing (the catalogue says "tonka bean"),
    and `notes_exclude: ["roses"]` kept every rose perfume."""
    from ml.search import SearchFilters

    held = [p.id for p in shipped.perfumes if catalogue & set(p.notes)]
    found = pipeline.search(SearchRequest("warm", top_k=len(shipped.perfumes),
                                          filters=SearchFilters(notes_include=[written])))
    assert sorted(hit.id for hit in found.hits) == sorted(held)
    kept = pipeline.search(SearchRequest("warm", top_k=len(shipped.perfumes),
                                         filters=SearchFilters(notes_exclude=[written])))
    assert kept.hits and not {hit.id for hit in kept.hits} & set(held)


# ---- emoji -----------------------------------------------------------------------------------
@pytest.mark.parametrize(("query", "notes", "fields"), [
    ("🌹🍦", ["rose", "vanilla"], {}),
    ("🍋🌊", ["lemon"], {"families": ["aquatic"]}),
    ("something ❄️🔥 for him", [], {"seasons": ["winter"], "genders": ["masculine"]}),
])
def test_emoji_are_read_as_their_words(pipeline: SearchPipeline, query: str,
                                       notes: list[str], fields: dict[str, list[str]]) -> None:
    """"🌹🍦" was "Nothing in the query was understood" and five random perfumes."""
    result = search(pipeline, query)
    assert result.interpreted["notes"] == notes
    assert {key: result.interpreted[key] for key in fields} == fields
    assert "understood" not in (result.message or "")
    if notes:
        assert all(set(notes) <= set(hit.payload["notes"]) for hit in result.hits[:3])


# ---- kinds of perfume together, and qualified notes ---------------------------------------
SALTY_OR_MARINE = {"marine notes", "sea salt", "calone", "seaweed", "water notes", "driftwood"}


def test_a_gourmand_aquatic_is_a_sweet_perfume_with_the_sea_in_it(
        pipeline: SearchPipeline, shipped: Catalog) -> None:
    """No hit met both ("0 of 5 hits meet every constraint"): a perfume has one family, and
    aquatic was a family only. Marine notes make a perfume aquatic too."""
    result = search(pipeline, "gourmand aquatic")
    assert (result.message or "").startswith("2 of 5 hits meet every constraint")
    for perfume in map(shipped.perfume, ids(result)[:2]):
        assert SALTY_OR_MARINE & set(perfume.notes)
        assert perfume.subfamily in ("gourmand", "amber_vanilla")


def test_a_qualified_note_finds_the_note_so_qualified(pipeline: SearchPipeline,
                                                      shipped: Catalog) -> None:
    """"smoked vanilla" listed a salty vanilla first: "smoked" was dropped."""
    for perfume in map(shipped.perfume, ids(search(pipeline, "smoked vanilla", 3))):
        assert "vanilla" in perfume.notes
        assert perfume.subfamily in ("incense", "tobacco") or perfume.family == "dry_woods" \
            or {"smoke", "incense", "birch", "tar", "tobacco"} & set(perfume.notes)
