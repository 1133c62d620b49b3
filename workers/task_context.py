"""Every log line a worker writes about a job says which job it is: the request id, tenant
and kind from the message's headers (`core.job_labels`) and the job id are bound to the log
context (`config.log_context`) from the moment the message is received until its task
returns; the worker's own name is on every line of the process.

Celery writes its "received" line before any hook runs, so for job tasks that line is
written here instead, with the job's fields (`ReceivedLine` drops Celery's own)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from celery.signals import celeryd_after_setup, task_postrun, task_prerun, task_received

from config.log_context import bind, bound, clear, set_process_fields
from core.job_labels import (
    HEADER_REQUEST_ID,
    HEADER_TENANT,
    job_id_of,
    job_ids_in,
    request_ids_in,
)
from core.states import TASK_FOR_KIND

log = logging.getLogger("celery.worker.strategy")
KIND_OF_TASK = {task: str(kind) for kind, task in TASK_FOR_KIND.items()}
_RECEIVED = "Task %(name)s[%(id)s] received"


def job_fields(task_name: str, task_id: str, request: Any) -> dict[str, str]:
    """The log context of one delivery of a job task (empty for other tasks); `request`
    is the message's headers (a dict, or Celery's task request: both have `get`)."""
    kind = KIND_OF_TASK.get(task_name)
    if kind is None:
        return {}
    fields = {"kind": kind, "job_id": job_id_of(task_id),
              "request_id": request.get(HEADER_REQUEST_ID),
              "tenant": request.get(HEADER_TENANT)}
    return {name: str(value) for name, value in fields.items() if value}


class ReceivedLine(logging.Filter):
    """Drops Celery's own "received" line of a job task (`announce_received` writes it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        data = getattr(record, "data", None)
        return not (record.msg == _RECEIVED and isinstance(data, Mapping)
                    and data.get("name") in KIND_OF_TASK)


def announce_received(request: Any = None, **_: Any) -> None:
    """The "received" line of a job task; a group message's, once for each of its jobs,
    with that job's id and request id (a job's lines can be found by either)."""
    if request is None or request.name not in KIND_OF_TASK:
        return
    fields = job_fields(request.name, request.id, request.request_dict)
    job_ids = job_ids_in(request.request_dict, request.id)
    if len(job_ids) == 1:
        with bound(**fields):
            log.info("Task %s[%s] received", request.name, request.id)
        return
    request_ids = request_ids_in(request.request_dict, job_ids)
    for number, (job_id, request_id) in enumerate(zip(job_ids, request_ids, strict=True), 1):
        with bound(**{**fields, "job_id": job_id, "request_id": request_id}):
            log.info("Task %s[%s] received (job %d of %d)", request.name, request.id,
                     number, len(job_ids))


def bind_job(task: Any = None, task_id: str = "", **_: Any) -> None:
    clear()  # a pool thread runs one task after another: start from nothing
    if task is not None:  # `forget_job` clears them when the task returns
        bind(**job_fields(task.name, task_id or "", task.request))


def forget_job(**_: Any) -> None:
    clear()


def name_worker(sender: Any = None, **_: Any) -> None:
    set_process_fields(worker=str(sender))


def connect() -> None:
    celeryd_after_setup.connect(name_worker, weak=False)
    task_received.connect(announce_received, weak=False)
    task_prerun.connect(bind_job, weak=False)
    task_postrun.connect(forget_job, weak=False)
