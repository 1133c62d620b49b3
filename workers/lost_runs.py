"""What Flower is told about a worker that was lost while running jobs.

Flower learns a task's state from the events its worker sends; a worker killed in the middle
of a job sends nothing more, so the job's delivery stayed "started" there for good, while the
job itself went back to its queue and ran again under a new delivery id. When maintenance
finds such a lease expired (`JobStore.requeue_lost`), it sends, in the lost worker's name,
the `task-failed` event that worker never sent, and a `worker-offline` event when no worker
of that name beats any more (`core.heartbeats`), so the worker is not shown alive because of
the event sent for it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from itertools import groupby

import redis
from celery import Celery

from core.heartbeats import HEARTBEATS, alive, decode_all
from core.store import LostRun

log = logging.getLogger(__name__)


def lost_run_error(worker: str) -> str:
    return (f"WorkerLost('worker {worker} was lost while running the job (its lease "
            "expired); the job was queued again and runs under a new task id')")


def report_lost_runs(app: Celery, client: redis.Redis, runs: Sequence[LostRun]) -> None:
    """Send the events lost workers never sent (best effort: Flower's view only)."""
    named = sorted((run for run in runs if run.worker and run.delivery_id),
                   key=lambda run: str(run.worker))
    if not named:
        return
    try:
        live = {beat.name for beat in alive(decode_all(client.hgetall(HEARTBEATS)),  # type: ignore[arg-type]
                                            time.time())}
        for worker, worker_runs in groupby(named, key=lambda run: str(run.worker)):
            with app.events.default_dispatcher(hostname=worker) as dispatcher:
                for run in worker_runs:
                    dispatcher.send("task-failed", uuid=run.delivery_id,
                                    exception=lost_run_error(worker), traceback="")
                if worker not in live:
                    dispatcher.send("worker-offline")
    except Exception:  # the jobs are requeued whatever Flower shows
        log.warning("could not report %d lost runs to the event stream", len(named),
                    exc_info=True)
