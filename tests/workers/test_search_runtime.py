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
