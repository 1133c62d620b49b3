"""The client package against a real stack: the async client follows a batch's event
stream to the end and reads its results; the sync client waits with `Prefer: wait`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from client import AsyncFragranceClient, FragranceClient
from tests.e2e.conftest import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.model]


def test_the_clients_submit_wait_and_follow_a_batch(stack: Stack) -> None:
    issued = stack.client()
    issued.wait_finished(issued.submit_search("warm up")["id"], 180)  # models loaded
    api_key = issued.http.headers["Authorization"].removeprefix("Bearer ")
    with FragranceClient(stack.base_url, api_key) as api:
        job = api.submit_search("vetiver and grapefruit", top_k=3, wait_s=30)
        assert job["status"] == "succeeded" and len(job["result"]["hits"]) == 3

    async def follow() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        async with AsyncFragranceClient(stack.base_url, api_key) as api:
            batch = await api.submit_batch([{"fragrance_family": family} for family in
                                            ("floral", "citrus", "woody", "amber")])
            seen = [dict(update) async for update in api.batch_events(batch["id"],
                                                                     timeout_s=120)]
            return seen, [dict(line) async for line in api.batch_results(batch["id"])]

    seen, results = asyncio.run(follow())
    assert seen[-1]["status"] == "completed" and seen[-1]["counts"]["succeeded"] == 4
    assert [line["index"] for line in results] == [0, 1, 2, 3]
    assert all(line["result"]["formula"]["ingredients"] for line in results)
