"""Defects a black-box tester found in how negations, descriptions, variant spellings and
Korean names are read, through the search pipeline on the shipped catalogue (fake encoder,
exact in-memory index), and two rankings with the real model: an avoided mood demotes the
perfumes with its notes ("not too sweet": vanilla, tonka), "no woods" excludes the wood
notes as "no citrus" does the citrus ones, a negated word the parser does not know is
never embedded, "540" is read once in "바카라 루쥬 540", "laundry" is no family, and French
note spellings ("jasmin", "santal") are notes unless they are part of a perfume's name."""

from __future__ import annotations

import pytest

from ml.constraints import PARTIAL, Constraint, FacetIndex, build_avoided
from ml.knowledge import Catalog, Perfume
from ml.korean import Lexicon, translate
from ml.notes import SWEETS, WOODS, NoteTaxonomy
from ml.planning import Planner
from ml.query import QueryInterpreter
from ml.query_words import CHARACTERS, OCCASIONS
from ml.search import SearchPipeline, SearchRequest, SearchResult

pytestmark = pytest.mark.unit


def search(pipeline: SearchPipeline, query: str, top_k: int = 10) -> SearchResult:
    return pipeline.search(SearchRequest(query, top_k=top_k))


def is_sweet(perfume: Perfume) -> bool:
    return "sweet" in perfume.mood or not set(SWEETS).isdisjoint(perfume.notes)


@pytest.fixture(scope="module")
def interpreter(shipped: Catalog) -> QueryInterpreter:
    return QueryInterpreter.for_catalog(shipped)


# ---- 1. an avoided mood demotes the perfumes carrying it, its notes too -----------------------
@pytest.mark.parametrize("query", ["no sweet", "nothing sweet", "floral, not too sweet",
                                   "amber but not sweet", "woody scent, not too sweet"])
