"""/readyz needs a worker only for the queues it is told to (those not scaled to zero)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from api.readiness import ClusterProbe, readiness_queues
from core.states import QUEUES

pytestmark = pytest.mark.integration


class Workers:
    """Stands in for Celery's control API: one worker per queue but training's."""

    def __init__(self, queues: list[str]) -> None:
        self.control = SimpleNamespace(inspect=lambda timeout: self)
        self._queues = queues

    def active_queues(self) -> dict[str, list[dict[str, Any]]]:
        return {f"{q}@host": [{"name": q}] for q in self._queues}


class Store:
    def ping(self) -> None:
        pass


SCALED_TO_ZERO = [q for q in QUEUES if q != "training"]


def probe(redis_url: str, required: tuple[str, ...]) -> ClusterProbe:
    return ClusterProbe(Store(), Workers(SCALED_TO_ZERO), redis_url,  # type: ignore[arg-type]
                        required_queues=required)


def test_a_queue_without_a_worker_makes_the_api_unready_by_default(redis_url: str) -> None:
    checks = probe(redis_url, readiness_queues("all")).check()
    assert checks["queues"]["training"] == 0
    assert checks["ready"] is False


def test_a_queue_left_out_of_readiness_may_have_no_worker(redis_url: str) -> None:
    checks = probe(redis_url, readiness_queues(SCALED_TO_ZERO)).check()
    assert checks["queues"]["training"] == 0  # still reported
    assert checks["ready"] is True


def test_an_unknown_queue_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match=r"FRAGRANCE_READINESS_QUEUES.*'trainig'"):
        readiness_queues(["search", "trainig"])
