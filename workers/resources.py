"""Per-process warm resources of a worker, built once on first use (or at worker_ready).

The store, the runner and the models live here for the life of the process; tasks reach
them through `app.resources` (the `tasks.context.TaskContext` protocol).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from core.batching import MicroBatcher
from core.database import make_engine, make_session_factory
from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.dispatch import DispatchPolicy, DispatchQueue, message_for
from core.metrics import SEARCH_BATCH_SIZE
from core.registry import ModelRegistry
from core.runner import JobRunner, TimeLimits
from core.states import NOTIFY_CHANNEL, QUEUE_FOR_KIND, JobKind
from core.store import JobStore
from core.url_policy import UrlPolicy
from core.views import Claim
from workers.broker_inventory import jobs_in_broker
from workers.dispatcher import Dispatcher
from workers.hot_reload import HotSwap
from workers.training import TrainingDefaults, TrainingRuns
from workers.webhook_sender import WebhookSender

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_MARGIN_S = 30
EXIT_OVERRUN = 70  # the worker's exit status after a hard time limit


def _generator_options(settings: Any) -> dict[str, Any]:
    return {"model_path": settings.generator_model_path or None,
            "base_url": settings.generator_base_url or None,
            "model": settings.generator_model or None,
            "device": settings.get("device", "cpu"),
            "max_tokens": int(settings.generator_max_tokens),
            # vLLM engine settings (0 / "" means the engine's default)
            "dtype": settings.vllm_dtype or None,
            "max_model_len": int(settings.vllm_max_model_len) or None,
            "enforce_eager": bool(settings.vllm_enforce_eager),
            "kv_cache_memory_bytes": int(settings.vllm_kv_cache_bytes) or None,
            "gpu_memory_utilization": float(settings.vllm_gpu_memory_utilization) or None}


class WorkerResources:
    """Lazily built, thread-safe, one per worker process."""

    def __init__(self, app: Celery, settings: Any) -> None:
        self._app, self._settings = app, settings
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self.requeue_after_s = float(settings.requeue_after_s)
        # a sender that died mid-request frees its message after this long
        self.webhook_lease_s = float(settings.webhook_timeout_s) * 2 + 10

    def _once(self, name: str, build: Callable[[], T]) -> T:
        if name not in self._built:
            with self._lock:
                if name not in self._built:
                    self._built[name] = build()
        return self._built[name]  # type: ignore[no-any-return]

    @property
    def _sessions(self) -> sessionmaker[Session]:
        return self._once("sessions", lambda: make_session_factory(
            make_engine(self._settings.database_url)))

    @property
    def store(self) -> JobStore:
        return self._once("store", lambda: JobStore(self._sessions, policy=self._policy))

    @property
    def _policy(self) -> DispatchPolicy:
        return DispatchPolicy(windows=dict(self._settings.dispatch_windows),
                              caps=dict(self._settings.max_open_jobs))

    @property
    def dispatch_queue(self) -> DispatchQueue:
        return self._once("dispatch_queue", lambda: DispatchQueue(self._sessions,
                                                                  self._policy))

    def start_dispatcher(self) -> Dispatcher:
        return self._once("dispatcher", lambda: Dispatcher(
            self.dispatch_queue, self.publish, self._settings.broker_url,
            float(self._settings.dispatch_interval_s)).start())

    def jobs_in_broker(self) -> set[str]:
        return jobs_in_broker(self._redis, QUEUE_FOR_KIND.values())

    def runner(self, kind: JobKind) -> JobRunner:
        # kept alive by the runner's watchdog: short, so a dead worker's job returns soon
        settings = self._settings
        hard_s = float(settings[f"{kind}_time_limit_s"])
        lease_s = min(float(settings.lease_s), hard_s + LEASE_MARGIN_S)
        limits = TimeLimits(float(settings[f"{kind}_soft_time_limit_s"]), hard_s)
        return self._once(f"runner:{kind}", lambda: JobRunner(
            self.store, lease_s, limits, on_overrun=self._exit_after_overrun,
            max_attempts=int(settings.max_attempts)))

    def _exit_after_overrun(self, claim: Claim) -> None:
        """A job ran past its hard limit and its thread cannot be interrupted: leave, so a
        stuck computation does not hold this worker; the process supervisor starts a
        fresh one, and the jobs this process still held come back when their leases lapse."""
        if not self._settings.exit_on_overrun:
            return
        log.critical("job %s overran its hard time limit; this worker exits", claim.job_id)
        logging.shutdown()
        os._exit(EXIT_OVERRUN)

    def running_jobs(self) -> int:
        """Jobs this process is running now (for its heartbeat)."""
        return sum(built.running for name, built in list(self._built.items())
                   if name.startswith("runner:"))

    # ---- search ------------------------------------------------------------------------
    @property
    def served_search(self) -> HotSwap[Any]:
        """The search pipeline of the registry's active embedding version, hot-swapped."""
        return self._once("served_search", self._start_search)

    def _start_search(self) -> HotSwap[Any]:
        from ml.embeddings import set_torch_threads

        set_torch_threads(int(self._settings.torch_threads))
        # Versions get their own local index folder; a shared Qdrant server is rebuilt by
        # the CLI, so a server-backed worker serves the configured model only.
        interval = 0.0 if self._settings.qdrant_url else float(
            self._settings.model_poll_interval_s)
        swap: HotSwap[Any] = HotSwap(self._build_search_pipeline, self._active_embedding,
                                     interval, close=lambda pipeline: pipeline.close(),
                                     name="embedding")
        swap.start()
        return swap

    def _active_embedding(self) -> str | None:
        return None if self._settings.qdrant_url else self.registry.active_id("embedding")

    @property
    def search_pipeline(self) -> Any:
        return self.served_search.current.value

    def _build_search_pipeline(self, version_id: str | None) -> Any:
        from ml.search import build_pipeline

        settings = self._settings
        if version_id is None:
            log.info("loading the search pipeline (embedding model + vector index)")
            return build_pipeline(index_path=settings.qdrant_path or None,
                                  qdrant_url=settings.qdrant_url or None,
                                  model_path=settings.embedding_model_path or None)
        version = self.registry.get(version_id)
        index_path = f"{settings.qdrant_path or 'var/qdrant'}.versions/{version_id}"
        log.info("loading embedding version %s from %s (index %s)", version_id,
                 version.path, index_path)
        return build_pipeline(index_path=index_path, model_path=version.path)

    @property
    def search_batcher(self) -> MicroBatcher[Any, Any]:
        return self._once("search_batcher", lambda: MicroBatcher(
            self._search_served, max_batch=int(self._settings.search_batch_max),
            max_wait_s=float(self._settings.search_batch_wait_ms) / 1000,
            on_batch=SEARCH_BATCH_SIZE.observe))

    def _search_served(self, requests: Sequence[Any]) -> list[tuple[str | None, Any]]:
        """One batch on the version served now (read once: the batch never mixes)."""
        served = self.served_search.current
        return [(served.version_id, result) for result in served.value.search_many(requests)]

    def search(self, request: Any) -> dict[str, Any]:
        """The result records `model_version` (the encoder) and `model_version_id` (the
        registry version; null: the built-in base model)."""
        self._inject_fault()
        version_id, result = self.search_batcher.submit(request)
        return {**result.to_dict(), "model_version_id": version_id}

    def _inject_fault(self) -> None:
        delay = float(self._settings.get("fault_injection_delay_s", 0) or 0)
        if delay:
            time.sleep(delay)

    # ---- recipes -----------------------------------------------------------------------
    ADAPTABLE_BACKENDS = ("transformers", "vllm")  # serve the registry's LoRA adapters

    @property
    def recipe_materials(self) -> Any:
        from ml.recipe import load_materials

        return self._once("recipe_materials", load_materials)

    @property
    def served_generator(self) -> HotSwap[Any]:
        """The generator back end, with the registry's active LoRA adapter (if its back end
        can load one), hot-swapped like the embedding model."""
        return self._once("served_generator", self._start_generator)

    def _start_generator(self) -> HotSwap[Any]:
        adaptable = str(self._settings.generator_backend) in self.ADAPTABLE_BACKENDS
        interval = float(self._settings.model_poll_interval_s) if adaptable else 0.0
        swap: HotSwap[Any] = HotSwap(
            self._build_generator,
            (lambda: self.registry.active_id("generator")) if adaptable else (lambda: None),
            interval, close=lambda generator: getattr(generator, "close", lambda: None)(),
            name="generator")
        swap.start()
        return swap

    def _build_generator(self, version_id: str | None) -> Any:
        from ml.recipe.backends import build_generator

        options = _generator_options(self._settings)
        if version_id is not None:
            options["adapter_path"] = self.registry.get(version_id).path
        generator = build_generator(str(self._settings.generator_backend),
                                    self.recipe_materials, options)
        log.info("recipe generator ready: %s (version %s)", generator.model_version, version_id)
        return generator

    @property
    def recipe_batcher(self) -> MicroBatcher[Any, Any]:
        return self._once("recipe_batcher", lambda: MicroBatcher(
            self._recipes_served, max_batch=int(self._settings.recipe_batch_max),
            max_wait_s=float(self._settings.recipe_batch_wait_ms) / 1000))

    def _recipes_served(self, briefs: Sequence[Any]) -> list[dict[str, Any]]:
        """One batch on the generator and the search pipeline served now (each read once,
        like a search batch), so a batch never mixes versions."""
        from ml.recipe import RecipePipeline

        generator = self.served_generator.current
        retrieve, retrieval_version = None, None
        if self._settings.recipe_retrieval:
            from ml.rag import SearchRetriever

            served = self.served_search.current
            retrieve = SearchRetriever(served.value, top_k=int(self._settings.recipe_references))
            retrieval_version = served.version_id
        pipeline = RecipePipeline(generator.value, self.recipe_materials, retrieve)
        return [{**outcome.to_dict(), "generator_version_id": generator.version_id,
                 "retrieval_model_version_id": retrieval_version}
                for outcome in pipeline.run_many(briefs)]

    def generate_recipe(self, brief: Any) -> dict[str, Any]:
        """The result records `model_version` (the back end, with its adapter),
        `generator_version_id` (the registry's generator version; null: the configured
        model) and `retrieval_model_version_id` (the embedding version that found the
        references; null: the built-in base model, or no retrieval)."""
        self._inject_fault()
        outcome: dict[str, Any] = self.recipe_batcher.submit(brief)
        return outcome

    # ---- training -----------------------------------------------------------------------
    @property
    def registry(self) -> ModelRegistry:
        return self._once("registry", lambda: ModelRegistry(self._sessions))

    @property
    def training_runs(self) -> TrainingRuns:
        return self._once("training_runs", lambda: TrainingRuns(
            self.registry, str(self._settings.model_store),
            TrainingDefaults.from_settings(self._settings)))

    def train(self, job_id: str, request: Any,
              on_step: Callable[[int, int, float], None]) -> dict[str, Any]:
        return self.training_runs.run(job_id, request, on_step)

    def discard_checkpoints(self, job_id: str) -> None:
        self.training_runs.discard_checkpoints(job_id)

    # ---- webhooks ----------------------------------------------------------------------
    @property
    def deliveries(self) -> DeliveryStore:
        return self._once("deliveries", lambda: DeliveryStore(
            self._sessions, int(self._settings.webhook_max_attempts),
            float(self._settings.webhook_backoff_base_s)))

    @property
    def webhook_sender(self) -> WebhookSender:
        settings = self._settings
        policy = UrlPolicy.build(bool(settings.webhook_allow_http),
                                 list(settings.webhook_allowed_hosts),
                                 list(settings.webhook_allowed_networks))
        return self._once("webhook_sender", lambda: WebhookSender(
            policy, timeout_s=float(settings.webhook_timeout_s),
            max_response_bytes=int(settings.webhook_max_response_bytes),
            per_host=int(settings.webhook_per_host_concurrency)))

    def send_webhook(self, message: OutgoingMessage) -> AttemptResult:
        return self.webhook_sender.send(message)

    def publish_delivery(self) -> None:
        self._app.send_task("webhooks.deliver", queue="webhooks")

    # ---- publishing (maintenance) -----------------------------------------------------
    def publish(self, jobs: Sequence[tuple[str, str]]) -> None:
        """Publish each (job id, kind)'s message over one connection."""
        with self._app.producer_or_acquire() as producer:
            for job_id, kind in jobs:
                message = message_for(kind, job_id)
                self._app.send_task(message.task, args=[job_id], queue=message.queue,
                                    task_id=message.task_id, producer=producer)

    def announce(self, job_id: str) -> None:
        """Tell API processes that the job changed (best effort: they also poll)."""
        try:
            self._redis.publish(NOTIFY_CHANNEL, job_id)
        except redis.RedisError:
            log.debug("could not announce job %s", job_id, exc_info=True)

    @property
    def _redis(self) -> redis.Redis:
        return self._once("redis", lambda: redis.Redis.from_url(
            self._settings.broker_url, socket_timeout=2, socket_connect_timeout=2))

    def warm(self, queues: set[str]) -> None:
        """Load what the consumed queues need before the first job arrives."""
        self.store.ping()
        if "maintenance" in queues:
            self.start_dispatcher()
        if "search" in queues:
            self.search_pipeline  # noqa: B018 - loading is the point
        if "recipe" in queues:
            self.served_generator  # noqa: B018
