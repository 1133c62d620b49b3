"""`make chaos`: a fault matrix under a mixed load of search and recipe jobs with webhooks.

A private stack (its own Redis with AOF and PostgreSQL on free ports, the API, a models
worker `-Q search,recipe` and an ops worker `-Q webhooks,maintenance -B`; workers reach
Redis through a TCP proxy this run controls). For each fault: submit a mixed load spread
over ~20 s (each submit with an Idempotency-Key, retried on 503 as a client would), inject
the fault a few seconds in, heal it, then wait until every accepted job is final and its
`job.completed` webhook arrived. One row per fault: accepted, completed once, duplicated
(a second outcome or a second distinct webhook message), lost (not final, or no webhook),
recovery time (heal -> everything final), and the submit answers (503s; any other 5xx is a
bug). Exit status 1 when anything was lost or duplicated.

    python -m bench.chaos [FAULT ...]     (make chaos)
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.chaos_load import ChaosStack, Load, chaos_stack, verdict
from bench.processes import install_signal_handlers, stop_all

Fault = Callable[[ChaosStack], None]


def _sigkill_worker(stack: ChaosStack) -> None:
    for _ in range(3):
        time.sleep(random.uniform(1.5, 4.0))
        stack.models.kill()
        stack.restart_models()


def _sigterm_worker(stack: ChaosStack) -> None:
    stack.models.stop()  # warm shutdown: running jobs finish, reserved ones go back
    stack.restart_models()


def _redis_restart(stack: ChaosStack) -> None:
    stack.redis.kill()
    stack.redis.start()


def _redis_outage(stack: ChaosStack) -> None:
    stack.redis.kill()
    time.sleep(30)
    stack.redis.start()


def _postgres_restart(stack: ChaosStack) -> None:
    stack.postgres.crash()
    stack.postgres.start()


def _postgres_outage(stack: ChaosStack) -> None:
    stack.postgres.crash()
    time.sleep(20)
    stack.postgres.start()


def _network_delay(stack: ChaosStack) -> None:
    stack.proxy.delay_s = 0.3
    time.sleep(15)
    stack.proxy.delay_s = 0.0


def _network_drops(stack: ChaosStack) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        stack.proxy.cut()
        time.sleep(1.5)


FAULTS: dict[str, tuple[str, Fault]] = {
    "sigkill": ("worker SIGKILL x3 (random timing)", _sigkill_worker),
    "sigterm": ("worker SIGTERM (warm shutdown)", _sigterm_worker),
    "redis-restart": ("Redis restart", _redis_restart),
    "redis-outage": ("Redis outage 30 s", _redis_outage),
    "postgres-restart": ("PostgreSQL restart (crash)", _postgres_restart),
    "postgres-outage": ("PostgreSQL outage 20 s", _postgres_outage),
    "net-delay": ("worker<->Redis delay 300 ms, 15 s", _network_delay),
    "net-drops": ("worker<->Redis connections cut every 1.5 s, 15 s", _network_drops),
}


def run_fault(stack: ChaosStack, name: str) -> dict[str, Any]:
    title, fault = FAULTS[name]
    print(f"-- {title} ...", flush=True)
    load = Load(stack, searches=120, recipes=30, spread_s=20.0).start()
    time.sleep(4)
    fault(stack)
    healed = time.monotonic()
    load.join()
    return {"fault": title, **verdict(stack, load, healed)}


COLUMNS = ("fault", "accepted", "completed_once", "duplicated", "lost", "recovery_s",
           "submit_503", "submit_other_5xx")


def render(rows: list[dict[str, Any]]) -> str:
    widths = {c: max(len(c), *(len(_cell(r[c])) for r in rows)) for c in COLUMNS}
    lines = ["  ".join(c.ljust(widths[c]) for c in COLUMNS)]
    lines.append("  ".join("-" * widths[c] for c in COLUMNS))
    lines += ["  ".join(_cell(r[c]).ljust(widths[c]) for c in COLUMNS) for r in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def main(names: list[str]) -> int:
    chosen = names or list(FAULTS)
    unknown = [n for n in chosen if n not in FAULTS]
    if unknown:
        print(f"unknown fault(s) {unknown}; choose from {list(FAULTS)}", file=sys.stderr)
        return 2
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    install_signal_handlers()
    rows = []
    root = Path(tempfile.mkdtemp(prefix="fragrance-chaos-"))
    try:
        with chaos_stack(root) as stack:
            for name in chosen:
                rows.append(run_fault(stack, name))
                print(render(rows[-1:]), flush=True)
    finally:
        stop_all()
    print("\n" + render(rows))
    print(f"\n(logs under {root})")
    return 1 if any(r["lost"] or r["duplicated"] or r["submit_other_5xx"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
