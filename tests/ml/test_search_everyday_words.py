"""Words people shop with that the search read as something else: "cologne" beside a wish
an eau de cologne cannot meet is the everyday word for a (man's) perfume ("date night
cologne" listed Jo Malone's floral colognes); N°5 spelled out ("chanel no five") and a name
of common words typed alone ("the one perfume") name their perfume; and a concentration
written out ("a woody eau de parfum") no longer names Chloé Eau de Parfum, whose name is
that once its brand is left off."""

from __future__ import annotations

import pytest

from ml.embeddings import Encoder
from ml.knowledge import Catalog
from ml.query import QueryInterpreter
from ml.search import SearchPipeline, SearchRequest, SearchResult
from tests.ml.conftest import make_pipeline

pytestmark = pytest.mark.unit

N5 = ["N°5 Eau de Parfum (Chanel)", "N°5 L'Eau (Chanel)", "N°5 Parfum (Chanel)"]


def search(pipeline: SearchPipeline, query: str, top_k: int = 10) -> SearchResult:
    return pipeline.search(SearchRequest(query, top_k=top_k))


@pytest.mark.parametrize(("query", "wished"), [
    ("date night cologne", {"occasions": ["date"]}),
    ("sexy cologne", {"moods": ["sensual"]}),
    ("men's cologne for winter", {"seasons": ["winter"]}),
    ("a cologne for autumn", {"seasons": ["autumn"]}),
    ("cologne for a night out", {"occasions": ["evening"]}),
    ("a cozy cologne", {"moods": ["cozy"]}),
    ("strong long lasting cologne", {"intensity": "strong"}),
])
def test_cologne_with_a_wish_no_eau_de_cologne_meets_is_a_mans_perfume(
        pipeline: SearchPipeline, query: str, wished: dict[str, object]) -> None:
    interpreted = search(pipeline, query).interpreted
    assert interpreted["families"] == [] and interpreted["genders"] == ["masculine"]
    assert "cologne" not in interpreted["english"].split()
    for element, value in wished.items():
        assert interpreted[element] == value


def test_an_everyday_cologne_keeps_the_gender_the_query_gives(pipeline: SearchPipeline) -> None:
    interpreted = search(pipeline, "date night cologne for women").interpreted
    assert interpreted["families"] == [] and interpreted["genders"] == ["feminine"]
    assert search(pipeline, "sexy cologne, not for men").interpreted["genders"] == []


@pytest.mark.parametrize("query", ["cologne", "cologne for men", "fresh cologne for summer",
                                   "a cologne with no lavender", "light cologne for the office",
                                   "citrus cologne"])
def test_cologne_with_nothing_against_it_is_still_the_eau_de_cologne(
        pipeline: SearchPipeline, query: str) -> None:
    assert "cologne" in search(pipeline, query).interpreted["families"]


@pytest.mark.parametrize("query", ["chanel no five", "chanel number five", "no five",
                                   "Chanel No. 5", "chanel n5"])
def test_n5_spelled_out_names_it(pipeline: SearchPipeline, query: str) -> None:
    """"chanel no five" was the brand Chanel: Bleu de Chanel came first."""
    result = search(pipeline, query)
    assert result.interpreted["perfumes"] == N5
    assert result.hits[0].payload["name"].startswith("N°5")


@pytest.mark.parametrize("query", ["the one", "the one perfume", "The One EDP",
                                   "the one eau de parfum", "i need the one"])
def test_a_name_of_common_words_alone_names_the_perfume(pipeline: SearchPipeline,
                                                       query: str) -> None:
    """"the one perfume" ranked CK One first: "the" and "one" are common words, and a name of
    common words counted only beside its brand."""
    result = search(pipeline, query)
    assert "The One (Dolce & Gabbana)" in result.interpreted["perfumes"]
    assert result.hits[0].payload["name"] == "The One"


@pytest.mark.parametrize("query", ["perfume for men", "the one with vanilla",
                                   "a perfume for men with the one note of oud"])
def test_common_words_beside_a_wish_name_nothing(pipeline: SearchPipeline, query: str) -> None:
    """Tom Ford has a For Men; "perfume for men" still asks for a gender."""
    assert search(pipeline, query).interpreted["perfumes"] == []


@pytest.mark.parametrize("query", ["a woody eau de parfum", "eau de parfum for women",
                                   "eau de toilette", "an extrait de parfum with oud"])
def test_a_concentration_written_out_names_no_perfume(pipeline: SearchPipeline,
                                                     query: str) -> None:
    """Chloé's "Chloé Eau de Parfum" is "eau de parfum" after its brand: every query writing
    the concentration out named it."""
    assert search(pipeline, query).interpreted["perfumes"] == []


