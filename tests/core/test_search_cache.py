"""The result cache's keys and its failure modes (the API and e2e tests drive it whole)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
import redis
import redis.asyncio as aioredis

from core.search_cache import (
    SearchCache,
    SearchCacheReader,
    entry_key,
    normalized_input,
    search_cache,
    search_cache_reader,
)

pytestmark = pytest.mark.integration


def test_inputs_typed_differently_share_a_key_and_different_ones_do_not() -> None:
    base = {"query": "Vanilla  Perfume", "top_k": 10, "filters": {"season": None}}
    assert normalized_input(base) == {"query": "vanilla perfume", "top_k": 10}
    assert entry_key("t", None, base) == entry_key("t", None, {"query": " VANILLA perfume ",
                                                               "top_k": 10, "filters": {}})
    assert entry_key("t", None, base) != entry_key("t", None, {**base, "top_k": 5})
    assert entry_key("t", None, base) != entry_key("t", "v-1", base)
    assert entry_key("t", None, base) != entry_key("u", None, base)  # each tenant's own
    assert entry_key("t", None, {"query": "ｖａｎｉｌｌａ"}) == entry_key("t", None,
                                                                   {"query": "vanilla"})
    assert entry_key("t", None, {"query": "\udc80"})  # a lone surrogate still makes a key


def lookup(url: str, version_id: str | None, payload: Mapping[str, Any],
           tenant_id: str = "t") -> dict[str, Any] | None:
    """What the API's reader finds (on an event loop of its own)."""
    async def read() -> dict[str, Any] | None:
        reader = SearchCacheReader(aioredis.Redis.from_url(url, socket_connect_timeout=0.2))
        try:
            return await reader.lookup(tenant_id, version_id, payload)
        finally:
            await reader.close()

    return asyncio.run(read())


def test_unreadable_entries_and_an_unreachable_redis_are_misses(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    cache = SearchCache(client, ttl_s=60)
    payload = {"query": "rose"}
    cache.publish_stamp(None, "s")
    client.set(entry_key("t", None, payload), b"\xff not json")
    assert lookup(redis_url, None, payload) is None
    cache.remember("t", None, "s", payload, {"hits": ["\udc80"]})  # not encodable: not stored
    assert lookup(redis_url, None, payload) is None
    cache.remember("t", None, "s", payload, {"hits": []})
    assert lookup(redis_url, None, payload) == {"hits": []}
    # another tenant's search of the same words misses: a hit would tell it they were searched
    assert lookup(redis_url, None, payload, tenant_id="other") is None
    assert client.ttl(entry_key("t", None, payload)) > 0
    down = SearchCache(redis.Redis(port=1, socket_connect_timeout=0.2), ttl_s=60)
    assert lookup("redis://127.0.0.1:1/0", None, payload) is None
    down.remember("t", None, "s", payload, {"hits": []})  # dropped, not raised
    assert search_cache(client, 0) is None
    assert search_cache_reader(aioredis.Redis.from_url(redis_url), 0) is None
    client.flushdb()
