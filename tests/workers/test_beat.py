"""The maintenance schedule stays out of Flower's task list (`workers.beat`)."""

from __future__ import annotations

import threading
from pathlib import Path

from celery import Celery

from tasks.maintenance import recover
from workers.beat import QuietScheduler


def schedule_app() -> Celery:
    app = Celery("beat-test", broker="memory://", set_as_current=False)
    app.conf.update(task_send_sent_event=True, beat_schedule={})
    return app


def test_beat_in_its_own_process_publishes_without_the_sent_event(tmp_path: Path) -> None:
    app = schedule_app()
    QuietScheduler(app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    assert app.conf.task_send_sent_event is False
    message = app.amqp.create_task_message("id", "maintenance.recover", (), {},
                                           create_sent_event=app.conf.task_send_sent_event)
    assert message.sent_event is None


def test_beat_as_a_thread_of_a_worker_leaves_the_workers_sent_events_alone(
        tmp_path: Path) -> None:
    app = schedule_app()
    thread = threading.Thread(target=QuietScheduler, args=(app,), kwargs={
        "schedule_filename": str(tmp_path / "schedule"), "lazy": True})
    thread.start()
    thread.join()
    assert app.conf.task_send_sent_event is True


def test_the_maintenance_task_sends_no_worker_events() -> None:
    assert recover.send_events is False


def test_every_worker_app_schedules_through_the_quiet_scheduler() -> None:
    from config import load_settings
    from workers.app import create_celery

    app = create_celery(load_settings("testing"))
    assert app.conf.beat_scheduler == "workers.beat:QuietScheduler"
