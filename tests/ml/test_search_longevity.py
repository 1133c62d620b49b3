"""How long a perfume lasts, as people ask for it: "long lasting perfume", "beast mode",
"good projection", 지속력 좋은 향수 ranked the strong concentrations at random (a citrus
cologne, Pomelo Paradis, first) because nothing but the intensity was understood and the
query embedded "perfume". A wished intensity is now a facet: how long the family and the
concentration last (`ml.ranking.tenacity`)."""

from __future__ import annotations

import pytest

from ml.ranking import FAMILY_TENACITY, tenacity
from ml.search import SearchPipeline, SearchRequest
from ml.vocabulary import FAMILIES, FAMILY_GROUPS

pytestmark = pytest.mark.unit
RICH = {*FAMILY_GROUPS["amber"], "dry_woods", "woods", "mossy_woods"}
FRESH = set(FAMILY_GROUPS["fresh"])


def families(pipeline: SearchPipeline, query: str, top_k: int = 5) -> list[str]:
    hits = pipeline.search(SearchRequest(query, top_k=top_k)).hits
    return [hit.payload["family"] for hit in hits]


def test_every_family_has_a_tenacity_from_fresh_to_rich() -> None:
    assert set(FAMILY_TENACITY) == set(FAMILIES)
    assert tenacity({"family": "amber", "concentration": "parfum"}) == 1.0
    assert tenacity({"family": "citrus", "concentration": "edc"}) == 0.0
    assert tenacity({"family": "woody_amber", "concentration": "edp"}) > tenacity(
        {"family": "citrus", "concentration": "edp"})
    assert 0 < tenacity({}) < 1  # unknown: the middle


@pytest.mark.parametrize("query", ["long lasting perfume", "beast mode fragrance",
                                   "good projection and longevity", "perfume that lasts all day",
                                   "오래 가는 향수", "지속력 좋은 향수"])
def test_a_long_lasting_wish_lists_rich_perfumes_first(pipeline: SearchPipeline,
                                                       query: str) -> None:
    found = families(pipeline, query)
    assert set(found) <= RICH, found


@pytest.mark.parametrize("query", ["fades fast", "a light scent"])
def test_a_light_wish_lists_fresh_perfumes_first(pipeline: SearchPipeline, query: str) -> None:
    found = families(pipeline, query)
    assert set(found) <= FRESH | {"soft_floral", "floral"}, found
    assert sum(family in FRESH for family in found) >= 3, found


def test_the_intensity_weighs_beside_what_else_the_query_asks(pipeline: SearchPipeline) -> None:
    """A note keeps its weight: every hit of "long lasting rose perfume" has rose."""
    hits = pipeline.search(SearchRequest("long lasting rose perfume", top_k=5)).hits
    assert all("rose" in hit.matched_notes for hit in hits)


def test_a_wished_intensity_is_a_facet_of_the_hybrid_score() -> None:
    from ml.facets import FacetHints
    from ml.ranking import perfume_facet_score

    amber = {"family": "amber", "concentration": "edp"}
    citrus = {"family": "citrus", "concentration": "edp"}
    strong, light = FacetHints(intensity="strong"), FacetHints(intensity="light")
    assert perfume_facet_score(amber, strong) > perfume_facet_score(citrus, strong)
    assert perfume_facet_score(citrus, light) > perfume_facet_score(amber, light)
    assert perfume_facet_score(amber, FacetHints()) == 0.0
