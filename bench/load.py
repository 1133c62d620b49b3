"""A load client run as its own process: N concurrent keep-alive connections POST the same
body for a fixed time after a warm-up, then print one JSON line of results.

    python -m bench.load URL --body '{...}' [--header 'Name: value'] [--concurrency 32]
        [--client raw|httpx]

`raw` (default) is `bench.rawhttp`; `httpx` is httpx.AsyncClient, kept to show how much the
client itself costs (see `client_cpu` in the output: near 100% means the client is the limit).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bench.rawhttp import RawConnection


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


Send = Callable[[], Awaitable[int]]


async def _hammer(send: Send, expect: int, until: float, latencies: list[float],
                  errors: list[str]) -> None:
    while True:
        started = time.perf_counter()
        if started >= until:
            return
        try:
            status = await send()
            if status != expect:
                errors.append(str(status))
        except (OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
            errors.append(type(exc).__name__)
        latencies.append(time.perf_counter() - started)


def _senders(client: str, url: str, body: bytes, headers: dict[str, str],
             concurrency: int) -> tuple[list[Send], Callable[[], Awaitable[None]]]:
    """One send callable per concurrent connection, and how to close them all."""
    if client == "raw":
        connections = [RawConnection(url, "POST", body, headers) for _ in range(concurrency)]

        async def close_raw() -> None:
            for connection in connections:
                await connection.close()

        return [c.send for c in connections], close_raw
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    pool = httpx.AsyncClient(limits=limits, headers=headers, timeout=30)

    async def post() -> int:
        return (await pool.post(url, content=body)).status_code

    return [post] * concurrency, pool.aclose


async def measure(client: str, url: str, body: bytes, headers: dict[str, str],
                  concurrency: int, seconds: float, warmup: float,
                  expect: int) -> dict[str, Any]:
    senders, close = _senders(client, url, body, headers, concurrency)
    warm_errors: list[str] = []
    until = time.perf_counter() + warmup
    await asyncio.gather(*(_hammer(send, expect, until, [], warm_errors) for send in senders))
    latencies: list[float] = []
    errors: list[str] = []
    cpu0, started = os.times(), time.perf_counter()
    until = started + seconds
    await asyncio.gather(*(_hammer(send, expect, until, latencies, errors) for send in senders))
    wall, cpu1 = time.perf_counter() - started, os.times()
    await close()
    return {"client": client, "requests": len(latencies), "errors": len(errors),
            "error_sample": errors[:3],
            "seconds": wall, "rps": len(latencies) / wall,
            "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "client_cpu": (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / wall}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.load")
    parser.add_argument("url")
    parser.add_argument("--body", required=True)
    parser.add_argument("--header", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--expect", type=int, default=202)
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    args = parser.parse_args(argv)
    headers = {"content-type": "application/json"}
    for header in args.header:
        name, value = header.split(":", 1)
        headers[name.strip()] = value.strip()
    result = asyncio.run(measure(args.client, args.url, args.body.encode(), headers,
                                 args.concurrency, args.seconds, args.warmup, args.expect))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
