"""Worker lifecycle hooks: warm the models when the worker is ready."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from workers.observability import serve_metrics

log = logging.getLogger(__name__)


def connect(app: Celery, metrics_port: int = 0, device: str = "cpu") -> None:
    def warm(sender: Any = None, **_: Any) -> None:
        if metrics_port:
            serve_metrics(metrics_port, device)
        consumer = getattr(sender, "task_consumer", None)
        queues = {q.name for q in consumer.queues} if consumer is not None else set()
        try:
            app.resources.warm(queues)  # type: ignore[attr-defined]
        except Exception:  # a warm-up failure must not kill the worker; jobs retry loading
            log.exception("warming worker resources failed")

    worker_ready.connect(warm, weak=False)
