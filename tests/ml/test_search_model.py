"""The real embedding model and a real Qdrant local-mode index (built once per session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml.embeddings import Encoder
from ml.knowledge import Catalog
from ml.search import SearchFilters, SearchPipeline, SearchRequest, build_index
from ml.vector_index import IndexLockedError, InMemoryIndex, open_qdrant_index

pytestmark = pytest.mark.model

PARAPHRASES = [
    ("상큼하고 로맨틱한 봄 향수", "fresh and romantic spring perfume"),
    ("겨울밤을 위한 우디 앰버 향수", "woody amber for winter nights"),
    ("아이리스와 가죽 향이 나는 향수", "perfume with iris and leather"),
    ("남자를 위한 시원한 여름 향수", "cool fresh summer perfume for men"),
]


def top(pipeline: SearchPipeline, query: str, k: int = 5) -> list[str]:
    return [hit.id for hit in pipeline.search(SearchRequest(query, top_k=k)).hits]


def test_the_encoder_returns_unit_float32_rows(real_encoder: Encoder) -> None:
    vectors = real_encoder.encode(["fresh citrus", "dark leather"])
    assert vectors.shape == (2, real_encoder.dimension) == (2, 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert real_encoder.encode([]).shape == (0, 384)
    assert real_encoder.model_version.startswith("all-MiniLM-L6-v2@")


def test_the_seed_query_returns_spring_perfumes(qdrant_pipeline: SearchPipeline,
                                                catalog: Catalog) -> None:
    found = top(qdrant_pipeline, "상큼하고 로맨틱한 봄 향수")
    spring = ["spring" in catalog.perfume(i).season for i in found]
    assert spring[0] and sum(spring) >= 4, found


@pytest.mark.parametrize(("korean", "english"), PARAPHRASES)
def test_korean_and_english_paraphrases_overlap(qdrant_pipeline: SearchPipeline,
                                                korean: str, english: str) -> None:
    assert len(set(top(qdrant_pipeline, korean)) & set(top(qdrant_pipeline, english))) >= 3


def test_search_many_equals_single_searches(qdrant_pipeline: SearchPipeline) -> None:
    requests = [SearchRequest(q, top_k=5) for pair in PARAPHRASES for q in pair]
    requests.append(SearchRequest("vanilla", filters=SearchFilters(kind="material")))
    batched = qdrant_pipeline.search_many(requests)
    for request, result in zip(requests, batched, strict=True):
        single = qdrant_pipeline.search(request)
        assert [h.id for h in result.hits] == [h.id for h in single.hits]
        assert [h.score for h in result.hits] == pytest.approx([h.score for h in single.hits],
                                                               abs=1e-4)


def test_qdrant_filters_agree_with_exact_search(qdrant_pipeline: SearchPipeline,
                                                catalog: Catalog, real_encoder: Encoder,
                                                pipeline_factory: Any) -> None:
    exact = pipeline_factory(catalog, real_encoder)
    filters = SearchFilters(season=["winter"], gender=["unisex", "masculine"],
                            notes_exclude=["oud"])
    request = SearchRequest("warm evening scent", top_k=10, search_type="similarity",
                            filters=filters)
    assert ([h.id for h in qdrant_pipeline.search(request).hits]
            == [h.id for h in exact.search(request).hits])
    assert isinstance(exact._index, InMemoryIndex)


def test_rebuild_only_when_the_catalogue_changes(
        tmp_path: Path, catalog: Catalog, real_encoder: Encoder, knowledge_writer: Any,
        perfume_rows: list[dict[str, Any]]) -> None:
    path = str(tmp_path / "index")
    assert build_index(index_path=path, catalog=catalog, encoder=real_encoder)
    assert not build_index(index_path=path, catalog=catalog, encoder=real_encoder)
    assert build_index(index_path=path, force=True, catalog=catalog, encoder=real_encoder)
    perfume_rows[0]["description"] = "Now with more lemon."
    changed = Catalog.load(knowledge_writer(tmp_path / "kb", perfume_rows))
    assert build_index(index_path=path, catalog=changed, encoder=real_encoder)
    assert not build_index(index_path=path, catalog=changed, encoder=real_encoder)


def test_a_local_folder_has_one_owner(tmp_path: Path) -> None:
    first = open_qdrant_index(str(tmp_path / "index"))
    try:
        with pytest.raises(IndexLockedError):
            open_qdrant_index(str(tmp_path / "index"))
    finally:
        first.close()
    open_qdrant_index(str(tmp_path / "index")).close()
