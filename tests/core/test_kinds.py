"""The job kinds' declarations: what derives from them, and the settings check that stops
an app whose settings lack a kind's pieces, naming the kind and the setting."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from config import load_settings
from core.dispatch import DispatchPolicy
from core.keys import SCOPES
from core.kinds import DECLARED, KINDS, JobKind, KindError, check_settings, declared_by_name
from core.states import QUEUE_FOR_KIND, QUEUES, TASK_FOR_KIND

pytestmark = pytest.mark.unit
DEMO = replace(KINDS["search"], name="demo", task="demo.run", queue="demo")


def test_the_published_names_derive_from_the_declarations() -> None:
    # the stable contract with running workers and queued messages: never renamed by accident
    assert dict(TASK_FOR_KIND) == {"search": "search.run", "recipe": "recipe.generate",
                                   "training": "training.run"}
    assert dict(QUEUE_FOR_KIND) == {"search": "search", "recipe": "recipe",
                                    "training": "training"}
    assert QUEUES == ("search", "recipe", "training", "webhooks", "maintenance")
    assert TASK_FOR_KIND[JobKind.SEARCH] == "search.run"  # the enum still looks them up
    assert {"search", "generate", "training", "admin"} == SCOPES


def test_the_dispatch_policy_takes_each_kinds_default_unless_the_settings_name_it() -> None:
    policy = DispatchPolicy.declared({"search": 64}, {})
    assert (policy.window("search"), policy.window("recipe"), policy.window("training")) \
        == (64, 8, 1)
    assert (policy.cap("search"), policy.cap("recipe"), policy.cap("training")) \
        == (20000, 5000, 2)


def test_a_name_task_or_queue_declared_twice_is_refused() -> None:
    with pytest.raises(KindError, match="'demo' declares the queue 'search' of kind 'search'"):
        declared_by_name([*DECLARED, replace(DEMO, queue="search")])
    with pytest.raises(KindError, match=r"task 'search\.run'"):
        declared_by_name([*DECLARED, replace(DEMO, task="search.run")])


def test_the_declared_kinds_have_their_settings() -> None:
    for environment in ("development", "testing", "production"):
        check_settings(load_settings(environment) if environment != "production"
                       else _production())


def test_a_kind_without_its_time_limits_is_named() -> None:
    settings = load_settings("testing")
    with pytest.raises(KindError, match="job kind 'demo' has no setting demo_soft_time_limit_s"):
        check_settings(settings, [*DECLARED, DEMO])
    with pytest.raises(KindError, match="has no setting demo_time_limit_s"):
        check_settings(load_settings("testing", demo_soft_time_limit_s=5), [*DECLARED, DEMO])
    check_settings(load_settings("testing", demo_soft_time_limit_s=5, demo_time_limit_s=6),
                   [*DECLARED, DEMO])


@pytest.mark.parametrize(("overrides", "message"), [
    ({"recipe_soft_time_limit_s": 15}, r"recipe_soft_time_limit_s \(15\) must be below "
                                       r"recipe_time_limit_s \(15\)"),
    ({"training_time_limit_s": 0}, "training_time_limit_s must be a positive whole number"),
    ({"search_time_limit_s": "60"}, "search_time_limit_s must be a positive whole number"),
    ({"visibility_timeout_s": 18}, r"visibility_timeout_s \(18\) must exceed the longest "
                                   r"hard time limit \(18\)"),
    ({"dispatch_windows": {"serch": 4}}, r"dispatch_windows names \['serch'\], which are not "
                                         r"job kinds; the kinds are \['recipe', 'search', "
                                         r"'training'\]"),
    ({"max_open_jobs": {"noop": 4}}, r"max_open_jobs names \['noop'\]"),
    ({"lone_dispatch_windows": {"serch": 4}}, r"lone_dispatch_windows names \['serch'\]"),
])
def test_bad_kind_settings_are_named(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(KindError, match=message):
        check_settings(load_settings("testing", **overrides))


def test_a_window_set_from_the_environment_names_its_kind_in_capitals(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_DISPATCH_WINDOWS__SEARCH", "64")
    settings = load_settings("testing")
    check_settings(settings)
    policy = DispatchPolicy.declared(settings.dispatch_windows, settings.max_open_jobs)
    assert policy.window("search") == 64


def test_a_lone_tenants_window_is_declared_per_kind_and_never_below_the_window(
        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings("testing")
    policy = DispatchPolicy.declared(settings.dispatch_windows, settings.max_open_jobs,
                                     settings.lone_dispatch_windows)
    assert (policy.window("search"), policy.lone_window("search")) == (8, 64)
    assert policy.lone_window("training") == policy.window("training") == 1
    monkeypatch.setenv("FRAGRANCE_LONE_DISPATCH_WINDOWS__RECIPE", "4")
    settings = load_settings("testing")
    check_settings(settings)
    policy = DispatchPolicy.declared(settings.dispatch_windows, settings.max_open_jobs,
                                     settings.lone_dispatch_windows)
    assert policy.lone_window("recipe") == policy.window("recipe") == 8


def _production() -> Any:
    secret = "redis://u:p@redis:6379/0"
    return load_settings("production", broker_url=secret, result_backend=secret,
                         cors_allowed_origins=["https://app.example.com"])
