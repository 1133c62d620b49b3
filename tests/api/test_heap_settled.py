"""The API settles its heap once it has started (`core.heap.settle_heap`): its imports and
warm-up are frozen out of the collector's full passes."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_api_settles_its_heap_when_it_starts(unfrozen: None, client: TestClient) -> None:
    assert gc.get_freeze_count() > 0
    assert client.get("/healthz").status_code == 200
