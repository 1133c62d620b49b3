"""The pipeline honours the parse: exclusions are hard filters, stated constraints come
first and say when they were relaxed, "like X" ranks by likeness to X (fake encoder, the
hand-written test catalogue)."""

from __future__ import annotations

from typing import Any

import pytest

from ml.knowledge import Catalog
from ml.search import SearchFilters, SearchPipeline, SearchRequest

pytestmark = pytest.mark.unit
CITRUS = {"bergamot", "lemon", "petitgrain", "mandarin", "orange", "grapefruit", "lime"}


def hits(pipeline: SearchPipeline, query: str, **options: Any) -> list[str]:
    return [hit.id for hit in pipeline.search(SearchRequest(query, **options)).hits]


@pytest.mark.parametrize("search_type", ["hybrid", "similarity", "keyword"])
@pytest.mark.parametrize(("query", "banned"), [
    ("vanilla perfume without tonka", {"tonka bean"}),
    ("fresh scent with no citrus", CITRUS),
    ("romantic floral, no rose or peony", {"rose", "peony"}),
    ("장미 빼고 플로럴 향수", {"rose"}),
    ("머스크 없는 향수", {"musk", "white musk"}),
])
def test_no_hit_ever_carries_an_excluded_note(fake_pipeline: SearchPipeline, catalog: Catalog,
                                              query: str, banned: set[str],
                                              search_type: str) -> None:
    found = hits(fake_pipeline, query, top_k=20, search_type=search_type)
    assert not any(banned & set(catalog.perfume(i).notes) for i in found)


def test_an_excluded_note_adds_nothing_to_the_query(fake_pipeline: SearchPipeline) -> None:
    result = fake_pipeline.search(SearchRequest("vanilla perfume without tonka", top_k=3))
    assert result.interpreted_query == "vanilla perfume"
    assert result.interpreted["excluded_notes"] == ["tonka bean"]
    assert "vanilla-cloud" not in [h.id for h in result.hits]  # vanilla, but with tonka
    assert result.hits[0].explanation is not None
    assert result.hits[0].explanation["matched_notes"] == ["vanilla"]


def test_perfumes_meeting_every_constraint_come_first_and_relaxing_is_said(
        fake_pipeline: SearchPipeline, catalog: Catalog) -> None:
    result = fake_pipeline.search(SearchRequest("spring perfume for men", top_k=3))
    assert [h.id for h in result.hits][:1] == ["lavender-barber"]
    first, *rest = result.hits
    assert first.explanation == {"matched_notes": [], "meets": ["gender: masculine",
                                                                "season: spring"],
                                 "relaxed": []}
    assert all(h.explanation and h.explanation["relaxed"] for h in rest)
    assert result.relaxed and result.message is not None
    assert result.message.startswith("1 of 3 hits meet every constraint")


def test_a_perfume_meeting_every_constraint_is_found_beyond_the_candidates(
        catalog: Catalog, pipeline_factory: Any) -> None:
    """BM25 matches no word of this query; the constraints alone find the perfume."""
    pipeline = pipeline_factory(catalog, candidates=1)
    assert hits(pipeline, "springtime for him", search_type="keyword")[:1] == ["lavender-barber"]


def test_like_ranks_by_likeness_and_leaves_out_the_reference_and_its_editions(
        fake_pipeline: SearchPipeline) -> None:
    result = fake_pipeline.search(SearchRequest("something like Amber Night", top_k=5))
    assert result.interpreted["reference"]["id"] == "winter-amber-night"
    found = [h.id for h in result.hits]
    assert "winter-amber-night" not in found and "winter-amber-night-intense" not in found
    top = result.hits[0]
    assert top.id == "tobacco-honey"
    assert top.explanation is not None and top.explanation["shared_notes"] == ["vanilla"]
    assert top.explanation["like"] == "Amber Night (Gamma)"
    kept = fake_pipeline.search(SearchRequest("", similar_to="winter-amber-night",
                                              include_editions=True, top_k=3))
    assert kept.hits[0].id == "winter-amber-night-intense"


def test_similar_to_keeps_filters_and_the_query_s_constraints(
        fake_pipeline: SearchPipeline, catalog: Catalog) -> None:
    found = hits(fake_pipeline, "", similar_to="rose-noir", top_k=4,
                 filters=SearchFilters(gender=["feminine"]))
    assert found and all(catalog.perfume(i).gender == "feminine" for i in found)
    masculine = fake_pipeline.search(SearchRequest("like Rose Noir but for men", top_k=3))
    assert catalog.perfume(masculine.hits[0].id).gender == "masculine"


@pytest.mark.parametrize(("request_", "message"), [
    (SearchRequest("similar to Zorblax Nuit"), "No perfume in the catalogue matches"),
    (SearchRequest("", similar_to="no-such-perfume"), "No perfume with id 'no-such-perfume'"),
])
def test_an_unknown_reference_gives_a_message_and_no_hits(
        fake_pipeline: SearchPipeline, request_: SearchRequest, message: str) -> None:
    result = fake_pipeline.search(request_)
    assert result.hits == () and result.message is not None
    assert result.message.startswith(message)


def test_search_many_mixes_like_and_plain_requests_in_one_encoder_call(
        catalog: Catalog, pipeline_factory: Any) -> None:
    from ml.embeddings import HashingEncoder

    encoder = HashingEncoder()
    pipeline = pipeline_factory(catalog, encoder)
    encoder.calls.clear()
    requests = [SearchRequest("like Amber Night", top_k=3), SearchRequest("rose", top_k=3),
                SearchRequest("like Zorblax", top_k=3), SearchRequest("", similar_to="rose-noir")]
    batched = pipeline.search_many(requests)
    assert encoder.calls == [1]  # "like X" takes X's vector from the index
    assert [r.to_dict() for r in batched] == [pipeline.search(r).to_dict() for r in requests]


def test_the_interpretation_is_in_the_result(fake_pipeline: SearchPipeline) -> None:
    payload = fake_pipeline.search(SearchRequest(
        "light citrus for the office, not too sweet, no lavender")).to_dict()
    interpreted = payload["interpreted"]
    assert interpreted["intensity"] == "light" and interpreted["families"] == ["citrus"]
    assert interpreted["occasions"] == ["office"] and interpreted["avoid"] == ["mood: sweet"]
    assert interpreted["excluded_notes"] == ["lavender"]
    assert interpreted["constraints"] == ["character: citrus", "intensity: light",
                                          "occasion: office"]
