"""`make soak`: mixed load for a while (10 minutes, 8 operations a second by default, under
the stack's capacity: a soak looks for drift, not saturation), sampled every 30 s:
throughput, p50/p99 submit-to-finish latency, API and worker memory, Redis memory and the
job store's size. Memory must be flat: the table compares the end with the first sample
after warm-up, and gives the drift over the second half (a leak keeps drifting; a thread
pool reaching a new peak of concurrent jobs is a step, with the thread count beside it).
Writes a table and a PNG plot under `bench/results/`.

    python -m bench.soak [--minutes N] [--rate OPS_PER_S]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import text

from bench.processes import ROOT, install_signal_handlers, rss_kib, stop_all, thread_count
from bench.soak_load import MixedLoad
from bench.stack import Stack, stack

RESULTS = ROOT / "bench" / "results"
SAMPLE_S = 30.0
WARMUP_SAMPLES = 2  # memory is compared from here on: models and caches are loaded


def sample(env: Stack, processes: dict[str, int], since: float) -> dict[str, Any]:
    with env.engine.connect() as conn:
        finished = conn.execute(text(
            "SELECT extract(epoch FROM finished_at - created_at) FROM jobs "
            "WHERE finished_at >= to_timestamp(:since) AT TIME ZONE 'UTC' "
            "AND status = 'succeeded'"), {"since": since}).scalars().all()
        store_bytes = conn.execute(text("SELECT pg_database_size(current_database())")
                                   ).scalar_one()
    latencies = sorted(float(v) for v in finished)
    info: dict[str, Any] = redis.Redis.from_url(env.broker_url).info("memory")  # type: ignore[assignment]
    return {"t": time.time(), "jobs_per_s": len(latencies) / SAMPLE_S,
            "p50_s": _quantile(latencies, 0.5), "p99_s": _quantile(latencies, 0.99),
            **{f"rss_{name}_mib": rss_kib(pid) / 1024 for name, pid in processes.items()},
            **{f"threads_{name}": thread_count(pid) for name, pid in processes.items()},
            "redis_mib": int(info["used_memory"]) / 2**20,
            "store_mib": int(store_bytes) / 2**20}


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def soak(minutes: float, rate: float) -> list[dict[str, Any]]:
    with stack("soak", index=True, FRAGRANCE_LOG_LEVEL="INFO",
               FRAGRANCE_WEBHOOK_ALLOWED_HOSTS='["127.0.0.1"]') as env:
        api, base_url = env.api()
        models = env.worker("models", "search,recipe", "threads", 16)
        ops = env.worker("ops", "webhooks,maintenance", "threads", 4, beat=True)
        env.wait_worker_ready(models)
        processes = {"api": api.pid, "models": models.pid, "ops": ops.pid}
        load = MixedLoad(env, base_url, rate).start()
        samples: list[dict[str, Any]] = []
        deadline = time.monotonic() + minutes * 60
        stop = threading.Event()
        try:
            while time.monotonic() < deadline and not stop.wait(SAMPLE_S):
                samples.append(sample(env, processes, time.time() - SAMPLE_S))
                print(_line(samples[-1], samples[0]), flush=True)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM: the samples so far still tell
            print(f"interrupted after {len(samples)} samples", flush=True)
        finally:
            load.stop()
        return samples


def _line(now: dict[str, Any], first: dict[str, Any]) -> str:
    return (f"{(now['t'] - first['t']) / 60:5.1f} min  {now['jobs_per_s']:6.1f} jobs/s  "
            f"p50 {now['p50_s'] * 1000:7.0f} ms  p99 {now['p99_s'] * 1000:7.0f} ms  "
            f"api {now['rss_api_mib']:6.1f} MiB  "
            f"models {now['rss_models_mib']:6.1f} MiB ({now['threads_models']} threads)  "
            f"ops {now['rss_ops_mib']:6.1f} MiB  redis {now['redis_mib']:5.1f} MiB  "
            f"store {now['store_mib']:6.1f} MiB")


def summary(samples: list[dict[str, Any]]) -> list[str]:
    base, end = samples[min(WARMUP_SAMPLES, len(samples) - 1)], samples[-1]
    middle = samples[len(samples) // 2]
    minutes = max((end["t"] - middle["t"]) / 60, 1e-9)
    lines = ["process  after warm-up  end      growth   second half    threads"]
    for name in ("api", "models", "ops"):
        before, after = base[f"rss_{name}_mib"], end[f"rss_{name}_mib"]
        drift = (after - middle[f"rss_{name}_mib"]) / minutes
        lines.append(f"{name:7}  {before:8.1f} MiB  {after:8.1f} MiB  "
                     f"{(after - before) / before * 100:+5.1f} %  {drift:+6.2f} MiB/min  "
                     f"{base[f'threads_{name}']} -> {end[f'threads_{name}']}")
    lines.append(f"redis    {base['redis_mib']:8.1f} MiB  {end['redis_mib']:8.1f} MiB")
    lines.append(f"store    {base['store_mib']:8.1f} MiB  {end['store_mib']:8.1f} MiB")
    rates = [s["jobs_per_s"] for s in samples]
    lines.append(f"throughput {min(rates):.1f}-{max(rates):.1f} jobs/s over "
                 f"{len(samples)} samples of {SAMPLE_S:.0f} s")
    return lines


def plot(samples: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [(s["t"] - samples[0]["t"]) / 60 for s in samples]
    figure, (memory, speed) = plt.subplots(2, 1, figsize=(9, 7), sharex=True)
    for key in ("rss_api_mib", "rss_models_mib", "rss_ops_mib", "redis_mib", "store_mib"):
        memory.plot(minutes, [s[key] for s in samples], label=key.removesuffix("_mib"))
    memory.set_ylabel("MiB")
    memory.legend()
    speed.plot(minutes, [s["jobs_per_s"] for s in samples], label="jobs/s")
    speed.plot(minutes, [s["p50_s"] for s in samples], label="p50 s")
    speed.plot(minutes, [s["p99_s"] for s in samples], label="p99 s")
    speed.set_xlabel("minutes")
    speed.legend()
    figure.tight_layout()
    figure.savefig(path)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench.soak")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=8.0,
                        help="operations a second, kept under capacity (default 8)")
    args = parser.parse_args(argv)
    install_signal_handlers()
    try:
        samples = soak(args.minutes, args.rate)
    finally:
        stop_all()
    if len(samples) < 2:
        print("too short a run to compare", file=sys.stderr)
        return 1
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (RESULTS / f"soak-{stamp}.json").write_text(json.dumps(samples, indent=1))
    table = "\n".join(summary(samples))
    (RESULTS / f"soak-{stamp}.txt").write_text(table + "\n")
    plot(samples, RESULTS / f"soak-{stamp}.png")
    print("\n" + table + f"\n(written to {RESULTS}/soak-{stamp}.{{json,txt,png}})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
