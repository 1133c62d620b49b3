"""Typed, frozen sections of the settings, one per part of a worker that reads them.

`load_settings` validates the flat dynaconf settings; a section takes the keys its part
reads (`<prefix><field>`, or the key a field's metadata names) and converts each value to
its field's type once, here, so the runtimes pass typed values around instead of the whole
settings object, and do no `int(settings.x)` of their own.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, TypeVar, get_origin, get_type_hints

S = TypeVar("S")


def key(name: str, default: Any = MISSING) -> Any:
    """A field read from the setting `name` instead of `<prefix><field name>` (with
    `default` when the section is built by hand, in tests)."""
    return field(default=default, metadata={"key": name})


def load_section(section: type[S], settings: Any, prefix: str = "") -> S:
    """`section` filled from `settings`, each value converted to its field's type."""
    hints = get_type_hints(section)
    values: dict[str, Any] = {}
    for item in fields(section):  # type: ignore[arg-type]
        value = settings[item.metadata.get("key", prefix + item.name)]
        values[item.name] = _converted(value, hints[item.name])
    return section(**values)


def _converted(value: Any, kind: Any) -> Any:
    if kind == tuple[str, ...]:
        return tuple(str(item) for item in value)
    if get_origin(kind) is dict:  # a table by name (`dispatch_windows`): dynaconf's keys
        # are case-insensitive (`FRAGRANCE_DISPATCH_WINDOWS__SEARCH`), a dict's are not
        return {str(name).lower(): item for name, item in (value or {}).items()}
    return kind(value)


@dataclass(frozen=True)
class ServedModels:
    """How a serving worker keeps model versions warm (`workers.served_versions`)."""

    capacity: int = key("served_versions_max")
    refresh_s: float = key("model_poll_interval_s")


@dataclass(frozen=True)
class RunnerSettings:
    """How a worker runs jobs of every kind (`core.runner.JobRunner`) and hands lost ones
    back (`tasks.maintenance`)."""

    lease_s: float = key("lease_s")
    max_attempts: int = key("max_attempts")
    express_slots: int = key("express_slots")
    exit_on_overrun: bool = key("exit_on_overrun")
    requeue_after_s: float = key("requeue_after_s")


@dataclass(frozen=True, kw_only=True)
class MicroBatching:
    """How a runtime batches its jobs across threads (`core.batching.MicroBatcher`):
    `<prefix>batch_max`, `<prefix>batch_wait_ms`, and the settings every batcher shares."""

    batch_max: int
    batch_wait_ms: float
    express_slots: int = key("express_slots")
    thread_nice: int = key("batch_thread_nice")


@dataclass(frozen=True, kw_only=True)
class SearchSettings(MicroBatching):
    """The search runtime's settings (`search_*`, and the index and encoder it loads)."""

    pipeline: str
    cache_ttl_s: float
    qdrant_path: str = key("qdrant_path")
    qdrant_url: str = key("qdrant_url")
    embedding_model_path: str = key("embedding_model_path")
    torch_threads: int = key("torch_threads")
    device: str = key("device")  # where the embedding model runs (`fragrance worker --gpu`)

    @classmethod
    def load(cls, settings: Any) -> SearchSettings:
        return load_section(cls, settings, "search_")


@dataclass(frozen=True, kw_only=True)
class RecipeSettings(MicroBatching):
    """The recipe runtime's settings (`recipe_*`, and the generator back end's)."""

    retrieval: bool
    references: int
    backend: str = key("generator_backend")
    model_path: str = key("generator_model_path")
    base_url: str = key("generator_base_url")
    model: str = key("generator_model")
    max_tokens: int = key("generator_max_tokens")
    device: str = key("device")
    vllm_dtype: str = key("vllm_dtype")
    vllm_max_model_len: int = key("vllm_max_model_len")
    vllm_enforce_eager: bool = key("vllm_enforce_eager")
    vllm_kv_cache_bytes: int = key("vllm_kv_cache_bytes")
    vllm_gpu_memory_utilization: float = key("vllm_gpu_memory_utilization")

    @classmethod
    def load(cls, settings: Any) -> RecipeSettings:
        return load_section(cls, settings, "recipe_")

    def generator_options(self) -> dict[str, Any]:
        """The back end's options (`ml.recipe.backends.build_generator`); an empty or zero
        setting means the back end's default."""
        return {"model_path": self.model_path or None, "base_url": self.base_url or None,
                "model": self.model or None, "device": self.device,
                "max_tokens": self.max_tokens, "dtype": self.vllm_dtype or None,
                "max_model_len": self.vllm_max_model_len or None,
                "enforce_eager": self.vllm_enforce_eager,
                "kv_cache_memory_bytes": self.vllm_kv_cache_bytes or None,
                "gpu_memory_utilization": self.vllm_gpu_memory_utilization or None}


@dataclass(frozen=True)
class WebhookSettings:
    """The webhook senders' settings (`webhook_*`)."""

    allow_http: bool
    allowed_hosts: tuple[str, ...]
    allowed_networks: tuple[str, ...]
    timeout_s: float
    max_attempts: int
    backoff_base_s: float
    per_host_concurrency: int
    max_response_bytes: int
    sweep_interval_s: float

    @classmethod
    def load(cls, settings: Any) -> WebhookSettings:
        return load_section(cls, settings, "webhook_")

    @property
    def lease_s(self) -> float:
        """A sender that died mid-request frees its message after this long."""
        return self.timeout_s * 2 + 10


@dataclass(frozen=True)
class ApiSettings:
    """The API process's settings (`api.app.create_app`), each under its own name."""

    database_url: str
    broker_url: str
    log_format: str
    log_level: str
    idempotency_ttl_s: float
    auth_cache_s: float
    rate_limit_per_s: float
    rate_limit_burst: int
    visibility_timeout_s: int
    batch_max_items: int
    max_body_bytes: int
    max_upload_body_bytes: int
    max_buffered_body_bytes: int
    max_streams_per_tenant: int
    api_switch_interval_s: float
    cors_allowed_origins: tuple[str, ...]
    search_cache_ttl_s: float
    qdrant_url: str
    model_poll_interval_s: float
    training_max_dataset_lines: int
    webhook_secret_overlap_s: float

    @classmethod
    def load(cls, settings: Any) -> ApiSettings:
        return load_section(cls, settings)


@dataclass(frozen=True)
class DispatchTables:
    """The per-kind tables of fair dispatch (`core.dispatch.DispatchPolicy.declared`), the
    same for the API's admission and the workers' dispatcher; a kind they leave out keeps
    its declaration's default."""

    dispatch_windows: dict[str, int]
    max_open_jobs: dict[str, int]
    lone_dispatch_windows: dict[str, int]


@dataclass(frozen=True)
class WorkerSettings:
    """A worker process's own settings (`workers.app.create_celery`)."""

    max_memory_per_child_kb: int
    metrics_port: int
    metrics_host: str
    switch_interval_s: float
    database_url: str = key("database_url")
    broker_url: str = key("broker_url")
    result_backend: str = key("result_backend")
    log_format: str = key("log_format")
    device: str = key("device")
    visibility_timeout_s: int = key("visibility_timeout_s")
    result_expires_s: int = key("result_expires_s")
    maintenance_interval_s: float = key("maintenance_interval_s")

    @classmethod
    def load(cls, settings: Any) -> WorkerSettings:
        return load_section(cls, settings, "worker_")
