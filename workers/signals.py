"""Worker lifecycle hooks: mask secrets in every log handler Celery sets up; warm the models
when the worker is ready."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    worker_ready,
    worker_shutdown,
)

from config.log_redaction import install_redaction
from workers.heartbeat import Heartbeat
from workers.observability import serve_metrics

log = logging.getLogger(__name__)


# beat runs these every second or so: their "received"/"succeeded" lines would bury the rest
HOUSEKEEPING_TASKS = ("webhooks.dispatch", "maintenance.recover")


class QuietHousekeeping(logging.Filter):
    """Drop the INFO lines Celery writes for each run of a housekeeping task (their
    warnings and errors still pass)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not record.name.startswith("celery."):
            return True
        message = record.getMessage()
        return not any(f"{task}[" in message for task in HOUSEKEEPING_TASKS)


def connect(app: Celery, metrics_port: int = 0, device: str = "cpu",
            database_url: str = "") -> None:
    heartbeats: list[Heartbeat] = []

    def warm(sender: Any = None, **_: Any) -> None:
        if metrics_port:
            serve_metrics(metrics_port, device)
        consumer = getattr(sender, "task_consumer", None)
        queues = {q.name for q in consumer.queues} if consumer is not None else set()
        heartbeats.append(Heartbeat(app.conf.broker_url, str(getattr(sender, "hostname", "")),
                                    sorted(queues),
                                    app.resources.running_jobs).start())  # type: ignore[attr-defined]
        # the log handlers mask the passwords in these URLs
        log.info("worker ready: queues %s, device %s, database %s, broker %s",
                 ",".join(sorted(queues)), device, database_url, app.conf.broker_url)
        try:
            app.resources.warm(queues)  # type: ignore[attr-defined]
        except Exception:  # a warm-up failure must not kill the worker; jobs retry loading
            log.exception("warming worker resources failed")

    def redact_logs(**_: Any) -> None:
        install_redaction()
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, QuietHousekeeping) for f in handler.filters):
                handler.addFilter(QuietHousekeeping())

    after_setup_logger.connect(redact_logs, weak=False)
    after_setup_task_logger.connect(redact_logs, weak=False)
    def stop_beating(**_: Any) -> None:
        for heartbeat in heartbeats:
            heartbeat.stop()

    worker_ready.connect(warm, weak=False)
    worker_shutdown.connect(stop_beating, weak=False)
