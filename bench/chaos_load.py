"""The chaos run's stack, its load and its verdict (see `bench.chaos`)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.processes import Process, free_port, wait_until
from bench.services import PrivatePostgres, RedisServer
from bench.stack import api_keep_alive_s, catalogue_index
from bench.tcp_proxy import TcpProxy
from bench.workload import briefs, search_queries
from cli.stack import uvicorn_argv, worker_argv
from core.database import make_engine, make_session_factory
from core.keys import IssuedKey, KeyRing

FINAL = ("succeeded", "failed", "canceled")
SETTLE_TIMEOUT_S = 300.0


class Receiver:
    """Records every webhook message it is sent: (webhook-id, type, job id); answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[str, str, str]] = []
        lock, received = threading.Lock(), self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with lock:
                    received.append((self.headers["webhook-id"], body["type"],
                                     str(body["data"].get("id"))))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks"

    def completed(self) -> dict[str, set[str]]:
        """Job id -> the distinct message ids of its `job.completed` webhooks."""
        found: dict[str, set[str]] = {}
        for message_id, kind, job_id in list(self.received):
            if kind == "job.completed":
                found.setdefault(job_id, set()).add(message_id)
        return found


@dataclass
class ChaosStack:
    root: Path
    redis: RedisServer
    proxy: TcpProxy
    postgres: PrivatePostgres
    env: dict[str, str]
    worker_env: dict[str, str]
    base_url: str
    key: IssuedKey
    receiver: Receiver
    models: Process = field(init=False)

    def start_models(self) -> None:
        argv = worker_argv("search,recipe", "threads", 16, "models", beat=False)
        self.models = Process("models", [*argv, "--without-mingle", "--without-gossip"],
                              self.worker_env, self.root).start()

    def restart_models(self) -> None:
        self.start_models()

    def engine(self) -> Any:
        return make_engine(self.postgres.url())


@contextmanager
def chaos_stack(root: Path) -> Iterator[ChaosStack]:
    with catalogue_index() as index:
        postgres = PrivatePostgres(Path("/tmp") / f"fragrance-chaos-pg-{os.getpid()}")
        redis = RedisServer(root).start()
        proxy = TcpProxy(redis.port).start()
        try:
            postgres.start()
            import migrations

            migrations.upgrade(postgres.url())
            yield _started(root, redis, proxy, postgres, index)
        finally:
            proxy.stop()
            redis.stop()
            postgres.remove()


def _started(root: Path, redis: RedisServer, proxy: TcpProxy,
             postgres: PrivatePostgres, index: Path) -> ChaosStack:
    env = {**os.environ, "FRAGRANCE_ENV": "development",
           "FRAGRANCE_DATABASE_URL": postgres.url(), "FRAGRANCE_BROKER_URL": f"{redis.url}/0",
           "FRAGRANCE_RESULT_BACKEND": f"{redis.url}/1",
           "FRAGRANCE_QDRANT_PATH": str(index), "FRAGRANCE_LOG_LEVEL": "WARNING",
           # the limiter's Redis check is what answers 503 while Redis is down
           "FRAGRANCE_RATE_LIMIT_PER_S": "100000", "FRAGRANCE_RATE_LIMIT_BURST": "100000",
           # short recovery clocks so a lost worker's jobs come back within the run
           # (CHAOS_LEASE_S=120, the default lease, shows what a restarted worker releases)
           "FRAGRANCE_LEASE_S": os.environ.get("CHAOS_LEASE_S", "15"),
           "FRAGRANCE_REQUEUE_AFTER_S": "5",
           "FRAGRANCE_MAINTENANCE_INTERVAL_S": "2",
           "FRAGRANCE_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]',
           "FRAGRANCE_WEBHOOK_BACKOFF_BASE_S": "0.5", "FRAGRANCE_WEBHOOK_MAX_ATTEMPTS": "12",
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    via_proxy = f"redis://127.0.0.1:{proxy.port}"
    worker_env = {**env, "FRAGRANCE_BROKER_URL": f"{via_proxy}/0",
                  "FRAGRANCE_RESULT_BACKEND": f"{via_proxy}/1"}
    port = free_port()
    Process("api", uvicorn_argv("api.main:app", port, api_keep_alive_s()), env, root).start()
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(base_url + "/healthz").status_code == 200, 60, "the API")
    ops = worker_argv("webhooks,maintenance", "threads", 4, "ops", beat=True)
    Process("ops", [*ops, "--without-mingle", "--without-gossip", "-s",
                    str(root / "beat-schedule")], worker_env, root).start()
    key = KeyRing(make_session_factory(make_engine(postgres.url()))).issue(
        "chaos", ["search", "generate"])
    stack = ChaosStack(root, redis, proxy, postgres, env, worker_env, base_url, key,
                       Receiver())
    stack.start_models()
    client = httpx.Client(base_url=base_url, timeout=120,
                          headers={"Authorization": f"Bearer {key.api_key}",
                                   "Prefer": "wait=120"})
    warm = client.post("/api/v1/search/semantic", json={"query": "warm up"})
    if warm.status_code != 200:
        raise RuntimeError(f"the stack did not warm up: {warm.status_code} {warm.text[:300]}")
    return stack


