"""The Celery app factory: queues, routes, reliability settings, time limits, beat.

`create_celery(settings)` is a composition root: it reads settings and hands plain values to
the worker resources. Importing this module connects to nothing.
"""

from __future__ import annotations

from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from core.states import QUEUE_FOR_KIND, QUEUES, TASK_FOR_KIND, JobKind
from workers import broker_patches
from workers.resources import WorkerResources

TASK_MODULES = ["tasks.search", "tasks.recipe", "tasks.training", "tasks.maintenance"]


def _time_limits(settings: Any) -> dict[str, dict[str, int]]:
    return {
        TASK_FOR_KIND[kind]: {
            "soft_time_limit": int(settings[f"{kind}_soft_time_limit_s"]),
            "time_limit": int(settings[f"{kind}_time_limit_s"]),
        }
        for kind in JobKind
    }


def _beat_schedule(settings: Any) -> dict[str, dict[str, Any]]:
    def every(task: str, seconds: float, queue: str) -> dict[str, Any]:
        return {"task": task, "schedule": seconds, "options": {"queue": queue,
                                                               "expires": seconds}}

    # webhooks need no schedule: their senders wake on the outbox (workers.webhook_pump)
    return {
        "maintenance.recover": every("maintenance.recover",
                                     float(settings.maintenance_interval_s), "maintenance"),
    }


def create_celery(settings: Any) -> Celery:
    broker_patches.apply()
    app = Celery("fragrance", broker=settings.broker_url, backend=settings.result_backend,
                 include=TASK_MODULES, task_cls="workers.job_task:JobTask")
    transport = {"visibility_timeout": int(settings.visibility_timeout_s)}
    app.conf.update(
        # each queue its own direct exchange and routing key: with one shared default
        # exchange, every queue would be bound with the same key and get every message
        task_queues=[Queue(name, Exchange(name, type="direct"), routing_key=name)
                     for name in QUEUES],
        task_default_queue="maintenance",
        task_default_exchange="maintenance",
        task_default_routing_key="maintenance",
        task_routes={**{TASK_FOR_KIND[k]: {"queue": QUEUE_FOR_KIND[k]} for k in JobKind},
                     "maintenance.*": {"queue": "maintenance"},
                     "webhooks.*": {"queue": "webhooks"}},
        task_annotations=_time_limits(settings),
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=86400,
        result_extended=False,
        broker_transport_options=transport,
        result_backend_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        broker_channel_error_retry=True,
        worker_prefetch_multiplier=1,
        worker_max_memory_per_child=int(settings.worker_max_memory_per_child_kb),
        worker_send_task_events=True,
        task_send_sent_event=True,
        worker_hijack_root_logger=False,
        beat_schedule=_beat_schedule(settings),
    )
    app.resources = WorkerResources(app, settings)  # type: ignore[attr-defined]
    from workers import signals

    signals.connect(app, int(settings.worker_metrics_port), str(settings.device),
                    str(settings.database_url), metrics_host=str(settings.worker_metrics_host),
                    log_format=str(settings.log_format),
                    switch_interval_s=float(settings.worker_switch_interval_s))
    return app
