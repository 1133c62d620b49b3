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
import os
import socket
import time
from collections.abc import Sequence
from itertools import groupby

import redis
from celery import Celery

from core.heartbeats import HEARTBEATS, WorkerBeat, alive, read_beats
from core.store import JobStore, LostRun

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
        live = {beat.name for beat in alive(read_beats(client), time.time())}
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


def predecessor_is_gone(client: redis.Redis, hostname: str) -> bool:
    """Whether no other process of this worker name is alive: its last beat is old, or it
    came from a process on this host that no longer exists (a killed worker restarted by
    its supervisor beat a moment ago). Two live processes of one name (a duplicate node
    name) are left alone: each runs its own jobs."""
    try:
        raw = client.hget(HEARTBEATS, hostname)
    except redis.RedisError:
        return False
    beat = WorkerBeat.decode(hostname, raw) if raw is not None else None  # type: ignore[arg-type]
    if beat is None or not alive([beat], time.time()):
        return True
    if beat.pid == os.getpid():
        return False
    if hostname.rpartition("@")[2] != socket.gethostname():
        return False  # another host's process id says nothing here
    try:
        os.kill(beat.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user holds that id: not our worker
        return True
    return False


def release_predecessors_runs(app: Celery, client: redis.Redis, store: JobStore,
                              hostname: str) -> list[LostRun]:
    """A worker starting under the name of one that is gone (`fragrance run`, compose or
    Kubernetes restarting a killed worker) sends the jobs that one was running back to
    their backlog now, instead of after their leases lapse (`lease_s`, 120 s by default).
    Called when the worker is ready and before it consumes, so none of them is its own."""
    if not predecessor_is_gone(client, hostname):
        return []
    runs = store.requeue_runs_of(hostname)
    if runs:
        log.warning("worker %s restarted: %d job%s its previous process was running went "
                    "back to the queue", hostname, len(runs), "" if len(runs) == 1 else "s")
        report_lost_runs(app, client, runs)
    return runs
