"""The real embedding model and a real Qdrant index: Qdrant Edge (the embedded default),
checked against qdrant-client (the production path to a server) and exact search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ml.embeddings import Encoder
from ml.exact_index import InMemoryIndex
from ml.knowledge import Catalog
from ml.search import SearchFilters, SearchPipeline, SearchRequest, build_index, build_pipeline
from ml.vector_index import IndexLockedError, open_qdrant_index

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


def test_qdrant_edge_and_qdrant_client_return_the_same_hits(
        tmp_path: Path, catalog: Catalog, real_encoder: Encoder) -> None:
    """The server path (qdrant-client; its local mode stands in for a server here) and the
    embedded Edge shards give the same ranking, filters included."""
    from qdrant_client import QdrantClient

    from ml.indexing import write_index
    from ml.vector_index import Condition, PayloadFilter, QdrantIndex

    edge = open_qdrant_index(str(tmp_path / "edge"))
    client = QdrantIndex(QdrantClient(path=str(tmp_path / "client")))
    try:
        for index in (edge, client):
            write_index(index, real_encoder, catalog)
        queries = real_encoder.encode(["fresh citrus cologne", "dark smoky leather", "rose"])
        wanted = [None, PayloadFilter(must=(Condition("season", ("winter",)),)),
                  PayloadFilter(must_not=(Condition("gender", ("feminine",)),))]
        from_edge = edge.search_batch("perfume", queries, 10, wanted)
        from_client = client.search_batch("perfume", queries, 10, wanted)
        assert [[h.id for h in hits] for hits in from_edge] == [
            [h.id for h in hits] for hits in from_client]
        assert all(hits for hits in from_edge)
        assert edge.stamp() == client.stamp() is not None
    finally:
        edge.close()
        client.close()


def test_an_edge_folder_reopens_with_its_points_and_stamp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ml import vector_index
    from ml.vector_index import Condition, EdgeIndex, PayloadFilter

    monkeypatch.setattr(vector_index, "SCROLL_CHUNK", 3)  # the id map is read in pages

    vectors = np.eye(4, dtype=np.float32)
    index = EdgeIndex(tmp_path / "index")
    index.reset("perfume", 4)
    index.upsert("perfume", ["a", "b", "c", "d"], vectors, [{"season": ["spring"]}] * 4)
    index.set_stamp("v1")
    index.close()
    reopened = EdgeIndex(tmp_path / "index")
    try:
        assert reopened.stamp() == "v1"
        hits = reopened.search_batch("perfume", vectors[2:3], 2)[0]
        assert hits[0].id == "c" and hits[0].score == pytest.approx(1.0) and len(hits) == 2
        every = reopened.search_batch("perfume", vectors[:1], 4)[0]
        assert sorted(h.id for h in every) == ["a", "b", "c", "d"]
        winter = PayloadFilter(must=(Condition("season", ("winter",)),))
        assert reopened.search_batch("perfume", vectors[2:3], 2, [winter]) == [[]]
    finally:
        reopened.close()


def test_a_second_process_on_a_held_folder_serves_from_memory_with_the_same_hits(
        tmp_path: Path, catalog: Catalog, real_encoder: Encoder) -> None:
    path = str(tmp_path / "index")
    owner = build_pipeline(index_path=path, catalog=catalog, encoder=real_encoder)
    try:  # the folder's lock is per open file: a second open in this process is refused too
        other = build_pipeline(index_path=path, catalog=catalog, encoder=real_encoder)
        assert isinstance(other._index, InMemoryIndex)
        for query in ("fresh citrus for summer", "warm vanilla without tonka", "장미 향수"):
            assert top(other, query, 10) == top(owner, query, 10)
        assert other.stamp == owner.stamp
        other.close()
    finally:
        owner.close()


def test_a_serving_process_runs_the_model_on_one_thread_without_onednn() -> None:
    """oneDNN keeps a primitive per input shape, and a models worker sees a new shape with
    almost every micro-batch: with it, a process encoding batches of 1-64 queries grew by
    hundreds of MiB (docs/worker-path.md, "Memory"). Checked in a fresh process: the flag
    is process-wide."""
    import subprocess
    import sys

    script = ("import torch; from ml.embeddings import configure_torch_for_serving; "
              "configure_torch_for_serving(1); "
              "print(torch.backends.mkldnn.enabled, torch.get_num_threads())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "1"]
