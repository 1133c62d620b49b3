from __future__ import annotations

import json
from typing import Any

import pytest

from ml.embeddings import HashingEncoder
from ml.knowledge import Catalog
from ml.query import QueryInterpreter
from ml.ranking import FusionWeights
from ml.search import SearchFilters, SearchPipeline, SearchRequest

pytestmark = pytest.mark.unit


def ids(pipeline: SearchPipeline, query: str, **options: Any) -> list[str]:
    return [hit.id for hit in pipeline.search(SearchRequest(query, **options)).hits]


def mean_rank(ranked: list[str], wanted: set[str]) -> float:
    return sum(ranked.index(i) for i in wanted) / len(wanted)


@pytest.mark.parametrize("search_type", ["hybrid", "similarity", "keyword"])
def test_hard_filters_are_respected(fake_pipeline: SearchPipeline, catalog: Catalog,
                                    search_type: str) -> None:
    filters = SearchFilters(season=["winter"], gender=["masculine", "unisex"],
                            notes_exclude=["oud"])
    result = fake_pipeline.search(SearchRequest("warm evening leather tobacco", top_k=20,
                                                search_type=search_type, filters=filters))
    assert result.hits
    for hit in result.hits:
        perfume = catalog.perfume(hit.id)
        assert "winter" in perfume.season and perfume.gender in {"masculine", "unisex"}
        assert "oud" not in perfume.notes


def test_notes_exclude_removes_every_matching_record(fake_pipeline: SearchPipeline,
                                                     catalog: Catalog) -> None:
    before = ids(fake_pipeline, "romantic rose", top_k=20)
    after = ids(fake_pipeline, "romantic rose", top_k=20,
                filters=SearchFilters(notes_exclude=["rose", "peony"]))
    assert any("rose" in catalog.perfume(i).notes for i in before)
    assert after and not any({"rose", "peony"} & set(catalog.perfume(i).notes) for i in after)


def test_notes_include_requires_every_note(fake_pipeline: SearchPipeline,
                                           catalog: Catalog) -> None:
    found = ids(fake_pipeline, "perfume", top_k=20,
                filters=SearchFilters(notes_include=["bergamot", "oakmoss"]))
    expected = {p.id for p in catalog.perfumes if {"bergamot", "oakmoss"} <= set(p.notes)}
    assert set(found) == expected == {"oakmoss-chypre", "lavender-barber"}


def test_family_filter_and_none_values(fake_pipeline: SearchPipeline, catalog: Catalog) -> None:
    filters = SearchFilters(family=["citrus"], season=None, gender=None)  # type: ignore[arg-type]
    found = ids(fake_pipeline, "fresh", filters=filters)
    assert found and {catalog.perfume(i).family for i in found} == {"citrus"}


# The queries below use words that neither the hashing encoder nor BM25 can match
# ("springtime", "cedarwood", "him"): only understanding the query can move the ranking.
@pytest.mark.parametrize(("query", "stated"), [
    ("springtime", lambda p: "spring" in p.season),
    ("cedarwood", lambda p: "cedar" in p.notes),
    ("for him", lambda p: p.gender in {"masculine"}),
])
def test_stated_facets_put_matching_perfumes_first(catalog: Catalog, pipeline_factory: Any,
                                                   query: str, stated: Any) -> None:
    wanted = {p.id for p in catalog.perfumes if stated(p)}
    understood = ids(pipeline_factory(catalog), query, top_k=20)
    literal = pipeline_factory(catalog, interpreter=QueryInterpreter.for_catalog(
        catalog, understand=False))
    assert set(understood[:len(wanted)]) == wanted
    assert set(ids(literal, query, top_k=20)[:len(wanted)]) != wanted


def test_unisex_counts_half_for_a_gendered_hint(catalog: Catalog,
                                                pipeline_factory: Any) -> None:
    ranked = ids(pipeline_factory(catalog), "for him", top_k=20)
    genders = [catalog.perfume(i).gender for i in ranked]
    assert genders == sorted(genders, key=["masculine", "unisex", "feminine"].index)


