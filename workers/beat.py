"""The maintenance schedule's publisher, kept out of Flower's task list.

`maintenance.recover` runs every few seconds; with task events on (Flower's view of jobs
needs them), each run was a row in Flower's tasks page, and a day of them buried the jobs an
operator is looking for. The task itself sends no worker events (`send_events=False`), and
this scheduler publishes it without the `task-sent` event (else each run would show
PENDING for good). Maintenance is watched through its log lines and metrics instead.

The app-wide `task_send_sent_event` is switched off only where beat has a process of its own
(`celery beat`, or a worker's `-B`, which forks it): there every publish is a schedule
entry. Beat as a thread of a worker shares the worker's app, whose job publishes Flower
needs, so it keeps the setting as it is.
"""

from __future__ import annotations

import threading
from typing import Any

from celery.beat import PersistentScheduler


class QuietScheduler(PersistentScheduler):
    """PersistentScheduler whose publishes send no `task-sent` event (module doc)."""

    def __init__(self, app: Any, *args: Any, **kwargs: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            app.conf.task_send_sent_event = False
        super().__init__(app, *args, **kwargs)