def test_the_brand_and_its_concentration_still_name_it(pipeline: SearchPipeline) -> None:
    assert "Chloé Eau de Parfum (Chloé)" in search(
        pipeline, "chloe eau de parfum").interpreted["perfumes"]


# ---- the real model on the shipped catalogue ------------------------------------------------
@pytest.fixture(scope="module")
def real_pipeline(shipped: Catalog, real_encoder: Encoder) -> SearchPipeline:
    return make_pipeline(shipped, real_encoder)


@pytest.mark.model
@pytest.mark.parametrize("query", ["date night cologne", "sexy cologne"])
def test_an_everyday_cologne_lists_mens_perfumes_for_the_wish(
        real_pipeline: SearchPipeline, shipped: Catalog, query: str) -> None:
    hits = search(real_pipeline, query, top_k=5).hits
    assert len(hits) == 5
    assert all(shipped.perfume(hit.id).gender in ("masculine", "unisex") for hit in hits)
    assert not any(shipped.perfume(hit.id).subfamily == "cologne" for hit in hits)


# ---- a perfume's name misspelt after its brand ---------------------------------------------
@pytest.mark.parametrize(("query", "perfume", "typed", "read"), [
    ("creed aventis", "Aventus (Creed)", "aventis", "aventus"),
    ("dior savage", "Sauvage Eau de Toilette (Dior)", "savage", "sauvage"),
    ("chanel coco madmoiselle", "Coco Mademoiselle (Chanel)", "madmoiselle", "mademoiselle"),
    ("guerlain shalimr", "Shalimar (Guerlain)", "shalimr", "shalimar"),
    ("lancome la vie est bele", "La Vie est Belle (Lancôme)", "bele", "belle"),
])
def test_a_name_misspelt_after_its_brand_names_the_perfume(
        pipeline: SearchPipeline, query: str, perfume: str, typed: str, read: str) -> None:
    """"creed aventis" was the brand Creed: Aventus for Her came first, Aventus third; "dior
    savage" was Dior (savage is an English word, so never a typo to the speller)."""
    result = search(pipeline, query)
    assert perfume in result.interpreted["perfumes"]
    assert result.interpreted["corrected"] == {typed: read}
    assert f"{result.hits[0].payload['name']} ({result.hits[0].payload['brand']})" in (
        result.interpreted["perfumes"])


@pytest.mark.parametrize("query", ["dior fresh", "chanel rose perfume", "creed royal",
                                   "dior sweet and woody"])
def test_words_after_a_brand_that_mean_something_are_kept(pipeline: SearchPipeline,
                                                          query: str) -> None:
    assert search(pipeline, query).interpreted["corrected"] == {}


@pytest.mark.parametrize("query", ["chanel bleu", "Chanel Bleu EDT", "hermes twilly"])
def test_a_name_that_ends_with_its_brand_may_be_written_brand_first(
        pipeline: SearchPipeline, query: str) -> None:
    """"chanel bleu" is how people write Bleu de Chanel; it was the brand alone."""
    names = search(pipeline, query).interpreted["perfumes"]
    assert names and all(n.startswith(("Bleu de Chanel", "Twilly d'Hermès")) for n in names)


