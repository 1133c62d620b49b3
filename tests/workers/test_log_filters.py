"""The housekeeping filter drops Celery's per-run INFO lines of beat tasks, nothing else."""

from __future__ import annotations

import logging

import pytest

from workers.signals import QuietHousekeeping

pytestmark = pytest.mark.unit


def record(name: str, level: int, message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


@pytest.mark.parametrize(("name", "level", "message", "args", "kept"), [
    ("celery.worker.strategy", logging.INFO, "Task %s[%s] received",
     ("maintenance.recover", "abc"), False),
    ("celery.beat", logging.INFO, "Scheduler: Sending due task %s (%s)",
     ("maintenance.recover", "maintenance.recover"), False),
    ("celery.app.trace", logging.INFO, "Task %s[%s] succeeded in 0.002s: 0",
     ("maintenance.recover", "abc"), False),
    ("celery.app.trace", logging.INFO, "Task %s[%s] succeeded in 0.02s: {}",
     ("search.run", "abc"), True),
    ("celery.app.trace", logging.ERROR, "Task %s[%s] raised unexpected: boom",
     ("maintenance.recover", "abc"), True),
    ("tasks.maintenance", logging.INFO, "maintenance.recover[%s] mentioned by our code",
     ("abc",), True),
])
def test_only_housekeeping_info_lines_are_dropped(name: str, level: int, message: str,
                                                  args: tuple[object, ...], kept: bool) -> None:
    assert QuietHousekeeping().filter(record(name, level, message, *args)) is kept
