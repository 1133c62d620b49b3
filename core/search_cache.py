"""Repeated searches answered at submit time, from Redis.

A search's result depends on its input, the embedding model version serving the tenant
(`version_id`; None: the base model) and the catalogue and encoder the worker's index was
built from (the index *stamp*). A worker that finished a search stores its result under
(tenant, version, normalised input) together with the stamp it ran on; each worker publishes the
stamp of every version it serves. The API looks up both in one round trip and answers from
the cache only when the entry's stamp is the current one: a new catalogue or encoder
invalidates every entry at once, a new model version is a new key (a tenant's own version
is the tenant's own key space), and entries expire after `ttl_s` in any case. Entries are
each tenant's own, even on a shared model: an instant `cached` answer to another tenant
would tell it that someone searched those words in the last minutes.

Workers write through `SearchCache`; the API reads through `SearchCacheReader`, on its event
loop (no thread of the pool: a burst of other submits waiting for threads does not delay
a lookup). The cache is best effort: Redis unreachable is a miss, a failed store is
forgotten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import unicodedata
from collections.abc import Mapping
from typing import Any

import orjson
import redis
import redis.asyncio as aioredis

from core.metrics import SEARCH_CACHE_LOOKUPS

log = logging.getLogger(__name__)
PREFIX = "fragrance:search-cache"


def normalized_input(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The search input as it matters for its result: the query in NFKC, case-folded, its
    whitespace collapsed; unset (null) fields and filters dropped."""
    normal: dict[str, Any] = {k: v for k, v in payload.items() if v is not None}
    if isinstance(normal.get("query"), str):
        normal["query"] = " ".join(unicodedata.normalize("NFKC", normal["query"])
                                   .casefold().split())
    if isinstance(normal.get("filters"), Mapping):
        normal["filters"] = {k: v for k, v in normal["filters"].items() if v is not None}
        if not normal["filters"]:
            del normal["filters"]
    return normal


def entry_key(tenant_id: str, version_id: str | None, payload: Mapping[str, Any]) -> str:
    canonical = json.dumps(normalized_input(payload), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()
    tenant = hashlib.sha256(tenant_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{PREFIX}:entry:{tenant}:{version_id or 'base'}:{digest}"


def stamp_key(version_id: str | None) -> str:
    return f"{PREFIX}:stamp:{version_id or 'base'}"


class SearchCacheReader:
    """The API's side of the cache: one MGET on the event loop a lookup."""

    def __init__(self, client: aioredis.Redis) -> None:
        self._client = client

    async def lookup(self, tenant_id: str, version_id: str | None, payload: Mapping[str, Any]
                     ) -> dict[str, Any] | None:
        """The tenant's stored result of this search on this version, if its stamp is
        current."""
        try:
            found: list[Any] = await self._client.mget(
                [stamp_key(version_id), entry_key(tenant_id, version_id, payload)])
            stamp, entry = found
        except (redis.RedisError, OSError) as exc:
            log.debug("search cache lookup failed (%s)", type(exc).__name__)
            stamp = entry = None
        result = _current_result(stamp, entry)
        SEARCH_CACHE_LOOKUPS.labels("hit" if result is not None else "miss").inc()
        return result

    async def close(self) -> None:
        """Best effort, at shutdown (a connection of another event loop cannot be closed
        here, and the process is ending anyway)."""
        with contextlib.suppress(redis.RedisError, OSError, RuntimeError):
            await self._client.aclose()


def _current_result(stamp: Any, entry: Any) -> dict[str, Any] | None:
    if stamp is None or entry is None:
        return None
    try:
        stored = json.loads(entry)
        if stored.get("stamp") == _text(stamp):
            result: dict[str, Any] | None = stored.get("result")
            return result
    except (ValueError, AttributeError):  # not ours, or cut short: a miss
        log.warning("unreadable search cache entry; ignored")
    return None


class SearchCache:
    """The workers' side of the cache: the stamps of the indexes they serve, the results
    of the searches they ran."""

    def __init__(self, client: redis.Redis, ttl_s: float) -> None:
        self._client, self._ttl_s = client, max(1, int(ttl_s))

    def publish_stamp(self, version_id: str | None, stamp: str) -> None:
        """Say which index this version's searches run on now (a worker built it)."""
        self._write(stamp_key(version_id), stamp, ex=None)

    def remember(self, tenant_id: str, version_id: str | None, stamp: str,
                 payload: Mapping[str, Any], result: Mapping[str, Any]) -> None:
        try:
            entry = orjson.dumps({"stamp": stamp, "result": result},
                                 option=orjson.OPT_NON_STR_KEYS)
        except orjson.JSONEncodeError:  # a lone surrogate, say: not cached
            return
        self._write(entry_key(tenant_id, version_id, payload), entry, ex=self._ttl_s)

    def _write(self, key: str, value: str | bytes, ex: int | None) -> None:
        try:
            self._client.set(key, value, ex=ex)
        except (redis.RedisError, UnicodeError) as exc:
            log.debug("search cache write failed (%s)", type(exc).__name__)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def search_cache(client: redis.Redis, ttl_s: float) -> SearchCache | None:
    """The result cache, or None when `ttl_s` (the setting `search_cache_ttl_s`) is 0."""
    return SearchCache(client, ttl_s) if ttl_s > 0 else None


def search_cache_reader(client: aioredis.Redis, ttl_s: float) -> SearchCacheReader | None:
    """The API's reader of the result cache, or None when `ttl_s` is 0 (no cache)."""
    return SearchCacheReader(client) if ttl_s > 0 else None
