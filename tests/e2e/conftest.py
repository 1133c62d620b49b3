"""The e2e stack: a uvicorn API and Celery workers as real processes, real Redis and
PostgreSQL, the real embedding model and a real Qdrant Edge index."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from core.database import make_engine, make_session_factory
from core.keys import KeyRing
from tests.conftest import free_port
from tests.e2e.harness import ApiClient, Process, api, wait_until, worker


@pytest.fixture(scope="session")
def search_index(tmp_path_factory: pytest.TempPathFactory) -> str:
    from ml.search import build_index

    path = tmp_path_factory.mktemp("qdrant") / "index"
    build_index(index_path=str(path))
    return str(path)


@dataclass
class Stack:
    env: dict[str, str]
    log_dir: Path
    base_url: str
    keys: KeyRing
    workers: list[Process]

    def client(self, scopes: tuple[str, ...] = ("search", "generate"),
               tenant_id: str | None = None) -> ApiClient:
        """A key of a new tenant, or of `tenant_id`."""
        issued = self.keys.issue("e2e", list(scopes), tenant_id=tenant_id)
        client = ApiClient(self.base_url, issued.api_key)
        client.webhook_secret, client.tenant_id = issued.webhook_secret, issued.tenant_id
        return client

    def start_worker(self, **kwargs: object) -> Process:
        process = worker(self.env, self.log_dir, **kwargs).start()  # type: ignore[arg-type]
        self.workers.append(process)
        return process


def stack_env(pg_url: str, broker_url: str, index_path: str, **extra: str) -> dict[str, str]:
    base, db = broker_url.rsplit("/", 1)
    return {**os.environ, "FRAGRANCE_ENV": "testing", "FRAGRANCE_DATABASE_URL": pg_url,
            "FRAGRANCE_BROKER_URL": broker_url,
            "FRAGRANCE_RESULT_BACKEND": f"{base}/{int(db) + 1}",
            "FRAGRANCE_QDRANT_PATH": index_path, "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "PYTHONUNBUFFERED": "1",
            "FRAGRANCE_WEBHOOK_ALLOWED_HOSTS": '["127.0.0.1"]', **extra}


@pytest.fixture
def make_stack(pg_url: str, redis_url: str, search_index: str,
               tmp_path: Path) -> Iterator[object]:
    started: list[Stack] = []
    processes: list[Process] = []

    def build(broker_url: str = redis_url, **extra: str) -> Stack:
        redis.Redis.from_url(broker_url).flushdb()
        env = stack_env(pg_url, broker_url, search_index, **extra)
        port = free_port()
        processes.append(api(env, tmp_path, port).start())
        base_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: ApiClient(base_url, "x").http.get("/healthz").status_code == 200,
                   30, "the API to start")
        keys = KeyRing(make_session_factory(make_engine(pg_url)))
        stack = Stack(env, tmp_path, base_url, keys, [])
        started.append(stack)
        return stack

    yield build
    for stack in started:
        for process in stack.workers:
            process.stop()
    for process in processes:
        process.stop()


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    built: Stack = make_stack()
    built.start_worker()
    return built