# ---- weather, rain, marshmallow ------------------------------------------------------------
@pytest.mark.parametrize(("query", "season"), [
    ("perfume for hot humid weather", "summer"), ("something for the heat", "summer"),
    ("cold weather fragrance", "winter"), ("a scent for chilly days", "winter"),
    ("더운 날씨에 좋은 향수", "summer"), ("습한 여름에 뿌릴 향수", "summer"),
    ("추운 날씨 향수", "winter"),
])
def test_the_weather_a_perfume_is_for_is_its_season(pipeline: SearchPipeline, query: str,
                                                    season: str) -> None:
    """"hot humid weather" understood nothing and ranked Chergui, a heavy amber, first; the
    Korean "날씨" (weather) was split as "날" (day) and "씨에", left untranslated."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["seasons"] == [season] and interpreted["untranslated"] == []


def test_hot_alone_is_no_weather(pipeline: SearchPipeline) -> None:
    assert search(pipeline, "smells like hot asphalt").interpreted["seasons"] == []


@pytest.mark.parametrize(("query", "note"), [
    ("rainy day scent", "petrichor"), ("smells like rain", "petrichor"),
    ("비 오는 날 향수", "petrichor"), ("marshmallow", "cotton candy"),
    ("마시멜로 향", "cotton candy"),
])
def test_rain_and_marshmallow_are_described_smells(pipeline: SearchPipeline, query: str,
                                                   note: str) -> None:
    """Neither was understood ("marshmallow": "Nothing in the query was understood")."""
    result = search(pipeline, query)
    (group,) = result.interpreted["notes"]
    assert note in group.split(" or ") and result.message is None


@pytest.mark.model
def test_rain_lists_the_rain_perfume_first(real_pipeline: SearchPipeline) -> None:
    hits = search(real_pipeline, "smells like rain", top_k=5).hits
    assert hits[0].payload["name"] == "Replica When the Rain Stops"


@pytest.mark.parametrize(("query", "typed", "read"), [
    ("aventis", "aventis", "aventus"), ("sauvge", "sauvge", "sauvage"),
    ("bacarat rouge", "bacarat", "baccarat"), ("chanell", "chanell", "chanel"),
    ("guerlin shalimar", "guerlin", "guerlain"),
])
def test_a_name_word_misspelt_alone_is_read_as_the_name(pipeline: SearchPipeline, query: str,
                                                       typed: str, read: str) -> None:
    """"aventis" alone said "Nothing in the query was understood"."""
    result = search(pipeline, query)
    assert result.interpreted["corrected"] == {typed: read}
    assert result.message is None or "Nothing in the query" not in result.message


@pytest.mark.parametrize("query", ["a savage scent", "summer", "mysterious", "rouge lipstick"])
def test_a_word_that_means_something_is_never_read_as_a_name_word(pipeline: SearchPipeline,
                                                                  query: str) -> None:
    assert search(pipeline, query).interpreted["corrected"] == {}


@pytest.mark.parametrize(("query", "wished", "avoided"), [
    ("perfume that smells like my grandpa", ["classic"], []),
    ("not like my grandma", [], ["mood: classic"]),
    ("nothing that smells like my grandpa", [], ["mood: classic"]),
])
def test_grandparents_are_the_classic_mood_and_can_be_refused(
        pipeline: SearchPipeline, query: str, wished: list[str], avoided: list[str]) -> None:
    """"not like my grandma" wished the classic mood: the possessive stopped the negation,
    as "that" stopped "nothing ... like"."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["moods"] == wished and interpreted["avoid"] == avoided


def test_not_for_my_wife_refuses_the_gender(pipeline: SearchPipeline) -> None:
    assert search(pipeline, "not for my wife").interpreted["excluded_genders"] == ["feminine"]


@pytest.mark.parametrize(("query", "perfumes"), [
    ("byredo gypsy", ["Gypsy Water (Byredo)"]),
    ("maison margiela replica jazz", ["Replica Jazz Club (Maison Margiela)"]),
    ("le labo another", ["Another 13 (Le Labo)"]),
    ("jo malone wood sage", ["Wood Sage & Sea Salt (Jo Malone London)"]),
    ("chanel coco", ["Coco (Chanel)", "Coco Mademoiselle (Chanel)", "Coco Noir (Chanel)"]),
])
def test_a_brand_and_the_first_words_of_its_perfume_name_it(
        pipeline: SearchPipeline, query: str, perfumes: list[str]) -> None:
    """"byredo gypsy" was the brand Byredo alone: people shorten names after the brand."""
    assert search(pipeline, query).interpreted["perfumes"] == perfumes


@pytest.mark.parametrize(("query", "family"), [("jo malone wood", "woody"),
                                               ("guerlain classics", None)])
def test_one_word_after_a_brand_that_means_something_keeps_its_meaning(
        pipeline: SearchPipeline, query: str, family: str | None) -> None:
    interpreted = search(pipeline, query).interpreted
    assert interpreted["perfumes"] == [] and interpreted["brands"]
    assert interpreted["families"] == ([family] if family else [])


# ---- how long and how loud, said the way people say it ---------------------------------------
@pytest.mark.parametrize(("query", "avoided"), [
    ("perfume that doesnt give me a headache", "intensity: strong"),
    ("something that won't give me headaches", "intensity: strong"),
    ("headache-free perfume", "intensity: strong"),
    ("perfume that won't fade", "intensity: light"),
])
def test_a_headache_or_a_fade_refused_is_an_avoided_intensity(
        pipeline: SearchPipeline, query: str, avoided: str) -> None:
    """"doesnt give me a headache" understood nothing (Hypnotic Poison and Opium came
    first); "won't" was the Korean won, a price ignored."""
    result = search(pipeline, query)
    assert result.interpreted["avoid"] == [avoided]
    assert result.message is None