def test_the_lexical_signal_finds_a_named_perfume(catalog: Catalog,
                                                  pipeline_factory: Any) -> None:
    lexical_only = FusionWeights(vector=0.0, lexical=1.0, facets=0.0)
    assert ids(pipeline_factory(catalog, weights=lexical_only), "Leather Study")[0] == (
        "iris-leather-study")
    assert ids(pipeline_factory(catalog), "Chapel by Zeta", search_type="keyword")[0] == (
        "incense-chapel")


def test_keyword_search_drops_records_without_a_match(fake_pipeline: SearchPipeline) -> None:
    assert ids(fake_pipeline, "honey", search_type="keyword") == ["tobacco-honey"]
    assert ids(fake_pipeline, "zzzz", search_type="keyword") == []


def test_korean_seed_query_ranks_spring_perfumes_first(fake_pipeline: SearchPipeline,
                                                       catalog: Catalog) -> None:
    result = fake_pipeline.search(SearchRequest("상큼하고 로맨틱한 봄 향수", top_k=5))
    assert result.interpreted_query == "fresh romantic spring perfume"
    assert all("spring" in catalog.perfume(hit.id).season for hit in result.hits[:3])
    assert result.hits[0].id == "spring-citrus-romance"


def test_search_many_encodes_all_queries_in_one_call(catalog: Catalog,
                                                     pipeline_factory: Any) -> None:
    encoder = HashingEncoder()
    pipeline = pipeline_factory(catalog, encoder)
    encoder.calls.clear()
    requests = [SearchRequest(q, top_k=3) for q in ("rose", "장미 향수", "amber", "tea")]
    requests.append(SearchRequest("honey", search_type="keyword"))
    requests.append(SearchRequest("rose", filters=SearchFilters(kind="material")))
    batched = pipeline.search_many(requests)
    assert encoder.calls == [5]  # the keyword request needs no vector
    singles = [pipeline.search(request) for request in requests]
    assert [r.to_dict() for r in batched] == [r.to_dict() for r in singles]


def test_matched_notes_and_json_shape(fake_pipeline: SearchPipeline) -> None:
    result = fake_pipeline.search(SearchRequest(
        "iris and leather", top_k=3, filters=SearchFilters(notes_include=["cedar"])))
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["search_type"] == "hybrid" and payload["model_version"] == "hashing-bow-256"
    top = payload["hits"][0]
    assert top["id"] == "iris-leather-study"
    assert top["matched_notes"] == ["iris", "orris", "leather", "cedar"]
    assert set(top) == {"id", "kind", "name", "brand", "family", "score", "matched_notes",
                        "season", "gender", "year", "notes", "explanation"}
    assert top["explanation"]["meets"] == ["note: iris", "note: leather"]
    assert set(top["notes"]) == {"top", "heart", "base"}
    scores = [hit["score"] for hit in payload["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_material_search(fake_pipeline: SearchPipeline) -> None:
    result = fake_pipeline.search(SearchRequest("fresh bergamot citrus",
                                                filters=SearchFilters(kind="material")))
    top = result.to_dict()["hits"][0]
    assert top == {"id": "bergamot-oil", "kind": "material", "name": "Bergamot oil",
                   "cas": ["0-00-0"], "odor_family": "citrus", "note_position": "top",
                   "score": top["score"]}
    only_woody = fake_pipeline.search(SearchRequest(
        "bergamot", filters=SearchFilters(kind="material", family=["woody"])))
    assert [hit.id for hit in only_woody.hits] == ["iso-e-super"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda: SearchFilters(season=["monsoon"]), "season"),
    (lambda: SearchFilters(family=["woody"]), "family"),
    (lambda: SearchFilters(kind="candle"), "kind"),  # type: ignore[arg-type]
    (lambda: SearchRequest("  "), "query"),
    (lambda: SearchRequest("rose", top_k=0), "top_k"),
    (lambda: SearchRequest("rose", search_type="fuzzy"), "search_type"),
])
def test_invalid_requests_raise_value_error(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