class Load:
    """Submits the jobs evenly over `spread_s` from a thread; each submit carries an
    Idempotency-Key and is retried on 503 and connection errors until accepted."""

    def __init__(self, stack: ChaosStack, searches: int, recipes: int,
                 spread_s: float) -> None:
        hook = {"webhook": stack.receiver.url}
        bodies = [("/api/v1/search/semantic", {"query": q, **hook})
                  for q in search_queries(searches)]
        bodies += [("/api/v1/generate/recipe", {**b, **hook}) for b in briefs(recipes)]
        self._bodies = [bodies[i] for i in sorted(range(len(bodies)),
                                                  key=lambda i: (i * 7919) % len(bodies))]
        self._stack, self._spread_s = stack, spread_s
        self.accepted: list[str] = []
        self.answers: dict[int, int] = {}
        self._thread = threading.Thread(target=self._run, name="chaos-load", daemon=True)

    def start(self) -> Load:
        self._thread.start()
        return self

    def join(self) -> None:
        self._thread.join()

    def _run(self) -> None:
        headers = {"Authorization": f"Bearer {self._stack.key.api_key}"}
        with httpx.Client(base_url=self._stack.base_url, headers=headers, timeout=30) as http:
            pace = self._spread_s / len(self._bodies)
            for path, body in self._bodies:
                self._submit(http, path, body, str(uuid.uuid4()))
                time.sleep(pace)

    def _submit(self, http: httpx.Client, path: str, body: dict[str, Any], key: str) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                answer = http.post(path, json=body, headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                time.sleep(1)
                continue
            self.answers[answer.status_code] = self.answers.get(answer.status_code, 0) + 1
            if answer.status_code in (200, 202):
                self.accepted.append(answer.json()["id"])
                return
            time.sleep(float(answer.headers.get("retry-after", 1)))


def verdict(stack: ChaosStack, load: Load, healed: float) -> dict[str, Any]:
    """Wait until every accepted job is final with its webhook (or the timeout), then count."""
    ids = list(load.accepted)
    engine = stack.engine()

    def outcomes() -> dict[str, tuple[str, int]]:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT j.id, j.status, (SELECT count(*) FROM job_events e WHERE e.job_id = "
                "j.id AND e.type IN ('succeeded', 'failed', 'canceled')) FROM jobs j "
                "WHERE j.id = ANY(:ids)"), {"ids": ids}).all()
        return {job_id: (status, int(ends)) for job_id, status, ends in rows}

    def settled() -> bool:
        done = outcomes()
        hooks = stack.receiver.completed()
        return all(done.get(j, ("", 0))[0] in FINAL and j in hooks for j in ids)

    with suppress(RuntimeError):
        wait_until(settled, SETTLE_TIMEOUT_S, "every accepted job to settle", interval=0.5)
    recovery = time.monotonic() - healed
    done, hooks = outcomes(), stack.receiver.completed()
    engine.dispose()
    duplicated = [j for j in ids if done.get(j, ("", 0))[1] > 1 or len(hooks.get(j, ())) > 1]
    lost = [j for j in ids if done.get(j, ("", 0))[0] not in FINAL or j not in hooks]
    return {"accepted": len(ids), "completed_once": len(ids) - len(set(duplicated + lost)),
            "duplicated": len(duplicated), "lost": len(lost), "recovery_s": recovery,
            "submit_503": load.answers.get(503, 0),
            "submit_other_5xx": sum(n for code, n in load.answers.items()
                                    if code >= 500 and code != 503)}
