"""Request examples of each submit, shown in the OpenAPI document (`openapi_examples`).

Each is a valid request: `tests/api/test_openapi.py` submits every one and expects 202.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

SEARCH: dict[str, Example] = {
    "hybrid": Example(summary="a hybrid search in English",
                      value={"query": "woody amber for winter nights", "top_k": 5}),
    "korean": Example(summary="a Korean query with filters",
                      value={"query": "상큼하고 로맨틱한 봄 향수", "top_k": 5,
                             "filters": {"season": ["spring"], "gender": ["feminine"]}}),
    "materials": Example(summary="raw materials only, by meaning",
                         value={"query": "smoky leather", "search_type": "similarity",
                                "filters": {"kind": "material"}}),
    "webhook": Example(summary="with a webhook on completion",
                       value={"query": "fresh citrus cologne",
                              "webhook": "https://example.com/hooks/fragrance",
                              "webhook_events": ["completed"]}),
}

SIMILAR: dict[str, Example] = {
    "like": Example(summary="perfumes that smell like a catalogue perfume",
                    value={"perfume_id": "ysl-black-opium-2014", "top_k": 5}),
    "filtered": Example(summary="alike, for summer, no oud",
                        value={"perfume_id": "tom-ford-oud-wood-2007", "top_k": 5,
                               "filters": {"season": ["summer"], "notes_exclude": ["oud"]}}),
}

_BRIEF: dict[str, Any] = {"fragrance_family": "floral", "mood": "romantic",
                          "intensity": "moderate", "gender": "feminine", "season": "spring",
                          "notes_include": ["rose", "peony"], "concentration": "edp"}

RECIPE: dict[str, Example] = {
    "brief": Example(summary="a full brief", value=_BRIEF),
    "minimal": Example(summary="only the family", value={"fragrance_family": "citrus"}),
    "korean": Example(summary="a brief in Korean words, an answer in Korean",
                      value={"fragrance_family": "우디", "mood": "차분한", "language": "ko",
                             "season": "autumn"}),
}

BATCH: dict[str, Example] = {
    "three briefs": Example(
        summary="three briefs (an invalid one fails alone)",
        value={"requests": [_BRIEF, {"fragrance_family": "woody", "season": "winter",
                                     "intensity": "strong"},
                            {"fragrance_family": "citrus", "concentration": "edc"}]}),
    "with webhook": Example(
        summary="batch.completed to a webhook",
        value={"requests": [{"fragrance_family": "aquatic"}, {"fragrance_family": "chypre"}],
               "webhook": "https://example.com/hooks/fragrance"}),
}

TRAINING: dict[str, Example] = {
    "embedding": Example(summary="fine-tune the embedding model on the built-in pairs",
                         value={"target": "embedding", "epochs": 1, "max_steps": 20}),
    "uploaded": Example(
        summary="an uploaded dataset (JSONL lines)",
        value={"target": "embedding", "max_steps": 10,
               "dataset_lines": [
                   '{"query": "fresh summer citrus", "positive": "lemon bergamot cologne"}',
                   '{"query": "warm winter amber", "positive": "vanilla labdanum amber"}']}),
    "generator": Example(summary="a LoRA adapter for the generator",
                         value={"target": "generator", "max_steps": 10,
                                "auto_promote": False}),
}
