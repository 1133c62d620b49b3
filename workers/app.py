"""The Celery app factory: queues, routes, reliability settings, time limits, beat.

`create_celery(settings)` is a composition root: it reads settings and hands plain values to
the worker resources. The queues, routes, task modules and time limits are those of the
declared job kinds (`core.kinds`). Importing this module connects to nothing.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from config.sections import WorkerSettings
from core.kinds import DECLARED, KindDeclaration, KindError, check_settings, dotted
from core.states import SERVICE_QUEUES
from workers import broker_patches
from workers.job_task import bound_to
from workers.resources import WorkerResources

SERVICE_TASK_MODULES = ["tasks.maintenance"]


def task_modules(kinds: Iterable[KindDeclaration]) -> list[str]:
    return [*(kind.task_module for kind in kinds), *SERVICE_TASK_MODULES]


def _time_limits(settings: Any, kinds: Iterable[KindDeclaration]) -> dict[str, dict[str, int]]:
    limits = {kind.task: kind.time_limits(settings) for kind in kinds}
    return {task: {"soft_time_limit": soft, "time_limit": hard}
            for task, (soft, hard) in limits.items()}


def _beat_schedule(worker: WorkerSettings) -> dict[str, dict[str, Any]]:
    def every(task: str, seconds: float, queue: str) -> dict[str, Any]:
        return {"task": task, "schedule": seconds, "options": {"queue": queue,
                                                               "expires": seconds}}

    # webhooks need no schedule: their senders wake on the outbox (workers.webhook_pump)
    return {
        "maintenance.recover": every("maintenance.recover", worker.maintenance_interval_s,
                                     "maintenance"),
    }


def create_celery(settings: Any, kinds: Iterable[KindDeclaration] = DECLARED) -> Celery:
    """The app for `kinds` (default: every declared kind). KindError, before anything
    connects, when a kind lacks its settings, its task or its runtime."""
    kinds = tuple(kinds)
    check_settings(settings, kinds)
    broker_patches.apply()
    resources, worker = WorkerResources(settings), WorkerSettings.load(settings)
    app = Celery("fragrance", broker=worker.broker_url, backend=worker.result_backend,
                 include=task_modules(kinds), task_cls=bound_to(resources))
    resources.publish_through(app)
    transport = {"visibility_timeout": worker.visibility_timeout_s}
    queues = [*(kind.queue for kind in kinds), *SERVICE_QUEUES]
    app.conf.update(
        # each queue its own direct exchange and routing key: with one shared default
        # exchange, every queue would be bound with the same key and get every message
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name)
                     for name in queues],
        task_default_queue="maintenance",
        task_default_exchange="maintenance",
        task_default_routing_key="maintenance",
        task_routes={**{kind.task: {"queue": kind.queue} for kind in kinds},
                     "maintenance.*": {"queue": "maintenance"},
                     "webhooks.*": {"queue": "webhooks"}},
        task_annotations=_time_limits(settings, kinds),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=worker.result_expires_s,
        result_extended=False,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_channel_error_retry=True,
        worker_prefetch_multiplier=1,
        worker_max_memory_per_child=worker.max_memory_per_child_kb,
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        beat_schedule=_beat_schedule(worker),
        beat_scheduler="workers.beat:QuietScheduler",
    )
    check_worker_pieces(app, kinds)
    from workers import signals

    signals.connect(app, resources, worker.metrics_port, worker.device, worker.database_url,
                    metrics_host=worker.metrics_host, log_format=worker.log_format,
                    switch_interval_s=worker.switch_interval_s)
    return app


def check_worker_pieces(app: Celery, kinds: Iterable[KindDeclaration]) -> None:
    """Every kind's task module imports and registers a task under the kind's task name,
    and its runtime exists: KindError naming the kind and the missing piece otherwise. A
    worker would otherwise start, and fail its first job of that kind (or never see it)."""
    for kind in kinds:
        _import(kind, kind.task_module, "task module")
    registered = app.tasks  # finalizes the app: binds the shared tasks just imported
    for kind in kinds:
        if kind.task not in registered:
            raise KindError(f"job kind {kind.name!r}: its task module {kind.task_module} "
                            f"registers no task named {kind.task!r}")
        module_name, attribute = dotted(kind.runtime)
        if not hasattr(_import(kind, module_name, "runtime module"), attribute):
            raise KindError(f"job kind {kind.name!r}: its runtime module {module_name} "
                            f"defines no {attribute}")


def _import(kind: KindDeclaration, module_name: str, piece: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not f"{module_name}.".startswith(f"{exc.name}."):
            raise  # the module exists, and something it imports does not
        raise KindError(f"job kind {kind.name!r}: its {piece} {module_name} does not "
                        "exist") from None
