"""Per-key token buckets for submits, held in Redis so they hold across API processes.

Each API key has a bucket of `burst` tokens refilled at `per_s` tokens a second; a submit
takes one. The bucket lives in one Redis hash updated by a Lua script (atomic, on Redis's
clock), so every API process sees the same bucket. An empty bucket answers 429 with
`Retry-After`; every answer carries the IETF draft's `RateLimit-Policy` and `RateLimit`
headers. When Redis cannot be reached the submit answers 503 (the job could not be
dispatched anyway): fail closed, never 500.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.errors import BrokerUnavailable

POLICY_NAME = "submits"
_KEY = "fragrance:ratelimit:tenant:{tenant_id}"
_BUCKET = """
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens, stamp = tonumber(state[1]), tonumber(state[2])
if tokens == nil then tokens, stamp = burst, now end
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local allowed = 0
if tokens >= cost then tokens, allowed = tokens - cost, 1 end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {allowed, tostring(tokens)}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    remaining: float
    per_s: float
    burst: int

    @property
    def retry_after_s(self) -> int:
        return 0 if self.allowed else max(1, math.ceil((1 - self.remaining) / self.per_s))

    def headers(self) -> dict[str, str]:
        window = max(1, math.ceil(self.burst / self.per_s))
        full_in = max(0, math.ceil((self.burst - self.remaining) / self.per_s))
        headers = {"RateLimit-Policy": f'"{POLICY_NAME}";q={self.burst};w={window}',
                   "RateLimit": f'"{POLICY_NAME}";r={math.floor(self.remaining)};t={full_in}'}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class RateLimited(Exception):
    """The key's bucket is empty: answer 429 with these headers."""

    def __init__(self, verdict: Verdict) -> None:
        super().__init__(f"too many submits with this API key: at most {verdict.per_s:g} a "
                         f"second (bursts of {verdict.burst}); retry in "
                         f"{verdict.retry_after_s} s")
        self.verdict = verdict


class SubmitLimiter:
    def __init__(self, redis_url: str, per_s: float, burst: int) -> None:
        self.per_s, self.burst = per_s, burst
        self._redis = aioredis.Redis.from_url(redis_url, socket_timeout=2,
                                              socket_connect_timeout=2)
        self._script = self._redis.register_script(_BUCKET)

    async def take(self, tenant_id: str) -> Verdict:
        """Take one token of the tenant's bucket. Raises RateLimited when it is empty and
        BrokerUnavailable when Redis does not answer."""
        try:
            allowed, remaining = await self._script(keys=[_KEY.format(tenant_id=tenant_id)],
                                                    args=[self.per_s, self.burst, 1])
        except (RedisError, OSError) as exc:
            raise BrokerUnavailable(f"the broker did not answer ({type(exc).__name__}); "
                                    "retry shortly") from exc
        verdict = Verdict(bool(int(allowed)), float(remaining), self.per_s, self.burst)
        if not verdict.allowed:
            raise RateLimited(verdict)
        return verdict

    async def close(self) -> None:
        """Best effort, at shutdown: a connection made on another event loop (test clients
        run several) cannot be awaited here, and the process is ending anyway."""
        with contextlib.suppress(RedisError, OSError, RuntimeError):
            await self._redis.aclose()
