"""One Idempotency-Key, one request, whatever the endpoint, when a job and a batch carry it
at the same moment: one is stored, the other is a conflict. (Each had checked the other's
table in a transaction of its own, found it empty, and both were stored in 5 of 12 races
recipe against batch, 7 of 10 search against batch.)"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from core.batches import BatchItem, BatchStore
from core.errors import IdempotencyConflict
from core.store import JobStore

pytestmark = pytest.mark.integration
RACES = 12


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at once; each one's return value or exception."""
    start = threading.Barrier(len(calls))
    outcomes: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        start.wait()
        try:
            outcomes[index] = calls[index]()
        except Exception as exc:  # the outcome under test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_a_job_and_a_batch_with_one_key_at_once_store_one_of_them(
        sessions: Any, store: JobStore) -> None:
    batches = BatchStore(sessions)
    for _ in range(RACES):
        tenant, key = f"t-{uuid.uuid4().hex[:8]}", f"k-{uuid.uuid4().hex}"
        job, batch = race(
            partial(store.create, tenant_id=tenant, kind="recipe",
                    input={"fragrance_family": "fruity"}, idempotency_key=key,
                    request_hash="job"),
            partial(batches.create_once, tenant_id=tenant, idempotency_key=key,
                    request_hash="batch", kind="recipe",
                    items=[BatchItem({"fragrance_family": "fruity"})]))
        stored = [o for o in (job, batch) if not isinstance(o, Exception)]
        assert len(stored) == 1, (job, batch)
        assert isinstance(job if stored[0] is batch else batch, IdempotencyConflict)
