"""The search runtime with the bench's zero-cost pipeline: the job path without a model."""

from __future__ import annotations

import pytest

from config import load_settings
from config.sections import SearchSettings, ServedModels, load_section
from core.registry import ModelRegistry
from ml.search_protocol import SearchRequest
from workers.search_runtime import SearchRuntime

pytestmark = pytest.mark.integration


def test_the_noop_pipeline_answers_every_search_with_no_hits(sessions) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings("testing", search_pipeline="noop")
    runtime = SearchRuntime(SearchSettings.load(settings), load_section(ServedModels, settings),
                            ModelRegistry(sessions))
    result = runtime.search("tenant-a", SearchRequest(query="rose", top_k=5))
    assert result["hits"] == [] and result["model_version"] == "noop"
    assert result["cached"] is False and result["model_version_id"] is None


def test_an_unknown_pipeline_is_refused_at_start() -> None:
    from config.loading import SettingsError

    with pytest.raises(SettingsError, match="search_pipeline"):
        load_settings("testing", search_pipeline="fast")


def test_a_tenants_version_is_named_by_its_weights_not_its_training_job(
        sessions, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A version's folder is named after its training job (`<model_store>/embedding/<job
    id>`); the operator may make it the deployment's default, and then every tenant reads
    the results it serves: their `model_version` names no job."""
    import shutil
    import uuid

    from ml.embeddings import shipped_model_path

    job_id = str(uuid.uuid4())
    folder = tmp_path / "embedding" / job_id
    shutil.copytree(shipped_model_path(), folder)
    registry = ModelRegistry(sessions)
    version = registry.register(target="embedding", path=str(folder), dataset={},
                                metrics={}, tenant_id="trainer", activate=True)
    settings = load_settings("testing", qdrant_path=str(tmp_path / "qdrant"))
    runtime = SearchRuntime(SearchSettings.load(settings), load_section(ServedModels, settings),
                            registry)
    result = runtime.search("trainer", SearchRequest(query="rose", top_k=3))
    assert result["model_version_id"] == version.id and result["hits"]
    assert result["model_version"].startswith("fine-tuned@") and job_id not in str(result)


@pytest.mark.model
def test_a_similar_search_of_an_unknown_perfume_fails_and_a_known_one_answers(
        sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """`POST /search/similar` with an id no perfume has: the job fails saying so (it
    succeeded with no hits, and a client had to read a message to tell)."""
    from core.database import make_engine, make_session_factory
    from core.runner import JobFailed

    settings = load_settings("testing", qdrant_path=str(tmp_path / "qdrant"))
    runtime = SearchRuntime(SearchSettings.load(settings), load_section(ServedModels, settings),
                            ModelRegistry(make_session_factory(make_engine(sqlite_url))))
    with pytest.raises(JobFailed) as failed:
        runtime.search("tenant-a", SearchRequest(query="", top_k=3, similar_to="chanel-no-5"))
    assert failed.value.error["type"] == "unknown_perfume"
    assert "'chanel-no-5'" in failed.value.error["message"]
    known = runtime.search("tenant-a", SearchRequest(query="", top_k=3,
                                                     similar_to="ysl-black-opium-2014"))
    assert len(known["hits"]) == 3


def test_the_embedding_model_runs_on_the_workers_device(
        sessions, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """`fragrance worker --gpu N` sets the device (`FRAGRANCE_DEVICE=cuda`); the search
    runtime built its encoder on the CPU whatever it said, so a GPU worker searched on the
    CPU. (Recorded here, then loaded on the CPU: this machine may have no GPU.)"""
    import ml.search
    from ml.embeddings import SentenceTransformerEncoder

    asked: list[str] = []

    class Recording(SentenceTransformerEncoder):
        def __init__(self, model_path: str | None = None, device: str = "cpu",
                     **options: object) -> None:
            asked.append(device)
            super().__init__(model_path, "cpu", **options)  # type: ignore[arg-type]

    monkeypatch.setattr(ml.search, "SentenceTransformerEncoder", Recording)
    settings = load_settings("testing", qdrant_path=str(tmp_path / "qdrant"), device="cuda")
    runtime = SearchRuntime(SearchSettings.load(settings), load_section(ServedModels, settings),
                            ModelRegistry(sessions))
    assert runtime.search("tenant-a", SearchRequest(query="rose", top_k=3))["hits"]
    assert asked == ["cuda"]
