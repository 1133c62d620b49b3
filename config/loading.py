"""Load and validate settings, failing fast with a message that names the setting.

The settings each job kind needs (its time limits, the kinds `dispatch_windows` and
`max_open_jobs` may name) are checked against the kinds' declarations by
`core.kinds.check_settings` when the API or a worker is created: config imports nothing of
ours, so it does not know the kinds."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dynaconf import Dynaconf, ValidationError, Validator

from config.log_format import FORMATS, LEVELS

SETTINGS_FILE = Path(__file__).with_name("settings.toml")
ENVIRONMENTS = ("development", "testing", "production")

Settings = Dynaconf


class SettingsError(RuntimeError):
    """A setting is missing or has a bad value; the message names it."""


def _validators() -> list[Validator]:
    positive_ints = [
        "api_port", "api_keep_alive_s", "api_max_connections", "api_request_read_s",
        "flower_port", "max_body_bytes",
        "max_upload_body_bytes", "max_buffered_body_bytes",
        "page_size_max",
        "max_streams_per_tenant",
        "visibility_timeout_s", "result_expires_s",
        "search_concurrency", "search_batch_max", "requeue_after_s", "lease_s", "max_attempts",
        "served_versions_max",
        "training_epochs", "training_batch_size", "training_checkpoint_every",
        "training_checkpoints_keep", "training_max_dataset_lines", "training_versions_kept",
        "training_embedding_max_seq_length", "training_generator_max_seq_length",
    ]
    return [
        Validator("database_url", must_exist=True, is_type_of=str,
                  condition=lambda v: v.startswith(("sqlite", "postgresql")),
                  messages={"condition": "FRAGRANCE_DATABASE_URL must be a sqlite:// or "
                                         "postgresql:// URL, got {value!r}"}),
        Validator("broker_url", "result_backend", must_exist=True, is_type_of=str,
                  condition=lambda v: v.startswith(("redis://", "rediss://")),
                  messages={"condition": "{name} must be a redis:// URL, got {value!r}"}),
        *[Validator(name, must_exist=True, is_type_of=int, gt=0) for name in positive_ints],
        Validator("search_batch_wait_ms", "recipe_batch_wait_ms", must_exist=True,
                  is_type_of=(int, float), gte=0),
        Validator("promotion_tolerance", "model_poll_interval_s", must_exist=True,
                  is_type_of=(int, float), gte=0),
        Validator("model_store", must_exist=True, is_type_of=str, len_min=1),
        Validator("dispatch_windows", "lone_dispatch_windows", "max_open_jobs", must_exist=True,
                  condition=_positive_ints_by_name,
                  messages={"condition": "{name} must map job kinds to positive "
                                         "integers, got {value!r}"}),
        Validator("rate_limit_per_s", must_exist=True, is_type_of=(int, float), gte=0),
        Validator("search_cache_ttl_s", must_exist=True, is_type_of=(int, float), gte=0),
        Validator("search_pipeline", must_exist=True, is_in=("model", "noop")),
        Validator("express_slots", must_exist=True, is_type_of=int, gte=0),
        *[Validator(name, must_exist=True, is_type_of=(int, float), gt=0, lte=1)
          for name in ("worker_switch_interval_s", "api_switch_interval_s")],
        Validator("batch_thread_nice", must_exist=True, is_type_of=int, gte=0, lte=19),
        Validator("rate_limit_burst", must_exist=True, is_type_of=int, gte=1),
        Validator("dispatch_interval_s", must_exist=True, is_type_of=(int, float), gt=0),
        Validator("generator_backend", must_exist=True,
                  is_in=["formulator", "transformers", "vllm", "openai"]),
        Validator("cors_allowed_origins", must_exist=True, condition=_origins,
                  messages={"condition": 'FRAGRANCE_CORS_ALLOWED_ORIGINS must be a list of '
                                         'origins such as ["https://app.example.com"] '
                                         '(scheme://host[:port], no path), got {value!r}'}),
        Validator("log_level", must_exist=True, is_type_of=str,
                  condition=lambda v: v.upper() in LEVELS,
                  messages={"condition": f"FRAGRANCE_LOG_LEVEL must be one of {LEVELS}, "
                                         "got {value!r}"}),
        Validator("log_format", must_exist=True, is_in=list(FORMATS)),
        Validator("worker_metrics_port", "run_metrics_base_port", must_exist=True,
                  is_type_of=int, gte=0, lte=65535),
        Validator("worker_metrics_host", must_exist=True, is_type_of=str, len_min=1),
        Validator("webhook_sweep_interval_s", must_exist=True, is_type_of=(int, float), gt=0),
        Validator("webhook_allowed_networks", must_exist=True, condition=_networks,
                  messages={"condition": "FRAGRANCE_WEBHOOK_ALLOWED_NETWORKS must be networks "
                                         "such as 10.0.0.0/8,127.0.0.1/32 (or a list), got "
                                         "{value!r}"}),
        Validator("webhook_allowed_hosts", must_exist=True,
                  condition=lambda v: isinstance(v, list) and all(
                      isinstance(h, str) and h for h in v),
                  messages={"condition": "FRAGRANCE_WEBHOOK_ALLOWED_HOSTS must be host names "
                                         "such as hooks.internal,localhost (or a list), got "
                                         "{value!r}"}),
        Validator("readiness_queues", must_exist=True,
                  condition=lambda v: v == "all" or (isinstance(v, list) and all(
                      isinstance(q, str) for q in v)),
                  messages={"condition": 'FRAGRANCE_READINESS_QUEUES must be "all" or a list '
                                         "of queue names, got {value!r}"}),
    ]



# settings that are lists: from the environment, a TOML list (`'["10.0.0.0/8"]'`) or words
# separated by commas (`10.0.0.0/8,127.0.0.1/32`); a plain word was read one character at a
# time (`127.0.0.0/8`: "'1' does not appear to be an IPv4 or IPv6 network", `localhost`
# allow-listed the hosts "l", "o", ...)
LISTS = ("webhook_allowed_hosts", "webhook_allowed_networks", "cors_allowed_origins",
         "readiness_queues")


def _lists_from_words(settings: Dynaconf) -> None:
    for name in LISTS:
        value = settings.get(name)
        if isinstance(value, str) and not (name == "readiness_queues" and value == "all"):
            settings.set(name, [word.strip() for word in value.split(",") if word.strip()])


def _networks(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    try:
        for network in value:
            ipaddress.ip_network(str(network), strict=False)
    except ValueError:
        return False
    return True


def _origins(value: Any) -> bool:
    """A list of browser origins: `scheme://host[:port]`, or "*" (any origin)."""
    if not isinstance(value, list):
        return False
    return all(isinstance(origin, str) and (origin == "*" or _is_origin(origin))
               for origin in value)


def _is_origin(origin: str) -> bool:
    parts = urlsplit(origin)
    return (parts.scheme in ("http", "https") and bool(parts.hostname)
            and not parts.path and not parts.query and not parts.fragment)


def _positive_ints_by_name(value: Any) -> bool:
    return hasattr(value, "items") and all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for _, v in value.items())


def load_settings(environment: str | None = None, **overrides: Any) -> Dynaconf:
    """Return validated settings for `environment` (default: $FRAGRANCE_ENV or development).

    Raises SettingsError naming the first bad setting.
    """
    environment = environment or os.environ.get("FRAGRANCE_ENV") or "development"
    settings = Dynaconf(
        envvar_prefix="FRAGRANCE",
        settings_files=[str(SETTINGS_FILE)],
        environments=True,
        env_switcher="FRAGRANCE_ENV",
        env=environment,
        default_env="default",
        merge_enabled=True,
    )
    current = settings.current_env.lower()
    if current not in (*ENVIRONMENTS, "default"):
        raise SettingsError(f"FRAGRANCE_ENV must be one of {ENVIRONMENTS}, got {current!r}")
    for key, value in overrides.items():
        settings.set(key, value)
    _lists_from_words(settings)
    try:
        settings.validators.register(*_validators())
        settings.validators.validate()
    except ValidationError as exc:
        raise SettingsError(str(exc)) from None
    if current == "production":
        _check_production(settings)
    return settings


def _check_production(settings: Dynaconf) -> None:
    if settings.fault_injection_delay_s:
        raise SettingsError("fault_injection_delay_s must be 0 in production")
    if "*" in settings.cors_allowed_origins:
        raise SettingsError("FRAGRANCE_CORS_ALLOWED_ORIGINS may not allow every origin (*) "
                            "in production: name the front ends' origins")
    for name in ("broker_url", "result_backend"):
        if not urlsplit(settings[name]).password:  # never echo the URL: it may hold secrets
            raise SettingsError(
                f"FRAGRANCE_{name.upper()} must log in to Redis in production: "
                "redis://USER:PASSWORD@HOST:6379/DB with an ACL user (see docs/deploying.md)")

