"""Typed settings sections: each takes its keys from the flat settings, converted once to
its fields' types, so an integer given where a float is expected (an environment variable
"2") still arrives as a float."""

from __future__ import annotations

import dataclasses

import pytest

from config import load_settings
from config.sections import (
    ApiSettings,
    DispatchTables,
    RecipeSettings,
    SearchSettings,
    ServedModels,
    WebhookSettings,
    load_section,
)
from workers.training import TrainingDefaults

pytestmark = pytest.mark.unit


def test_sections_take_their_keys_and_types() -> None:
    settings = load_settings("testing", search_batch_wait_ms=2, served_versions_max=3,
                             webhook_allowed_hosts=["hooks.example.com"])
    search = SearchSettings.load(settings)
    assert (search.batch_max, search.batch_wait_ms, search.express_slots) == (64, 2.0, 2)
    assert isinstance(search.batch_wait_ms, float) and search.pipeline == "model"
    assert load_section(ServedModels, settings) == ServedModels(capacity=3, refresh_s=1.0)
    webhooks = WebhookSettings.load(settings)
    assert webhooks.allowed_hosts == ("hooks.example.com",)
    assert webhooks.lease_s == webhooks.timeout_s * 2 + 10
    with pytest.raises(dataclasses.FrozenInstanceError):
        search.batch_max = 1  # type: ignore[misc]


def test_the_recipe_section_gives_the_back_ends_options_their_defaults_as_none() -> None:
    recipe = RecipeSettings.load(load_settings("testing"))
    assert recipe.backend == "formulator" and recipe.references == 5
    options = recipe.generator_options()
    assert options["model_path"] is None and options["max_model_len"] == 4096
    assert options["kv_cache_memory_bytes"] is None and options["enforce_eager"] is False


def test_the_dispatch_tables_are_read_by_lower_case_name_and_numbers_converted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_DISPATCH_WINDOWS__SEARCH", "64")
    monkeypatch.setenv("FRAGRANCE_RATE_LIMIT_PER_S", "20")
    settings = load_settings("testing", max_open_jobs={"Recipe": 7},
                             cors_allowed_origins=["https://app.example.com"])
    tables, api = load_section(DispatchTables, settings), ApiSettings.load(settings)
    assert tables.dispatch_windows == {"search": 64}
    assert tables.max_open_jobs == {"recipe": 7}
    assert api.rate_limit_per_s == 20.0 and isinstance(api.rate_limit_per_s, float)
    assert api.cors_allowed_origins == ("https://app.example.com",)


def test_training_defaults_come_from_the_training_settings() -> None:
    defaults = TrainingDefaults.from_settings(load_settings(
        "testing", training_epochs=3, training_embedding_learning_rate=1,
        promotion_tolerance=0.01))
    assert (defaults.epochs, defaults.embedding_learning_rate) == (3, 1.0)
    assert defaults.promotion_tolerance == 0.01 and defaults.device == "cpu"
    assert defaults.generator_base_dir == ""  # the worker builds its tiny generator
