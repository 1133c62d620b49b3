"""Real processes for end-to-end tests: a uvicorn API, Celery workers, a private Redis."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import httpx

from api.http_protocol import PROTOCOL as HTTP_PROTOCOL
from bench.processes import Process, wait_until
from cli.stack import worker_argv

ROOT = Path(__file__).resolve().parents[2]


def worker(env: dict[str, str], log_dir: Path,
           queues: str = "search,recipe,webhooks,maintenance",
           name: str = "e2e", concurrency: int = 8, beat: bool = True,
           pool: str = "threads") -> Process:
    """A worker as `fragrance worker` starts it (`cli.stack.worker_argv`; without mingle and
    gossip, which only slow the start of a one-worker test)."""
    argv = [*worker_argv(queues, pool, concurrency, name, beat=False,
                         log_format=env.get("FRAGRANCE_LOG_FORMAT", "text")),
            "--without-mingle", "--without-gossip"]
    if beat:
        argv += ["-B", "-s", str(log_dir / f"beat-{name}")]
    return Process(name, argv, env, log_dir)


def api(env: dict[str, str], log_dir: Path, port: int) -> Process:
    argv = [sys.executable, "-m", "uvicorn", "api.main:app", "--port", str(port),
            "--host", "127.0.0.1", "--log-level", "warning", "--http", HTTP_PROTOCOL]
    return Process("api", argv, env, log_dir)


def redis_server(port: int, log_dir: Path) -> Process:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is required for the restart tests"
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no"]
    return Process(f"redis-{port}", argv, dict(os.environ), log_dir)


class ApiClient:
    webhook_secret: str = ""
    tenant_id: str = ""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30,
                                 headers={"Authorization": f"Bearer {api_key}"})

    def submit_search(self, query: str, **body: Any) -> dict[str, Any]:
        response = self.http.post("/api/v1/search/semantic", json={"query": query, **body})
        assert response.status_code == 202, response.text
        return dict(response.json())

    def submit_recipe(self, **brief: Any) -> dict[str, Any]:
        response = self.http.post("/api/v1/generate/recipe", json=brief)
        assert response.status_code == 202, response.text
        return dict(response.json())

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.http.get(f"/api/v1/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_finished(self, job_id: str, timeout: float = 60) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            job = self.job(job_id)
            return job if job["status"] in {"succeeded", "failed", "canceled"} else None

        return dict(wait_until(finished, timeout, f"job {job_id} to finish"))
