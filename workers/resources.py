"""Per-process warm resources of a worker, built once on first use (or at worker_ready).

The store, the runners and each kind's runtime (the one its declaration names, built by
its `for_worker`) live here for the life of the process; tasks reach them through their
task class (`workers.job_task.JobTask.worker`, the `tasks.context.TaskContext` protocol).
"""

from __future__ import annotations

import contextvars
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import redis
from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from config.log_context import bound
from config.sections import DispatchTables, RunnerSettings, WebhookSettings, load_section
from core.batching import PriorityGate
from core.database import make_engine, make_session_factory
from core.deliveries import AttemptResult, DeliveryStore, OutgoingMessage
from core.dispatch import (
    Dispatched,
    DispatchPolicy,
    DispatchQueue,
    messages_for,
    publish_messages,
)
from core.kinds import KINDS, dotted
from core.registry import ModelRegistry
from core.runner import JobRunner, TimeLimits
from core.states import NOTIFY_CHANNEL, QUEUE_FOR_KIND
from core.store import JobStore, LostRun
from core.url_policy import UrlPolicy
from core.views import Claim
from core.wakeups import Wakeup
from core.webhooks import WEBHOOKS_CHANNEL, notify_after_outbox_commit
from workers.broker_inventory import Inventory, broker_lost_its_data, drop_held, take_inventory
from workers.dispatcher import Dispatcher
from workers.lost_runs import release_predecessors_runs, report_lost_runs
from workers.webhook_pump import WebhookPump
from workers.webhook_sender import WebhookSender

log = logging.getLogger(__name__)
T = TypeVar("T")

LEASE_MARGIN_S = 30
# threads running group messages' jobs (`run_together`): enough for every Celery thread
# of a models worker (16) to run a group of 8 at once; more groups wait for a thread
GROUP_THREADS = 128
EXIT_OVERRUN = 70  # the worker's exit status after a hard time limit


