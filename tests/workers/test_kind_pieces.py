"""A declared job kind is complete or its worker app is not created: `create_celery`
refuses a kind that lacks a piece, naming the kind and the piece, instead of failing at a
worker's start-up or at its first job. A complete kind (`demo`, declared in the tests only)
is queued, routed and time-limited like the product's kinds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from config import load_settings
from core.kinds import DECLARED, KINDS, KindError
from workers.app import create_celery

pytestmark = pytest.mark.unit
DEMO = replace(KINDS["search"], name="demo", task="demo.run", queue="demo",
               task_module="tests.workers.demo_kind",
               runtime="tests.workers.demo_kind:DemoRuntime")
DEMO_LIMITS = {"demo_soft_time_limit_s": 4, "demo_time_limit_s": 5}


def worker_app(kind: Any, **settings: Any) -> Any:
    return create_celery(load_settings("testing", **{**DEMO_LIMITS, **settings}),
                         [*DECLARED, kind])


def test_a_complete_kind_gets_its_queue_route_time_limits_and_task() -> None:
    app = worker_app(DEMO)
    assert "demo" in {queue.name for queue in app.conf.task_queues}
    assert app.conf.task_routes["demo.run"] == {"queue": "demo"}
    assert app.conf.task_annotations["demo.run"] == {"soft_time_limit": 4, "time_limit": 5}
    assert "demo.run" in app.tasks and "tests.workers.demo_kind" in app.conf.include
    app.close()


def test_a_kind_without_time_limit_settings_is_refused() -> None:
    with pytest.raises(KindError, match="job kind 'demo' has no setting demo_soft_time_limit_s"):
        create_celery(load_settings("testing"), [*DECLARED, DEMO])


def test_a_kind_without_its_task_module_is_refused() -> None:
    with pytest.raises(KindError, match=r"job kind 'demo': its task module tasks\.demo does "
                                        "not exist"):
        worker_app(replace(DEMO, task_module="tasks.demo"))


def test_a_kind_whose_module_registers_no_task_under_its_name_is_refused() -> None:
    with pytest.raises(KindError, match=r"job kind 'demo': its task module "
                                        r"tests\.workers\.demo_kind registers no task named "
                                        r"'demo\.execute'"):
        worker_app(replace(DEMO, task="demo.execute"))


@pytest.mark.parametrize(("runtime", "message"), [
    ("workers.demo_runtime:DemoRuntime", "its runtime module workers.demo_runtime does not "
                                         "exist"),
    ("tests.workers.demo_kind:Missing", "its runtime module tests.workers.demo_kind defines "
                                        "no Missing"),
])
def test_a_kind_without_a_runtime_is_refused(runtime: str, message: str) -> None:
    with pytest.raises(KindError, match=f"job kind 'demo': {message}"):
        worker_app(replace(DEMO, runtime=runtime))
