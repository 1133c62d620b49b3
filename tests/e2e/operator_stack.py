"""The stack an operator watches, as real processes: the API, the three worker profiles of
`make run` (models, a one-thread training worker, ops with beat), each serving metrics on
its own port, Flower behind basic auth (`fragrance flower`), and Prometheus scraping them
all every second with the repository's alert rules.

Logs are JSON (`FRAGRANCE_LOG_FORMAT=json`). The models worker generates recipes with the
OpenAI-compatible back end pointed at a port nothing listens on: recipe jobs fail (a FAILURE
to see in Flower) and its circuit breaker counts the failures (a breaker to see in metrics
and `/api/v1/ops/breakers`)."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from core.database import make_engine, make_session_factory
from core.keys import KeyRing
from tests.conftest import free_port
from tests.e2e.conftest import stack_env
from tests.e2e.harness import ROOT, ApiClient, Process, api, wait_until, worker

FLOWER_USER = "operator"
TRAINING_LIMITS = {"FRAGRANCE_TRAINING_SOFT_TIME_LIMIT_S": "280",
                   "FRAGRANCE_TRAINING_TIME_LIMIT_S": "300",
                   "FRAGRANCE_VISIBILITY_TIMEOUT_S": "320"}
# name -> (queues, concurrency, beat): `make run`'s profiles (cli.stack.PROFILES)
PROFILES = {"models": ("search,recipe", 4, False), "training": ("training", 1, False),
            "ops": ("webhooks,maintenance", 4, True)}


@dataclass
class OperatorStack:
    base_url: str
    flower_url: str
    flower_password: str
    prometheus_url: str
    metrics_urls: dict[str, str]  # process -> its /metrics URL
    keys: KeyRing
    log_dir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    def client(self, scopes: tuple[str, ...] = ("search", "generate", "training"),
               tenant_id: str | None = None) -> ApiClient:
        issued = self.keys.issue("operator-view", list(scopes), tenant_id=tenant_id)
        client = ApiClient(self.base_url, issued.api_key)
        client.webhook_secret, client.tenant_id = issued.webhook_secret, issued.tenant_id
        return client

    def flower(self, auth: bool = True) -> httpx.Client:
        return httpx.Client(base_url=self.flower_url, timeout=30,
                            auth=(FLOWER_USER, self.flower_password) if auth else None)

    def scrape(self, process: str) -> str:
        login = (FLOWER_USER, self.flower_password) if process == "flower" else None
        response = httpx.get(self.metrics_urls[process], timeout=30, auth=login)
        assert response.status_code == 200, (process, response.status_code)
        return response.text

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()


def start_operator_stack(pg_url: str, broker_url: str, index_path: str, log_dir: Path,
                         model_store: Path) -> OperatorStack:
    redis.Redis.from_url(broker_url).flushdb()
    env = stack_env(pg_url, broker_url, index_path, FRAGRANCE_MODEL_STORE=str(model_store),
                    FRAGRANCE_GENERATOR_BACKEND="openai", FRAGRANCE_GENERATOR_MODEL="absent",
                    FRAGRANCE_GENERATOR_BASE_URL=f"http://127.0.0.1:{free_port()}",
                    FRAGRANCE_MAINTENANCE_INTERVAL_S="15", FRAGRANCE_LOG_FORMAT="json",
                    # as root (CI), Celery warns so before its logging starts (the image runs
                    # unprivileged): the one line of a worker's log that would not be JSON
                    PYTHONWARNINGS="ignore:You're running the worker with superuser privileges",
                    **TRAINING_LIMITS)
    processes: dict[str, Process] = {}
    api_port, flower_port, prometheus_port = free_port(), free_port(), free_port()
    processes["api"] = api(env, log_dir, api_port).start()
    metrics = {"api": f"http://127.0.0.1:{api_port}/metrics"}
    for name, (queues, concurrency, beat) in PROFILES.items():
        port = free_port()
        processes[name] = worker({**env, "FRAGRANCE_WORKER_METRICS_PORT": str(port)},
                                 log_dir, queues=queues, name=name,
                                 concurrency=concurrency, beat=beat).start()
        metrics[name] = f"http://127.0.0.1:{port}/metrics"
    password = secrets.token_urlsafe(12)
    processes["flower"] = Process("flower", [
        sys.executable, "-m", "cli.main", "flower", "--port", str(flower_port)],
        {**env, "FLOWER_BASIC_AUTH": f"{FLOWER_USER}:{password}"}, log_dir).start()
    metrics["flower"] = f"http://127.0.0.1:{flower_port}/metrics"
    prometheus_url = f"http://127.0.0.1:{prometheus_port}"
    processes["prometheus"] = prometheus(metrics, prometheus_port, log_dir, password).start()
    stack = OperatorStack(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{flower_port}",
                          password, prometheus_url, metrics,
                          KeyRing(make_session_factory(make_engine(pg_url))), log_dir,
                          processes)
    _wait_ready(stack)
    return stack


def prometheus(targets: dict[str, str], port: int, log_dir: Path,
               flower_password: str) -> Process:
    """Prometheus (Debian's package) scraping every process each second, with the alert
    rules of deploy/prometheus/alerts.yml; Flower's /metrics with the operator's login."""
    from tests.tools import ensure_tool

    binary = ensure_tool("promtool", "prometheus")
    config = log_dir / "prometheus.yml"
    jobs = {"api": ["api"], "workers": ["models", "training", "ops"], "flower": ["flower"]}
    lines = ["global: {scrape_interval: 1s, evaluation_interval: 1s}",
             f"rule_files: ['{ROOT / 'deploy/prometheus/alerts.yml'}']", "scrape_configs:"]
    for job, names in jobs.items():
        hosts = ", ".join(f"'{targets[n].split('/')[2]}'" for n in names)
        login = (f", basic_auth: {{username: {FLOWER_USER}, password: '{flower_password}'}}"
                 if job == "flower" else "")
        lines.append(f"  - {{job_name: {job}, static_configs: [{{targets: [{hosts}]}}]{login}}}")
    config.write_text("\n".join(lines) + "\n")
    return Process("prometheus", [binary, f"--config.file={config}",
                                  f"--storage.tsdb.path={log_dir / 'prometheus-data'}",
                                  f"--web.listen-address=127.0.0.1:{port}"], {}, log_dir)


def _wait_ready(stack: OperatorStack) -> None:
    def answers(url: str) -> bool:
        return httpx.get(url, timeout=5).status_code == 200

    for name, process in stack.processes.items():
        if not process.alive():
            raise RuntimeError(f"{name} exited:\n{process.tail()}")
    wait_until(lambda: answers(f"{stack.base_url}/healthz"), 60, "the API")
    wait_until(lambda: httpx.get(f"{stack.base_url}/readyz", timeout=5).json()["ready"], 300,
               "a worker for every queue (heartbeats)", interval=0.5)
    for name in PROFILES:
        wait_until(lambda n=name: answers(stack.metrics_urls[n]), 120, f"{name}'s metrics")
    wait_until(lambda: answers(f"{stack.flower_url}/healthcheck"), 60, "Flower")
    wait_until(lambda: answers(f"{stack.prometheus_url}/-/ready"), 60, "Prometheus")


def operator_stack_fixture(pg_url: str, redis_url: str, search_index: str,
                           log_dir: Path) -> Iterator[OperatorStack]:
    stack = start_operator_stack(pg_url, redis_url, search_index, log_dir,
                                 log_dir / "models")
    try:
        yield stack
    finally:
        stack.stop()