class WorkerResources:
    """Lazily built, thread-safe, one per worker process."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._app: Celery | None = None
        self._lock = threading.RLock()
        self._built: dict[str, Any] = {}
        self.running = load_section(RunnerSettings, settings)
        self.webhooks = WebhookSettings.load(settings)
        self.hostname = ""  # this worker's Celery hostname (`name_worker`)

    @property
    def requeue_after_s(self) -> float:
        return self.running.requeue_after_s

    def name_worker(self, hostname: str) -> None:
        """This worker's Celery hostname: recorded with every job it claims."""
        self.hostname = hostname

    def publish_through(self, app: Celery) -> None:
        """The app this process publishes job messages with (dispatcher, maintenance)."""
        self._app = app

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
        sessions = make_session_factory(make_engine(self.settings.database_url))
        wakeup = Wakeup(lambda: self.redis.publish(WEBHOOKS_CHANNEL, ""), "webhooks-wakeup")
        notify_after_outbox_commit(sessions, wakeup.notify)
        return sessions

    @property
    def store(self) -> JobStore:
        return self._once("store", lambda: JobStore(self._sessions, policy=self._policy))

    @property
    def _policy(self) -> DispatchPolicy:
        tables = load_section(DispatchTables, self.settings)
        return DispatchPolicy.declared(tables.dispatch_windows, tables.max_open_jobs,
                                       tables.lone_dispatch_windows)

    @property
    def dispatch_queue(self) -> DispatchQueue:
        return self._once("dispatch_queue", lambda: DispatchQueue(self._sessions,
                                                                  self._policy))

    def start_dispatcher(self) -> Dispatcher:
        return self._once("dispatcher", lambda: Dispatcher(
            self.dispatch_queue, self.publish, self.settings.broker_url,
            float(self.settings.dispatch_interval_s)).start())

    def broker_inventory(self, held_for_s: float) -> Inventory:
        """What the broker holds of the jobs' messages (`workers.broker_inventory`)."""
        return take_inventory(self.redis, QUEUE_FOR_KIND.values(), held_for_s)

    def drop_held(self, tags: Sequence[bytes]) -> None:
        drop_held(self.redis, tags)

    def broker_lost_its_data(self) -> bool:
        """Whether the broker lost what it held since the last call (see
        `workers.broker_inventory.broker_lost_its_data`)."""
        return broker_lost_its_data(self.redis)

    def runner(self, kind: str) -> JobRunner:
        """The runner of `kind` in this process (asked for by every job: built once)."""
        return self._once(f"runner:{kind}", lambda: self._make_runner(kind))

    def _make_runner(self, kind: str) -> JobRunner:
        # kept alive by the runner's watchdog: short, so a dead worker's job returns soon
        running, declared = self.running, KINDS[kind]
        soft_s, hard_s = declared.time_limits(self.settings)
        lease_s = min(running.lease_s, hard_s + LEASE_MARGIN_S)
        limits = TimeLimits(soft_s, hard_s)
        return JobRunner(self.store, lease_s, limits, on_overrun=self._exit_after_overrun,
                         max_attempts=running.max_attempts,
                         express_slots=running.express_slots,
                         gate=self.priority_gate if declared.light_tenants_first else None,
                         worker=self.hostname, on_recorded=self.announce)

    @property
    def priority_gate(self) -> PriorityGate:
        """One per process: a light tenant's job of a kind declared `light_tenants_first`
        comes first (see core.batching)."""
        return self._once("priority_gate", PriorityGate)

    def _exit_after_overrun(self, claim: Claim) -> None:
        """A job ran past its hard limit and its thread cannot be interrupted: leave, so a
        stuck computation does not hold this worker; the process supervisor starts a
        fresh one, and the jobs this process still held come back when their leases lapse."""
        if not self.running.exit_on_overrun:
            return
        log.critical("job %s overran its hard time limit; this worker exits", claim.job_id)
        logging.shutdown()
        os._exit(EXIT_OVERRUN)

    def run_together(self, calls: Sequence[tuple[Mapping[str, str], Callable[[], T]]]
                     ) -> list[T | BaseException]:
        """Run a group message's jobs at once on this process's group threads, each with
        the calling task's log context and its own job's fields (its id, its request's);
        each one's value, or the exception it raised."""
        pool = self._once("group_threads", lambda: ThreadPoolExecutor(
            GROUP_THREADS, thread_name_prefix="job-group"))

        def in_context(fields: Mapping[str, str], call: Callable[[], T]) -> Callable[[], T]:
            context = contextvars.copy_context()

            def call_as_job() -> T:
                with bound(**fields):
                    return call()
            return partial(context.run, call_as_job)

        futures = [pool.submit(in_context(fields, call)) for fields, call in calls]
        outcomes: list[T | BaseException] = []
        for future in futures:
            error = future.exception()
            outcomes.append(future.result() if error is None else error)
        return outcomes

    def running_jobs(self) -> int:
        """Jobs this process is running now (for its heartbeat)."""
        return sum(built.running for name, built in list(self._built.items())
                   if name.startswith("runner:"))

    # ---- each kind's runtime: warm models, micro-batchers, training runs ----------------
    def runtime(self, kind: str) -> Any:
        """The runtime of `kind` in this process: the class its declaration names
        (`core.kinds`), built by its `for_worker(self)` on first use."""
        module_name, attribute = dotted(KINDS[kind].runtime)
        return self._once(f"runtime:{kind}", lambda: getattr(
            importlib.import_module(module_name), attribute).for_worker(self))

    def inject_fault(self) -> None:
        """Sleep `fault_injection_delay_s` inside a job (reliability tests)."""
        delay = float(self.settings.get("fault_injection_delay_s", 0) or 0)
        if delay:
            time.sleep(delay)

    @property
    def registry(self) -> ModelRegistry:
        return self._once("registry", lambda: ModelRegistry(self._sessions))

    # ---- webhooks ----------------------------------------------------------------------
    @property
    def deliveries(self) -> DeliveryStore:
        return self._once("deliveries", lambda: DeliveryStore(
            self._sessions, self.webhooks.max_attempts, self.webhooks.backoff_base_s))

    @property
    def webhook_sender(self) -> WebhookSender:
        webhooks = self.webhooks
        policy = UrlPolicy.build(webhooks.allow_http, list(webhooks.allowed_hosts),
                                 list(webhooks.allowed_networks))
        return self._once("webhook_sender", lambda: WebhookSender(
            policy, timeout_s=webhooks.timeout_s, max_response_bytes=webhooks.max_response_bytes,
            per_host=webhooks.per_host_concurrency))

    def send_webhook(self, message: OutgoingMessage) -> AttemptResult:
        return self.webhook_sender.send(message)

    def start_webhook_pump(self) -> WebhookPump:
        return self._once("webhook_pump", lambda: WebhookPump(
            self.deliveries, self.send_webhook, self.settings.broker_url,
            lease_s=self.webhooks.lease_s, sweep_s=self.webhooks.sweep_interval_s).start())

    # ---- publishing (maintenance) -----------------------------------------------------
    def publish(self, jobs: Sequence[Dispatched]) -> None:
        """Publish the jobs' messages over one connection, each tenant's jobs of a kind in
        groups (`core.dispatch.messages_for`)."""
        if self._app is None:
            raise RuntimeError("publish_through(app) was not called")
        publish_messages(self._app, messages_for(jobs))

    def report_lost_runs(self, runs: Sequence[LostRun]) -> None:
        """Tell Flower that each lost worker's run failed (`workers.lost_runs`)."""
        if self._app is not None:
            report_lost_runs(self._app, self.redis, runs)

    def release_predecessors_runs(self) -> None:
        """At start, before consuming: the jobs a killed process of this worker's name was
        running go back to the queue now (`workers.lost_runs`); on any failure they wait
        for their leases to lapse, as before."""
        if self._app is None or not self.hostname:
            return
        try:
            release_predecessors_runs(self._app, self.redis, self.store, self.hostname)
        except Exception:
            log.warning("could not release the jobs of %s's previous process; they go back "
                        "to the queue when their leases lapse", self.hostname, exc_info=True)

    def announce(self, job_ids: Sequence[str]) -> None:
        """Tell API processes that these jobs changed, in one message (best effort: they
        also poll)."""
        try:
            self.redis.publish(NOTIFY_CHANNEL, " ".join(job_ids))
        except redis.RedisError:
            log.debug("could not announce jobs %s", job_ids, exc_info=True)

    @property
    def redis(self) -> redis.Redis:
        return self._once("redis", lambda: redis.Redis.from_url(
            self.settings.broker_url, socket_timeout=2, socket_connect_timeout=2))

    def warm(self, queues: set[str]) -> None:
        """Load what the consumed queues need before the first job arrives, and open the
        database connections a runner's claim and finish groups use at once (each group's
        writer and its express slots), so a job's claim never waits for a new connection
        on a busy host."""
        self.store.ping(connections=2 * (1 + self.running.express_slots))
        if "maintenance" in queues:
            self.start_dispatcher()
        if "webhooks" in queues:
            self.start_webhook_pump()
        for name, kind in KINDS.items():
            if kind.queue in queues:
                self.runtime(name).warm()
