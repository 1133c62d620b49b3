"""The result cache's keys and its failure modes (the API and e2e tests drive it whole)."""

from __future__ import annotations

import pytest
import redis

from core.search_cache import SearchCache, entry_key, normalized_input, search_cache

pytestmark = pytest.mark.integration


def test_inputs_typed_differently_share_a_key_and_different_ones_do_not() -> None:
    base = {"query": "Vanilla  Perfume", "top_k": 10, "filters": {"season": None}}
    assert normalized_input(base) == {"query": "vanilla perfume", "top_k": 10}
    assert entry_key(None, base) == entry_key(None, {"query": " VANILLA perfume ",
                                                     "top_k": 10, "filters": {}})
    assert entry_key(None, base) != entry_key(None, {**base, "top_k": 5})
    assert entry_key(None, base) != entry_key("v-1", base)
    assert entry_key(None, {"query": "ｖａｎｉｌｌａ"}) == entry_key(None, {"query": "vanilla"})
    assert entry_key(None, {"query": "\udc80"})  # a lone surrogate still makes a key


def test_unreadable_entries_and_an_unreachable_redis_are_misses(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    cache = SearchCache(client, ttl_s=60)
    payload = {"query": "rose"}
    cache.publish_stamp(None, "s")
    client.set(entry_key(None, payload), b"\xff not json")
    assert cache.lookup(None, payload) is None
    cache.remember(None, "s", payload, {"hits": ["\udc80"]})  # not encodable: not stored
    assert cache.lookup(None, payload) is None
    cache.remember(None, "s", payload, {"hits": []})
    assert cache.lookup(None, payload) == {"hits": []}
    assert client.ttl(entry_key(None, payload)) > 0
    down = SearchCache(redis.Redis(port=1, socket_connect_timeout=0.2), ttl_s=60)
    assert down.lookup(None, payload) is None
    down.remember(None, "s", payload, {"hits": []})  # dropped, not raised
    assert search_cache(client, 0) is None
    client.flushdb()
