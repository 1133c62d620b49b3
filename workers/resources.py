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

from core.database import make_engine, make_session_factory
from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.dispatch import Dispatched, DispatchPolicy, DispatchQueue, message_for
from core.registry import ModelRegistry
from core.runner import JobRunner, TimeLimits
from core.search_cache import search_cache
from core.states import NOTIFY_CHANNEL, QUEUE_FOR_KIND, JobKind
from core.store import JobStore
from core.url_policy import UrlPolicy
from core.views import Claim
from core.wakeups import Wakeup
from core.webhooks import WEBHOOKS_CHANNEL, notify_after_outbox_commit
from workers.broker_inventory import jobs_in_broker
from workers.dispatcher import Dispatcher
from workers.recipe_runtime import RecipeRuntime
from workers.search_runtime import SearchRuntime
from workers.training import TrainingDefaults, TrainingRuns
from workers.webhook_pump import WebhookPump
from workers.webhook_sender import WebhookSender

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_MARGIN_S = 30
EXIT_OVERRUN = 70  # the worker's exit status after a hard time limit


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
        return self._once("sessions", self._make_sessions)

    def _make_sessions(self) -> sessionmaker[Session]:
        sessions = make_session_factory(make_engine(self._settings.database_url))
        wakeup = Wakeup(lambda: self._redis.publish(WEBHOOKS_CHANNEL, ""), "webhooks-wakeup")
        notify_after_outbox_commit(sessions, wakeup.notify)
        return sessions

    @property
    def store(self) -> JobStore:
        return self._once("store", lambda: JobStore(self._sessions, policy=self._policy))

    @property
    def _policy(self) -> DispatchPolicy:
        return DispatchPolicy.declared(self._settings.dispatch_windows,
                                       self._settings.max_open_jobs)

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

    # ---- search and recipes: warm models per served version -----------------------------
    @property
    def search_runtime(self) -> SearchRuntime:
        return self._once("search_runtime", lambda: SearchRuntime(
            self._settings, self.registry,
            search_cache(self._redis, float(self._settings.search_cache_ttl_s))))

    @property
    def recipe_runtime(self) -> RecipeRuntime:
        retrieval = self.search_runtime if self._settings.recipe_retrieval else None
        return self._once("recipe_runtime", lambda: RecipeRuntime(self._settings,
                                                                  self.registry, retrieval))

    def search(self, tenant_id: str, request: Any,
               payload: dict[str, Any] | None = None) -> dict[str, Any]:
        self._inject_fault()
        return self.search_runtime.search(tenant_id, request, payload)

    def generate_recipe(self, tenant_id: str, brief: Any) -> dict[str, Any]:
        self._inject_fault()
        return self.recipe_runtime.generate(tenant_id, brief)

    def _inject_fault(self) -> None:
        delay = float(self._settings.get("fault_injection_delay_s", 0) or 0)
        if delay:
            time.sleep(delay)

    # ---- training -----------------------------------------------------------------------
    @property
    def registry(self) -> ModelRegistry:
        return self._once("registry", lambda: ModelRegistry(self._sessions))

    @property
    def training_runs(self) -> TrainingRuns:
        return self._once("training_runs", lambda: TrainingRuns(
            self.registry, str(self._settings.model_store),
            TrainingDefaults.from_settings(self._settings)))

    def train(self, job_id: str, tenant_id: str, request: Any,
              on_step: Callable[[int, int, float], None]) -> dict[str, Any]:
        return self.training_runs.run(job_id, tenant_id, request, on_step)

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

    def start_webhook_pump(self) -> WebhookPump:
        return self._once("webhook_pump", lambda: WebhookPump(
            self.deliveries, self.send_webhook, self._settings.broker_url,
            lease_s=self.webhook_lease_s,
            sweep_s=float(self._settings.webhook_sweep_interval_s)).start())

    # ---- publishing (maintenance) -----------------------------------------------------
    def publish(self, jobs: Sequence[Dispatched]) -> None:
        """Publish each job's message over one connection."""
        with self._app.producer_or_acquire() as producer:
            for job in jobs:
                message = message_for(job.kind, job.job_id, job.labels)
                self._app.send_task(message.task, args=[job.job_id], queue=message.queue,
                                    task_id=message.task_id, producer=producer,
                                    headers=dict(message.headers), argsrepr=message.argsrepr,
                                    kwargsrepr=message.kwargsrepr)

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
        if "webhooks" in queues:
            self.start_webhook_pump()
        if "search" in queues:
            self.search_runtime.warm()
        if "recipe" in queues:
            self.recipe_runtime.warm()
