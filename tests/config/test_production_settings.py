"""Production settings refuse a Redis without a login; readiness queues are a setting."""

from __future__ import annotations

import pytest

from config import SettingsError, load_settings

pytestmark = pytest.mark.unit

LOGGED_IN = {"broker_url": "redis://fragrance:s3cret@redis:6379/0",
             "result_backend": "redis://fragrance:s3cret@redis:6379/1"}


@pytest.mark.parametrize("setting", ["broker_url", "result_backend"])
def test_production_refuses_a_redis_url_without_a_password(setting: str) -> None:
    urls = {**LOGGED_IN, setting: "redis://redis:6379/0"}
    with pytest.raises(SettingsError, match=f"FRAGRANCE_{setting.upper()} must log in"):
        load_settings("production", **urls)


def test_production_accepts_an_acl_user_or_a_bare_password() -> None:
    assert load_settings("production", **LOGGED_IN).broker_url.endswith("/0")
    assert load_settings("production", broker_url="redis://:s3cret@redis:6379/0",
                         result_backend="redis://:s3cret@redis:6379/1")


def test_the_refusal_never_echoes_the_url() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings("production", broker_url="redis://user-only@secret-host:6379/0",
                      result_backend=LOGGED_IN["result_backend"])
    assert "secret-host" not in str(refused.value)


def test_development_still_runs_on_a_local_redis_without_a_password() -> None:
    assert load_settings("development").broker_url == "redis://127.0.0.1:6379/0"


def test_readiness_queues_default_to_all_and_take_a_list_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings("testing").readiness_queues == "all"
    monkeypatch.setenv("FRAGRANCE_READINESS_QUEUES", '["search", "webhooks"]')
    assert load_settings("testing").readiness_queues == ["search", "webhooks"]


def test_a_readiness_queues_value_of_another_shape_is_refused_by_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_READINESS_QUEUES", "42")
    with pytest.raises(SettingsError, match="FRAGRANCE_READINESS_QUEUES"):
        load_settings("testing")


@pytest.mark.parametrize(("value", "networks"), [
    ("127.0.0.0/8", ["127.0.0.0/8"]),
    ("127.0.0.0/8, 10.0.0.0/8", ["127.0.0.0/8", "10.0.0.0/8"]),
    ('["127.0.0.0/8"]', ["127.0.0.0/8"]),
])
def test_allow_lists_take_words_separated_by_commas_from_the_environment(
        monkeypatch: pytest.MonkeyPatch, value: str, networks: list[str]) -> None:
    """`FRAGRANCE_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8` stopped the API with a traceback
    ("'1' does not appear to be an IPv4 or IPv6 network") and
    `FRAGRANCE_WEBHOOK_ALLOWED_HOSTS=localhost` allow-listed the hosts "l", "o"..."""
    monkeypatch.setenv("FRAGRANCE_WEBHOOK_ALLOWED_NETWORKS", value)
    monkeypatch.setenv("FRAGRANCE_WEBHOOK_ALLOWED_HOSTS", "localhost")
    settings = load_settings("development")
    assert list(settings.webhook_allowed_networks) == networks
    assert list(settings.webhook_allowed_hosts) == ["localhost"]


def test_a_network_that_is_not_one_is_a_settings_error_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRAGRANCE_WEBHOOK_ALLOWED_NETWORKS", "localhost")
    with pytest.raises(SettingsError, match="FRAGRANCE_WEBHOOK_ALLOWED_NETWORKS must be"):
        load_settings("development")