def test_a_fade_wished_is_a_light_intensity_and_never_embedded(
        pipeline: SearchPipeline) -> None:
    interpreted = search(pipeline, "a vanilla that fades fast").interpreted
    assert interpreted["intensity"] == "light" and "fade" not in interpreted["english"]


@pytest.mark.parametrize(("query", "price"), [("남친 선물용 향수 10만원 이하", True),
                                              ("under 50000 won", True),
                                              ("a scent he won't forget", False)])
def test_won_is_a_price_only_after_an_amount(pipeline: SearchPipeline, query: str,
                                             price: bool) -> None:
    message = search(pipeline, query).message or ""
    assert ("The catalogue has no prices" in message) is price


def test_soap_is_the_clean_mood(pipeline: SearchPipeline) -> None:
    """"smells like expensive soap" understood only the price."""
    assert search(pipeline, "something that smells like soap").interpreted["moods"] == [
        "clean"]


def test_words_that_only_ask_for_a_perfume_are_no_lexical_terms(shipped: Catalog) -> None:
    """"smells good on everyone" matched Good Girl by the BM25 term "good"."""
    interpreter = QueryInterpreter.for_catalog(shipped)
    assert interpreter.interpret("perfume that smells good on everyone").terms == (
        "everyone",)


@pytest.mark.parametrize("query", ["머리 아프지 않은 향수", "머리 안 아픈 향수", "두통 없는 향수"])
def test_a_headache_refused_in_korean_is_an_avoided_strong_intensity(
        pipeline: SearchPipeline, query: str) -> None:
    """"머리 아프지 않은 향수" left 머리, 아프지, 않은 untranslated and understood nothing."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["avoid"] == ["intensity: strong"] and interpreted["untranslated"] == []


@pytest.mark.parametrize(("query", "perfume"), [
    ("디올 쏘바쥬", "Sauvage Eau de Toilette (Dior)"), ("첫 데이트 향수 추천해주세요", None)])
def test_korean_spellings_and_request_endings_are_read(pipeline: SearchPipeline, query: str,
                                                       perfume: str | None) -> None:
    interpreted = search(pipeline, query).interpreted
    assert interpreted["untranslated"] == []
    assert perfume is None or perfume in interpreted["perfumes"]


@pytest.mark.parametrize("query", ["something for a job interview", "perfume for an interview",
                                   "면접 때 뿌릴 향수"])
def test_a_job_interview_is_the_office(pipeline: SearchPipeline, query: str) -> None:
    """An interview was the formal occasion, and a leather and an oud came among the first
    five; it asks for what an office does: clean, calm, quiet."""
    assert search(pipeline, query).interpreted["occasions"] == ["office"]


@pytest.mark.model
def test_a_job_interview_lists_no_heavy_perfume(real_pipeline: SearchPipeline) -> None:
    hits = search(real_pipeline, "something for a job interview", top_k=5).hits
    families = [hit.payload["family"] for hit in hits]
    assert not {"dry_woods", "woody_amber", "amber"} & set(families), families


@pytest.mark.parametrize("query", ["gin and tonic fragrance", "smells like gin", "진토닉 향"])
def test_gin_is_juniper(pipeline: SearchPipeline, query: str) -> None:
    """"gin and tonic fragrance" said "Nothing in the query was understood" (Ginza first,
    by the embedding); 진토닉 was left untranslated."""
    result = search(pipeline, query)
    assert result.interpreted["notes"] == ["juniper"] and result.message is None


@pytest.mark.parametrize(("query", "gender"), [
    ("best cologne for teenage boy", "masculine"), ("gift for my son", "masculine"),
    ("something for my brother", "masculine"), ("a perfume my bf would like", "masculine"),
    ("perfume for my daughter", "feminine"), ("a gift for my sister", "feminine"),
    ("birthday present for my mum", "feminine"), ("딸에게 줄 향수", "feminine"),
    ("오빠 선물 향수", "masculine"), ("누나 생일 선물", "feminine"), ("소년 향수", "masculine"),
])
def test_the_person_a_perfume_is_for_gives_its_gender(pipeline: SearchPipeline, query: str,
                                                       gender: str) -> None:
    """"boy" and "son" said nothing ("best cologne for teenage boy" listed Jo Malone's
    florals beside one Dior cologne) while "girl" and "dad" did."""
    assert search(pipeline, query).interpreted["genders"] == [gender]


@pytest.mark.parametrize(("query", "perfume"), [
    ("do son", "Do Son (Diptyque)"), ("bad boy", "Bad Boy (Carolina Herrera)"),
    ("good girl", "Good Girl (Carolina Herrera)"),
    ("Good Girl perfume", "Good Girl (Carolina Herrera)"),
    ("cool water", "Cool Water (Davidoff)"), ("black orchid", "Black Orchid (Tom Ford)"),
    ("man in black", "Man in Black (Bvlgari)"), ("pi", "Pi (Givenchy)"),
    ("Sì", "Sì (Giorgio Armani)"), ("m7", "M7 (Yves Saint Laurent)"),
    ("not a perfume", "Not a Perfume (Juliette Has a Gun)"),
    ("red tobacco", "Red Tobacco (Mancera)"), ("the one edp", "The One (Dolce & Gabbana)"),
])
def test_a_name_of_common_words_typed_alone_names_its_perfume(
        pipeline: SearchPipeline, query: str, perfume: str) -> None:
    """"good girl" was the feminine gender, "light blue" a light intensity, "cool water"
    the fresh mood, "do son", "pi" and "m7" nothing at all: a name typed alone is what
    people search for."""
    interpreted = search(pipeline, query).interpreted
    assert interpreted["perfumes"][0] == perfume and interpreted["genders"] == []
    assert interpreted["intensity"] is None and interpreted["moods"] == []


def test_light_blue_names_both_of_its_perfumes(pipeline: SearchPipeline) -> None:
    interpreted = search(pipeline, "light blue").interpreted
    assert interpreted["perfumes"] == ["Light Blue (Dolce & Gabbana)",
                                       "Light Blue pour Homme (Dolce & Gabbana)"]


@pytest.mark.parametrize(("query", "wished"), [
    ("spring flower", {"seasons": ["spring"], "families": ["floral"]}),
    ("leather oud", {"notes": ["leather", "oud"]}), ("green tea", {"notes": ["green tea"]}),
    ("orange blossom", {"notes": ["orange blossom"]}), ("for men", {"genders": ["masculine"]}),
    ("light blue for summer", {"seasons": ["summer"], "intensity": "light"}),
])
def test_a_name_whose_words_all_mean_something_is_read_for_them(
        pipeline: SearchPipeline, query: str, wished: dict[str, object]) -> None:
    interpreted = search(pipeline, query).interpreted
    assert interpreted["perfumes"] == []
    for element, value in wished.items():
        assert interpreted[element] == value


@pytest.mark.parametrize("query", ["forest scent", "smells like a forest", "숲속 같은 향",
                                   "a walk in the woodland"])
def test_a_forest_is_its_conifers_and_its_moss(pipeline: SearchPipeline, query: str) -> None:
    """"forest" was no word the search knew (Korean 숲 too): the embedding alone ranked."""
    result = search(pipeline, query, top_k=5)
    assert result.interpreted["notes"] == ["cypress or fir balsam or oakmoss or pine"]
    forest = {"cypress", "fir balsam", "oakmoss", "pine"}
    assert all(forest & set(hit.matched_notes) for hit in result.hits)


@pytest.mark.parametrize(("query", "notes"), [
    ("smells like church", ["incense or labdanum or myrrh"]),
    ("smells like cigars", ["tobacco"]), ("cigar lounge vibes", ["tobacco"]),
    ("smells like whiskey", ["cognac or rum"]),
    ("smells like a barbershop", ["geranium or lavender or oakmoss or tonka bean"]),
    ("smells like sunscreen", ["coconut or frangipani or ylang-ylang"]),
    ("smells like a new car", ["leather"]),
    ("smells like cookies", ["almond or caramel or cinnamon or honey or praline or tonka bean "
                             "or vanilla"]),
])
def test_things_people_say_a_perfume_smells_like_are_their_notes(
        pipeline: SearchPipeline, query: str, notes: list[str]) -> None:
    """Each was "No perfume in the catalogue is called 'church'; searched for perfumes that
    smell like it", ranked by the embedding alone."""
    result = search(pipeline, query, top_k=5)
    assert result.interpreted["notes"] == notes and result.interpreted["reference"] is None
    assert result.hits and all(hit.matched_notes for hit in result.hits)


@pytest.mark.parametrize(("query", "reference"), [
    ("I love Aventus, what else would I like?", "Aventus"),
    ("fans of aventus also like", "Aventus"), ("if you like baccarat rouge", "Baccarat Rouge 540"),
])
def test_a_perfume_someone_loves_is_what_they_want_more_of(pipeline: SearchPipeline,
                                                           query: str, reference: str) -> None:
    """"I love Aventus, what else would I like?" listed Aventus itself first."""
    result = search(pipeline, query, top_k=5)
    assert result.interpreted["reference"]["name"] == reference
    assert all(reference not in hit.payload["name"] for hit in result.hits)