def test_an_avoided_sweetness_puts_perfumes_that_are_not_sweet_first(
        pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    result = search(pipeline, query)
    assert result.interpreted["avoid"] == ["mood: sweet"] and len(result.hits) == 10
    sweet = [hit.id for hit in result.hits if is_sweet(shipped.perfume(hit.id))]
    assert len(sweet) <= 2, sweet


def test_the_notes_of_an_avoided_mood_count_for_part_of_it(shipped: Catalog,
                                                           interpreter: QueryInterpreter) -> None:
    facets = FacetIndex(shipped.perfumes)
    parse = interpreter.interpret("floral, not too sweet").parse
    (sweet,) = build_avoided(parse, NoteTaxonomy.build(shipped.note_vocabulary()), facets)
    tagged = next(p for p in shipped.perfumes if "sweet" in p.mood)
    vanilla = next(p for p in shipped.perfumes if "sweet" not in p.mood and "vanilla" in p.notes)
    plain = next(p for p in shipped.perfumes if not is_sweet(p))
    assert sweet.degree(tagged.id) == 1.0 and sweet.degree(vanilla.id) == PARTIAL
    assert sweet.degree(plain.id) == 0.0
    assert Constraint("mood", "sweet", frozenset({"a"})).degree("b") == 0.0


@pytest.mark.parametrize("query", ["no sweet", "no woods", "not too sweet", "I hate oud",
                                   "nothing with patchouli or oud", "it can't be floral"])
def test_a_query_that_only_negates_embeds_none_of_its_words(
        shipped: Catalog, interpreter: QueryInterpreter, query: str) -> None:
    plan = Planner(shipped).plan(SearchRequest(query), interpreter.interpret(query))
    assert plan.embed == "perfume"


# ---- 2. "no woods" excludes the wood notes, as "no citrus" the citrus notes ------------------
@pytest.mark.parametrize("query", ["no woods", "not woody", "floral, no woods"])
def test_no_woods_excludes_the_wood_notes_and_the_woody_families(
        pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    result = search(pipeline, query, top_k=20)
    assert result.interpreted["excluded_families"] == ["woody"]
    expanded = set(result.interpreted["excluded_notes_expanded"])
    assert {"cedar", "sandalwood", "guaiac wood", "vetiver", "oud"} <= expanded
    assert len(result.hits) == 20
    for perfume in map(shipped.perfume, (hit.id for hit in result.hits)):
        assert set(WOODS).isdisjoint(perfume.notes), perfume.id
        assert perfume.family not in CHARACTERS["woody"].families


@pytest.mark.parametrize(("query", "note", "family"), [
    ("vanilla but not gourmand", "vanilla", "gourmand"),
    ("rose, nothing floral", "rose", "floral"),
    ("sandalwood but not woody", "sandalwood", "woody"),
])
def test_a_note_asked_for_is_not_excluded_with_the_family_ruled_out(
        pipeline: SearchPipeline, shipped: Catalog, query: str, note: str, family: str) -> None:
    """"vanilla but not gourmand" wants vanilla outside gourmand perfumes: the family's
    other notes are ruled out, the note asked for is not (every hit then missed it)."""
    result = search(pipeline, query)
    assert result.interpreted["excluded_families"] == [family]
    assert note not in result.interpreted["excluded_notes_expanded"]
    assert result.relaxed == () and len(result.hits) == 10
    for perfume in map(shipped.perfume, (hit.id for hit in result.hits)):
        assert note in perfume.notes and perfume.family not in CHARACTERS[family].families


# ---- 3. a negated word the parser does not know is never a wish --------------------------------
@pytest.mark.parametrize(("query", "english", "avoid"), [
    ("a gift for my girlfriend, sweet but not cloying", "a gift for my girlfriend sweet",
     ["intensity: strong"]),
    ("floral but not overpowering", "floral", ["intensity: strong"]),
    ("sweet but not synthetic", "sweet", []),
    ("fresh, not too synthetic, for summer", "fresh for summer", []),
])
def test_negated_words_are_never_embedded(pipeline: SearchPipeline, query: str, english: str,
                                          avoid: list[str]) -> None:
    result = search(pipeline, query)
    assert result.interpreted_query == english and result.interpreted["avoid"] == avoid


@pytest.mark.parametrize(("query", "english", "avoid"), [
    ("vanilla perfume that isn't too sweet", "vanilla perfume", ["mood: sweet"]),
    ("vanilla perfume that isnt too sweet", "vanilla perfume", ["mood: sweet"]),
    ("fresh scent that shouldn't be too strong", "fresh scent", ["intensity: strong"]),
    ("a woody scent that doesn't smell sweet", "a woody scent smell", ["mood: sweet"]),
])
def test_a_contracted_negation_negates_as_not_does(pipeline: SearchPipeline, query: str,
                                                   english: str, avoid: list[str]) -> None:
    """"isn't too sweet" asked for sweet (the mood a wish, the sweetest vanillas first)."""
    result = search(pipeline, query)
    assert result.interpreted_query == english and result.interpreted["avoid"] == avoid
    assert "sweet" not in result.interpreted["moods"]
    assert result.interpreted["intensity"] is None


def test_not_cloying_keeps_the_sweet_wish(pipeline: SearchPipeline) -> None:
    result = search(pipeline, "a gift for my girlfriend, sweet but not cloying")
    assert result.interpreted["moods"] == ["sweet"]
    assert result.interpreted["genders"] == ["feminine"]


# ---- 4. a number a Korean name already holds is read once ------------------------------------
@pytest.mark.parametrize("query", ["바카라 루쥬 540 대체", "바카라루쥬540 같은 향수"])
def test_a_korean_name_with_its_number_typed_reads_the_number_once(
        pipeline: SearchPipeline, query: str) -> None:
    assert "540 540" not in translate(query, Lexicon.load()).english
    reference = search(pipeline, query).interpreted["reference"]
    assert reference["query"] == "baccarat rouge 540"
    assert reference["id"] == "maison-francis-kurkdjian-baccarat-rouge-540-2015"


# ---- 5. laundry is a description of notes, not a family ----------------------------------------
@pytest.mark.parametrize("query", ["smells like clean laundry", "fabric softener scent",
                                   "빨래 냄새 나는 향수"])
def test_laundry_is_read_as_its_notes_not_as_a_family(pipeline: SearchPipeline,
                                                      query: str) -> None:
    interpreted = search(pipeline, query).interpreted
    assert interpreted["families"] == [] and "laundry" not in CHARACTERS
    assert interpreted["notes"] == ["aldehydes or cotton or white musk"]


@pytest.mark.parametrize(("query", "notes", "seasons"), [
    ("smells like christmas", "cinnamon or clove or fir balsam or nutmeg or orange or pine",
     ["winter"]),
    ("xmas perfume for her", "cinnamon or clove or fir balsam or nutmeg or orange or pine",
     ["winter"]),
    ("크리스마스 향수", "cinnamon or clove or fir balsam or nutmeg or orange or pine", ["winter"]),
    ("smells like a bakery", "almond or caramel or cinnamon or honey or praline or tonka bean "
     "or vanilla", []),
    ("smells like baby powder", "heliotrope or iris or orris or rice or violet or white musk",
     []),
])
def test_a_scene_people_name_is_read_as_its_notes(pipeline: SearchPipeline, query: str,
                                                 notes: str, seasons: list[str]) -> None:
    """"smells like christmas" read the season only (an incense, a candy-floss and a
    sandalwood came first); a bakery and baby powder were read as nothing at all."""
    found = search(pipeline, query)
    assert found.interpreted["notes"] == [notes]
    assert found.interpreted["seasons"] == seasons
    assert found.hits


@pytest.mark.parametrize(("query", "excluded", "notes", "avoid"), [
    ("no heavy spices, fresh citrus", ["spices"], [], ["intensity: strong"]),
    ("without strong spices", ["spices"], [], ["intensity: strong"]),
    ("nothing with fake vanilla", ["vanilla"], [], []),
    ("no synthetic musk please", ["musk"], [], []),
    ("no perfume containing patchouli", ["patchouli"], [], []),
    ("nothing that has oud, something fresh", ["oud"], [], []),
    ("fresh but no heavy musk or amber", ["musk", "amber"], [], ["intensity: strong"]),
    # after a softener the quality is avoided, the note still wished for
    ("not too sweet vanilla", [], ["vanilla"], ["mood: sweet"]),
    ("vanilla but not that sweet", [], ["vanilla"], ["mood: sweet"]),
])
def test_a_negation_reaches_over_what_qualifies_a_note_to_the_note(
        pipeline: SearchPipeline, query: str, excluded: list[str], notes: list[str],
        avoid: list[str]) -> None:
    """"no heavy spices" negated "heavy" only and wished for the spices; "without strong
    spices" ranked 1 Million first; "nothing with fake vanilla", "no synthetic musk" and
    "no perfume containing patchouli" wished for the note they refuse."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["excluded_notes"] == excluded
    assert interpreted["notes"] == notes
    assert interpreted["avoid"] == avoid
    for word in ("fake", "synthetic", "containing", "perfume", "has"):
        assert word not in interpreted["english"].split()


@pytest.mark.parametrize(("query", "genders"), [
    ("masculine scent that women love", ["masculine"]),
    ("mens cologne women go crazy for", ["masculine"]),
    ("perfume that gets compliments from women", []),
    ("scent that men love on women", ["feminine"]),
    ("perfume for women", ["feminine"]),
    ("for women who love vanilla", ["feminine"]),
    ("a perfume that men can wear", ["masculine"]),
    ("loved by women, fresh citrus", []),
])
def test_the_gender_of_a_perfumes_admirers_is_no_wish(pipeline: SearchPipeline, query: str,
                                                      genders: list[str]) -> None:
    """"masculine scent that women love" wished for both genders, and Chloé's Love Story
    (feminine; "love") came first."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["genders"] == genders
    assert "love" not in interpreted["english"].split() or "who" in query


@pytest.mark.parametrize(("query", "moods", "avoid", "excluded_perfumes", "intensity"), [
    ("something my grandma would wear", ["classic"], [], 0, None),
    ("not for old ladies, young and fresh floral", ["fresh"], ["mood: classic"], 0, None),
    ("doesnt smell like an old lady", [], ["mood: classic"], 0, None),
    ("something that does not smell like sauvage", [], [], 3, None),
    ("nothing like sauvage, fresh", ["fresh"], [], 3, None),
    ("perfume that lasts all day", [], [], 0, "strong"),
])
def test_old_fashioned_lasting_and_negated_likeness_read_as_people_mean_them(
        pipeline: SearchPipeline, query: str, moods: list[str], avoid: list[str],
        excluded_perfumes: int, intensity: str | None) -> None:
    """"grandma" and "old lady" were nothing (or "ladies" a feminine wish), "not for old
    ladies" wished for what it refuses, "does not smell like Sauvage" made Sauvage the
    reference, "lasts all day" was nothing."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["moods"] == moods and interpreted["avoid"] == avoid
    assert len(interpreted["excluded_perfumes"]) == excluded_perfumes
    assert interpreted["reference"] is None and interpreted["intensity"] == intensity
    assert interpreted["genders"] == []


@pytest.mark.parametrize(("query", "fields"), [
    ("장미 향수 말고 시트러스", {"excluded_notes": ["rose"], "notes": []}),
    ("할머니 향수 말고 상큼한 거", {"avoid": ["mood: classic"], "moods": ["fresh"]}),
    ("남자가 좋아하는 여자 향수", {"genders": ["feminine"]}),
    ("바닐라 좋아하는 여자를 위한 향수", {"genders": ["feminine"], "notes": ["vanilla"]}),
    ("빵집 냄새 나는 향수", {"notes": ["almond or caramel or cinnamon or honey or praline or "
                                "tonka bean or vanilla"]}),
    ("베이비 파우더 향", {"notes": ["heliotrope or iris or orris or rice or violet or "
                             "white musk"]}),
    ("i love vanilla", {"notes": ["vanilla"], "english": "vanilla"}),
])
def test_korean_and_everyday_phrasings_read_as_meant(pipeline: SearchPipeline, query: str,
                                                     fields: dict[str, object]) -> None:
    """"장미 향수 말고" (not a rose perfume) wished for rose (the negation stopped at
    "perfume"); "남자가 좋아하는 여자 향수" (a women's perfume men like) wished for both
    genders; a bakery, baby powder and grandma were untranslated; "I love vanilla" ranked
    Creed's Love in White first ("love")."""
    interpreted = search(pipeline, query).interpreted
    assert {key: interpreted[key] for key in fields} == fields


@pytest.mark.parametrize(("query", "english", "occasions", "avoid"), [
    ("not for office", "", [], ["occasion: office"]),
    ("perfume not for the office", "perfume", [], ["occasion: office"]),
    ("something for a date, not for the office", "something for a date", ["date"],
     ["occasion: office"]),
    ("something sexy but not for a date", "something sexy", [], ["occasion: date"]),
    ("vanilla, not for work", "vanilla", [], ["occasion: office"]),
])
def test_a_negated_occasion_is_avoided_not_wished(pipeline: SearchPipeline, query: str,
                                                  english: str, occasions: list[str],
                                                  avoid: list[str]) -> None:
    """"not for the office" wished for the office (an occasion was no element a negation
    could reach, and "for" stopped it), ranking office scents first."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["english"] == english and interpreted["occasions"] == occasions
    assert interpreted["avoid"] == avoid


def test_perfumes_that_suit_an_avoided_occasion_come_after_the_others(
        pipeline: SearchPipeline, shipped: Catalog) -> None:
    office = set(OCCASIONS["office"])
    moods = {p.id: set(p.mood) for p in shipped.perfumes}

    def suiting(query: str) -> int:
        return sum(bool(moods[hit.id] & office) for hit in search(pipeline, query).hits)

    assert suiting("woody perfume") >= 5 and suiting("woody perfume not for the office") == 0
    assert suiting("vanilla, not for work") == 0


@pytest.mark.parametrize(("query", "english"), [
    ("good longevity", ""), ("great longevity and sillage", ""),
    ("long lasting perfume with good projection", "perfume with"),
    ("a great performer", "a")])
def test_words_about_performance_are_an_intensity_never_embedded(
        pipeline: SearchPipeline, query: str, english: str) -> None:
    """"good longevity" ranked Good Girl and Good Girl Gone Bad first: the words were
    embedded (and with nothing else left, the raw query was)."""
    result = search(pipeline, query)
    assert result.interpreted["intensity"] == "strong"
    assert result.interpreted["english"] == english
    assert not any(word in hit.payload["name"].lower() for hit in result.hits
                   for word in ("good", "great", "perform", "long"))


@pytest.mark.parametrize(("query", "families"), [
    ("masculine woody cologne", ["woody"]),
    ("woody cologne for men", ["woody"]),
    ("an amber cologne", ["amber"]),
    ("citrus cologne with bergamot and neroli", ["citrus", "cologne"]),
    ("a cologne with no lavender", ["cologne"]),
    ("fresh green cologne", ["green", "cologne"]),
])
def test_cologne_beside_a_family_it_cannot_have_is_the_word_for_a_perfume(
        pipeline: SearchPipeline, query: str, families: list[str]) -> None:
    """"masculine woody cologne" wished for an eau de cologne too: Jo Malone's colognes came
    first, 1 of 5 hits meeting the query."""
    assert search(pipeline, query).interpreted["families"] == families


@pytest.mark.parametrize(("query", "names"), [
    ("perfume for a 16 year old girl", "girl"), ("i want to smell like a rich man", "man"),
])
def test_a_gender_word_is_no_lexical_term(interpreter: QueryInterpreter, query: str,
                                          names: str) -> None:
    """The gender is a constraint; as a BM25 term "girl" ranked Poison Girl, Good Girl and
    Good Girl Gone Bad first for a 16-year-old."""
    interpreted = interpreter.interpret(query)
    assert interpreted.parse.genders and names not in interpreted.terms


@pytest.mark.parametrize("query", ["something like a library", "a scent like a garden",
                                   "smells like a hug",
                                   "like walking in a garden after rain", "like an old library",
                                   "정원 같은 향", "도서관 같은 향"])
def test_like_a_described_thing_is_a_simile_not_an_unknown_perfume(
        pipeline: SearchPipeline, query: str) -> None:
    """"something like a library" answered no hits: "No perfume in the catalogue matches 'a
    library'. Did you mean: Lira, Libre, Shalimar?"."""
    result = search(pipeline, query)
    assert result.interpreted["reference"] is None and result.hits
    assert result.message and "earched for perfumes that smell like" in result.message
    # a description is never a misspelt name: "smells like a hug" was "Did you mean: Hugo?"
    assert "Did you mean" not in result.message and "is called" not in result.message


def test_like_an_unknown_name_still_says_no_perfume_matches(pipeline: SearchPipeline) -> None:
    result = search(pipeline, "like zorblax")
    assert not result.hits and result.message and result.message.startswith(
        "No perfume in the catalogue matches 'zorblax'.")
    assert search(pipeline, "like aventis").interpreted["reference"]["name"] == "Aventus"


@pytest.mark.parametrize(("query", "fields", "price"), [
    ("남친 선물용 향수 10만원 이하", {"genders": ["masculine"]}, "'100000 won or less'"),
    ("여자친구 생일 선물 5만원 미만", {"genders": ["feminine"], "untranslated": []},
     "'50000 won or less'"),
    ("회사에서 뿌리기 좋은 은은한 향수", {"occasions": ["office"], "untranslated": []}, None),
    ("아빠한테 줄 향수", {"genders": ["masculine"], "untranslated": []}, None),
    # "쓰는" (wears), "매일" (every day), a son, a sister were untranslated
    ("언니가 쓰는 향수", {"genders": ["feminine"], "untranslated": []}, None),
    ("매일 쓸 향수", {"occasions": ["daily"], "untranslated": []}, None),
    ("평소에 뿌리기 좋은 향수", {"occasions": ["daily"], "untranslated": []}, None),
    ("아들 선물", {"genders": ["masculine"], "untranslated": []}, None),
    ("여름에 시원하게 쓸 수 있는 향수", {"seasons": ["summer"], "untranslated": []}, None),
    ("꽃향기 나는 봄 향수", {"families": ["floral"], "untranslated": []}, None),
    ("20대 여자 향수 추천", {"genders": ["feminine"], "untranslated": []}, None),
    ("결혼식 하객 향수", {"occasions": ["wedding"], "untranslated": []}, None),
    ("엄마 생신 선물 향수", {"genders": ["feminine"], "untranslated": []}, None),
    ("샤워하고 나온 듯한 상쾌한 향", {"moods": ["fresh", "clean"], "untranslated": []}, None),
    ("잔향이 좋은 향수", {"intensity": "strong", "untranslated": []}, None),
])
def test_korean_gifts_prices_and_workplaces_read_as_meant(
        pipeline: SearchPipeline, query: str, fields: dict[str, object],
        price: str | None) -> None:
    """A boyfriend, a father, the office and an amount in won were untranslated ("남친",
    "회사에서", "원", "하"), and the query read as nothing understood."""
    result = search(pipeline, query)
    assert {key: result.interpreted[key] for key in fields} == fields
    assert price is None or (result.message and price in result.message)


@pytest.mark.parametrize(("query", "families", "moods"), [
    ("fruity floral for teenagers", ["fruity"], ["playful"]),
    ("floral fruity perfume", ["fruity"], []),
    ("something that smells like money", [], ["elegant"]),
])
def test_shop_families_teens_and_money_read_as_people_mean_them(
        pipeline: SearchPipeline, query: str, families: list[str], moods: list[str]) -> None:
    """"fruity floral" asked for two families (1 of 5 hits met both), "smells like money"
    was a price ignored and nothing understood."""
    result = search(pipeline, query)
    assert result.interpreted["families"] == families and result.interpreted["moods"] == moods
    assert result.interpreted["reference"] is None and not result.relaxed


@pytest.mark.parametrize(("query", "first"), [
    ("dior homme intense", "Dior Homme Intense"),
    ("dior homme", "Dior Homme"),
    ("mfk br540 extrait", "Baccarat Rouge 540 Extrait de Parfum"),
    ("baccarat rouge 540", "Baccarat Rouge 540"),
    ("bleu de chanel edt", "Bleu de Chanel Eau de Toilette"),
    ("bleu de chanel eau de toilette", "Bleu de Chanel Eau de Toilette"),
    ("le male", "Le Male"),
    ("l'homme", "L'Homme"),
    ("one million", "1 Million"),
    ("lady million", "Lady Million"),
    # the line's name is its original ("acqua di gio" listed Profumo first); a number
    # glued to its word as people type it ("le labo santal33" named only the brand)
    ("acqua di gio", "Acqua di Giò pour Homme"),
    # a community name is its line's name too: the line's edition for women comes first
    # (it listed the men's original, then Magnolia Nobile)
    ("acqua di gio for women", "Acqua di Giò pour Femme"),
    ("aventus for women", "Aventus for Her"),
    ("le labo santal33", "Santal 33"),
    ("baie19", "Baie 19"),
])
def test_the_edition_a_query_writes_out_comes_first(pipeline: SearchPipeline, query: str,
                                                    first: str) -> None:
    """"dior homme intense" listed Dior Homme first, "br540 extrait" the eau de parfum,
    "bleu de chanel edt" the eau de parfum; "le male" was a masculine wish, no perfume;
    "one million" listed Lady Million first."""
    assert search(pipeline, query).hits[0].payload["name"] == first


@pytest.mark.parametrize(("query", "fields"), [
    ("perfum for wemen", {"genders": ["feminine"], "corrected": {"wemen": "women"}}),
    ("scent for gentelmen", {"genders": ["masculine"]}),
    ("parfum homme boisé", {"genders": ["masculine"], "families": ["woody"]}),
    ("un parfum épicé et sucré", {"families": ["spicy"], "moods": ["sweet"]}),
    ("frais et fleuri", {"families": ["floral"], "moods": ["fresh"]}),
])
def test_misspelt_genders_and_french_perfumery_words_are_read(
        pipeline: SearchPipeline, query: str, fields: dict[str, object]) -> None:
    """"perfum for wemen" was nothing understood; "boisé", "épicé", "fleuri" (words shops
    write in English too) were no family."""
    interpreted = search(pipeline, query).interpreted
    assert {key: interpreted[key] for key in fields} == fields


@pytest.mark.parametrize(("query", "fields"), [
    ("무겁지 않고 가벼운 데일리 향수", {"avoid": ["intensity: strong"], "intensity": "light",
                                 "untranslated": []}),
    ("달지 않고 상큼한 향", {"avoid": ["mood: sweet"], "moods": ["fresh"]}),
    ("진하지 않는 향수", {"avoid": ["intensity: strong"], "untranslated": []}),
    ("첫 데이트에 뿌릴 향수", {"occasions": ["date"], "untranslated": []}),
    ("샤넬 향수 중에 여름에 좋은거", {"brands": ["Chanel"], "untranslated": []}),
])
def test_every_ending_of_a_korean_negation_negates(pipeline: SearchPipeline, query: str,
                                                   fields: dict[str, object]) -> None:
    """"무겁지 않고" (not heavy, and) was untranslated: only "무겁지 않은" was read; "첫",
    "뿌릴", "중에", "거" were left over."""
    interpreted = search(pipeline, query).interpreted
    assert {key: interpreted[key] for key in fields} == fields


@pytest.mark.parametrize("query", ["like chanel", "dupe for chanel", "chanel dupe",
                                   "샤넬 같은 향수"])
def test_like_a_brand_wishes_for_the_brand(pipeline: SearchPipeline, query: str) -> None:
    """"like chanel" ranked by likeness to Chance ("chanel" is a letter from "chance"), as
    "like dior" wished for Dior."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["reference"] is None and interpreted["brands"] == ["Chanel"]


# ---- 6. French and variant note spellings, and misspellings of them --------------------------
@pytest.mark.parametrize(("query", "notes"), [
    ("jasmin and tuberoses", ["jasmine", "tuberose"]),
    ("vanille and santal", ["vanilla", "sandalwood"]),
    ("cèdre, musc or encens", ["cedar", "musk or incense"]),
    ("tubéreuse with bergamote", ["tuberose", "bergamot"]),
    ("fleur d'oranger and vétiver", ["orange blossom", "vetiver"]),
    ("cuir", ["leather"]),
    ("tuberosa", ["tuberose"]),  # Italian and Spanish, as shops and labels spell them
    ("gelsomino e vaniglia", ["jasmine", "vanilla"]),
    ("perfume de jazmín y vainilla", ["jasmine", "vanilla"]),
    ("zagara", ["orange blossom"]),
    ("cuero con lavanda", ["leather", "lavender"]),
])
def test_french_note_spellings_are_notes(pipeline: SearchPipeline, query: str,
                                         notes: list[str]) -> None:
    assert search(pipeline, query).interpreted["notes"] == notes


def test_ambre_is_amber(pipeline: SearchPipeline) -> None:
    assert search(pipeline, "ambre for winter").interpreted["families"] == ["amber"]


def test_a_misspelt_note_next_to_a_french_spelling_reads_as_the_note(
        pipeline: SearchPipeline) -> None:
    interpreted = search(pipeline, "tobaco vanile").interpreted
    assert interpreted["notes"] == ["tobacco", "vanilla"] and interpreted["perfumes"] == []
    assert interpreted["corrected"] == {"tobaco": "tobacco", "vanile": "vanilla"}


@pytest.mark.parametrize(("query", "perfume"), [
    ("Jasmin Rouge", "Jasmin Rouge (Tom Ford)"),
    ("santal 33", "Santal 33 (Le Labo)"),
    ("ambre sultan", "Ambre Sultan (Serge Lutens)"),
    ("Tubéreuse Criminelle", "Tubéreuse Criminelle (Serge Lutens)"),
    ("tobacco vanille", "Tobacco Vanille (Tom Ford)"),
    ("Fleurs d'Oranger", "Fleurs d'Oranger (Serge Lutens)"),
    ("musc ravageur", "Musc Ravageur (Frédéric Malle)"),
])
def test_names_with_french_note_words_still_name_the_perfume(
        pipeline: SearchPipeline, query: str, perfume: str) -> None:
    interpreted = search(pipeline, query).interpreted
    assert interpreted["perfumes"] == [perfume] and interpreted["notes"] == []


# ---- the real model: the same reorder where the ranking needs the embedding ------------------
@pytest.mark.model
@pytest.mark.parametrize("query", ["no sweet", "nothing sweet"])
def test_only_negating_sweetness_ranks_the_perfumes_that_are_not_sweet_first(
        qdrant_pipeline: SearchPipeline, catalog: Catalog, query: str) -> None:
    result = search(qdrant_pipeline, query, top_k=5)
    assert len(result.hits) == 5
    assert not any(is_sweet(catalog.perfume(hit.id)) for hit in result.hits)


# ---- aversions as people write them: before, after, or as a clause-final "no" ------------------
@pytest.mark.parametrize(("query", "excluded", "wished"), [
    ("I can't stand oud", ["oud"], []),
    ("i cant stand patchouli", ["patchouli"], []),
    ("my wife hates vanilla", ["vanilla"], []),
    ("I detest tonka, something fresh", ["tonka bean"], []),
    ("oud is too much for me", ["oud"], []),
    ("patchouli is not for me", ["patchouli"], []),
    ("tonka makes me sick", ["tonka bean"], []),
    ("lavender yes, tonka no", ["tonka bean"], ["lavender"]),
    ("rose yes but oud no", ["oud"], ["rose"]),
])
def test_an_aversion_excludes_the_note_instead_of_wishing_for_it(
        interpreter: QueryInterpreter, query: str, excluded: list[str],
        wished: list[str]) -> None:
    """"I can't stand oud", "oud is too much for me" listed oud perfumes first; "lavender
    yes, tonka no" wished for both."""
    read = interpreter.interpret(query).parse
    assert list(read.excluded_notes) == excluded
    assert [note for options in read.notes for note in options] == wished


@pytest.mark.parametrize("query", ["zero sweetness", "no sweetness please"])
def test_a_mood_s_noun_is_the_mood(interpreter: QueryInterpreter, query: str) -> None:
    assert interpreter.interpret(query).parse.avoid == (("mood", "sweet"),)


@pytest.mark.parametrize("query", ["no florals", "nothing flowery, for men", "not floral"])
def test_no_florals_demotes_the_perfumes_full_of_flowers(
        pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    """"no florals" excluded the floral families only: CK One (a citrus with jasmine, rose,
    violet, iris, lily of the valley and freesia) came second, Eternity for Men and Man in
    Black (tuberose, iris) among the men's. Now the perfumes with three flowers or more
    come after the rest."""
    from ml.notes import FLOWERS

    taxonomy = NoteTaxonomy.build(shipped.note_vocabulary())
    flowers = set().union(*(taxonomy.expand(note) for note in FLOWERS))
    hits = search(pipeline, query).hits
    assert len(hits) == 10
    full = [hit.name for hit in hits
            if len(flowers & set(shipped.perfume(hit.id).notes)) >= 3]
    assert full == [], full
