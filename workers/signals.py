"""Worker lifecycle hooks: format every log handler Celery sets up (`log_format`, the job's
fields on each line, secrets masked); when the worker is ready, serve its metrics, start its
heartbeat and warm its models."""

from __future__ import annotations

import logging
import os
import signal
import sys
from typing import Any

from celery import Celery
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    celeryd_after_setup,
    worker_process_shutdown,
    worker_ready,
    worker_shutdown,
)

from config import SUPERVISED_ENV
from config.log_format import configure_logging
from core.heap import settle_heap
from workers import task_context
from workers.heartbeat import Heartbeat
from workers.observability import process_exited, serve_metrics
from workers.resources import WorkerResources

log = logging.getLogger(__name__)


# beat runs these every few seconds: their "received"/"succeeded" lines would bury the rest
HOUSEKEEPING_TASKS = ("maintenance.recover",)


class QuietHousekeeping(logging.Filter):
    """Drop the INFO lines Celery writes for each run of a housekeeping task: beat sending
    it, the worker receiving it and finishing it (their warnings and errors still pass)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or not record.name.startswith("celery."):
            return True
        message = record.getMessage()
        return not any(f"{task}[" in message or f"Sending due task {task} " in message
                       for task in HOUSEKEEPING_TASKS)


def set_up_logs(log_format: str) -> None:
    """Format every handler Celery set up, and keep its per-run lines of housekeeping tasks
    and its own "received" line of job tasks out (`workers.task_context` writes that one)."""
    configure_logging(log_format)
    # progress bars (saving a model's shards, loading its weights) are no log lines: Celery
    # logs what a task writes to stderr as a WARNING, a bar's every redraw among them
    os.environ.setdefault("TQDM_DISABLE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    for handler in logging.getLogger().handlers:
        for kind in (QuietHousekeeping, task_context.ReceivedLine):
            if not any(isinstance(f, kind) for f in handler.filters):
                handler.addFilter(kind())


def warm_up(resources: WorkerResources, queues: set[str]) -> None:
    try:
        resources.warm(queues)
    except Exception:  # a warm-up failure must not kill the worker; jobs retry loading
        log.exception("warming worker resources failed")


def leave_ctrl_c_to_the_supervisor(**_: Any) -> None:
    """Under `fragrance run`, a Ctrl-C in the terminal reaches every worker as well as the
    supervisor, which then stops each worker with SIGTERM: a worker's own SIGINT handler
    would start a warm shutdown first and then say so twice ("Hitting Ctrl+C again..."), and
    arm a cold shutdown on the next SIGINT. Runs before Celery installs its handlers."""
    if os.environ.get(SUPERVISED_ENV):
        import celery.apps.worker

        celery.apps.worker.install_worker_int_handler = _ignore_sigint


def _ignore_sigint(*_: Any, **__: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def child_exited(pid: int | None = None, **_: Any) -> None:
    process_exited(pid or os.getpid())


def runs_as_root() -> bool:
    """Whether this process runs as root (Celery's warning about it is silenced in
    `workers.celery_app`, and the worker's ready line says it instead)."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def connect(app: Celery, resources: WorkerResources, metrics_port: int = 0, device: str = "cpu",
            database_url: str = "", *, metrics_host: str = "127.0.0.1",
            log_format: str = "text", switch_interval_s: float | None = None) -> None:
    heartbeats: list[Heartbeat] = []
    task_context.connect()
    celeryd_after_setup.connect(leave_ctrl_c_to_the_supervisor, weak=False)

    def name_worker(sender: Any = None, **_: Any) -> None:
        resources.name_worker(str(sender or ""))

    celeryd_after_setup.connect(name_worker, weak=False)

    def warm(sender: Any = None, **_: Any) -> None:
        if switch_interval_s:  # a worker only: the API's event loop keeps Python's default
            sys.setswitchinterval(switch_interval_s)
        if metrics_port:
            serve_metrics(metrics_port, device, metrics_host)
        consumer = getattr(sender, "task_consumer", None)
        queues = {q.name for q in consumer.queues} if consumer is not None else set()
        resources.release_predecessors_runs()  # before this process beats in its name
        heartbeats.append(Heartbeat(app.conf.broker_url, str(getattr(sender, "hostname", "")),
                                    sorted(queues),
                                    resources.running_jobs).start())
        # the log handlers mask the passwords in these URLs
        log.info("worker ready: queues %s, device %s, database %s, broker %s",
                 ",".join(sorted(queues)), device, database_url, app.conf.broker_url)
        if runs_as_root():
            log.warning("this worker runs as root: Celery advises against it outside a "
                        "throwaway machine (the container images run it as user 10001)")
        # before the worker consumes: a job's time limit must not run while models load
        warm_up(resources, queues)
        settle_heap()  # what warm-up built lives as long as the process

    def format_logs(**_: Any) -> None:
        set_up_logs(log_format)

    after_setup_logger.connect(format_logs, weak=False)
    after_setup_task_logger.connect(format_logs, weak=False)

    def stop_beating(**_: Any) -> None:
        for heartbeat in heartbeats:
            heartbeat.stop()

    worker_ready.connect(warm, weak=False)
    worker_shutdown.connect(stop_beating, weak=False)
    worker_process_shutdown.connect(child_exited, weak=False)
