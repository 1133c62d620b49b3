"""Retrieval for recipe generation: reference perfumes that fit each brief, found with the
search pipeline (all briefs of a batch in one `search_many` call)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ml.recipe.brief import Brief
from ml.search import SearchFilters, SearchPipeline, SearchRequest

FAMILY_WORDS = {"soft_floral": "soft powdery floral", "floral_amber": "floral amber",
                "soft_amber": "soft amber vanilla", "woody_amber": "woody amber",
                "woods": "woody", "mossy_woods": "mossy chypre", "dry_woods": "dry woods leather",
                "water": "aquatic marine"}


def brief_query(brief: Brief) -> str:
    """The brief as a search query in words the embedding model knows (English)."""
    family = FAMILY_WORDS.get(brief.fragrance_family, brief.fragrance_family)
    parts = [brief.mood, family, brief.season or "", f"{brief.gender} perfume"]
    if brief.notes_include:
        parts.append("with " + ", ".join(brief.notes_include))
    return " ".join(part for part in parts if part)


class SearchRetriever:
    """Callable for `RecipePipeline(retrieve=...)`: a list of reference perfumes per brief,
    each with its notes by position (`top`, `heart`, `base`)."""

    def __init__(self, pipeline: SearchPipeline, top_k: int = 5) -> None:
        self._pipeline, self._top_k = pipeline, top_k

    def __call__(self, briefs: Sequence[Brief]) -> list[list[Mapping[str, Any]]]:
        requests = [SearchRequest(query=brief_query(brief), top_k=self._top_k,
                                  search_type="hybrid",
                                  filters=SearchFilters(family=[brief.fragrance_family],
                                                        kind="perfume"))
                    for brief in briefs]
        results = self._pipeline.search_many(requests)
        return [[{"id": hit.id, "name": hit.payload.get("name"), **dict(hit.notes or {})}
                 for hit in result.hits] for result in results]
