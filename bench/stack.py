"""A private stack for one suite: its own redis-server on a free port, a fresh PostgreSQL
database (migrated, dropped at the end), and helpers to start the API and workers as real
processes. Nothing here touches the development data."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from bench.processes import ROOT, Process, free_port, wait_until
from cli.stack import uvicorn_argv, worker_argv
from config.loading import load_settings
from core.database import make_engine, make_session_factory, normalize_url
from core.deliveries import DeliveryStore
from core.keys import IssuedKey, KeyRing
from core.store import JobStore

PG_ADMIN_URL = os.environ.get("FRAGRANCE_BENCH_PG_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
LOG_ROOT = ROOT / "var" / "bench" / "logs"
BENCH_INDEX = ROOT / "var" / "bench" / "index"  # built once; suites use copies


@dataclass
class Stack:
    """Service URLs, the environment every child gets, and what was started."""

    database_url: str
    broker_url: str
    env: dict[str, str]
    log_dir: Path
    engine: Engine
    processes: list[Process] = field(default_factory=list)

    @property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    def store(self) -> JobStore:
        return JobStore(self.sessions)

    def deliveries(self) -> DeliveryStore:
        return DeliveryStore(self.sessions, max_attempts=8, backoff_base_s=2.0)

    def truncate_deliveries(self) -> None:
        """Empty the webhook outbox (between two runs of the webhooks suite)."""
        with self.engine.begin() as conn:
            conn.execute(text("TRUNCATE webhook_attempts, webhook_deliveries"))

    def issue_key(self, scopes: tuple[str, ...] = ("search", "generate")) -> IssuedKey:
        return KeyRing(self.sessions).issue("bench", list(scopes))

    def spawn(self, name: str, argv: list[str], **extra_env: str) -> Process:
        process = Process(name, argv, {**self.env, **extra_env}, self.log_dir).start()
        self.processes.append(process)
        return process

    def uvicorn(self, name: str, target: str, factory: bool = False, **extra_env: str
                ) -> tuple[Process, str]:
        """One uvicorn worker serving `target`; returns it and its base URL once it answers."""
        port = free_port()
        process = self.spawn(name, uvicorn_argv(target, port, api_keep_alive_s(), factory),
                             **extra_env)
        base_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base_url, process), 60, f"{name} to answer")
        return process, base_url

    def api(self, **extra_env: str) -> tuple[Process, str]:
        return self.uvicorn("api", "api.main:app", factory=False, **extra_env)

    def worker(self, name: str, queues: str, pool: str, concurrency: int, beat: bool = False,
               **extra_env: str) -> Process:
        """The product's worker command line (`cli.stack.worker_argv`), logging quietly."""
        argv = worker_argv(queues, pool, concurrency, name, beat)
        argv += ["--without-mingle", "--without-gossip"]
        if beat:
            argv += ["-s", str(self.log_dir / f"beat-{name}")]
        return self.spawn(name, argv, **extra_env)

    def wait_worker_ready(self, process: Process, timeout: float = 180) -> None:
        """Until the worker answers a control ping (it is consuming)."""
        from celery import Celery

        client = Celery("bench-ping", broker=self.broker_url)
        try:
            wait_until(lambda: _worker_ready(client, process), timeout,
                       f"worker {process.name} ready", interval=0.2)
        finally:
            client.close()


@cache
def api_keep_alive_s() -> int:
    """The API's idle-connection timeout as the settings give it (the same for the baseline
    apps, so they are served alike)."""
    return int(load_settings().api_keep_alive_s)


def _answers(base_url: str, process: Process) -> bool:
    if not process.alive():
        raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
    return httpx.get(base_url + "/healthz", timeout=2).status_code < 500


def _worker_ready(client: Any, process: Process) -> bool:
    if not process.alive():
        raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
    replies = client.control.ping(timeout=0.5) or []
    return any(name.startswith(f"{process.name}@") for reply in replies for name in reply)


@contextmanager
def private_redis(log_dir: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is required (apt-get install redis-server)")
    port = free_port()
    process = Process(f"redis-{port}", [binary, "--port", str(port), "--bind", "127.0.0.1",
                                        "--save", "", "--appendonly", "no"],
                      dict(os.environ), log_dir).start()
    url = f"redis://127.0.0.1:{port}"
    try:
        wait_until(lambda: redis.Redis.from_url(url).ping(), 20, "the private redis-server")
        yield url
    finally:
        process.stop()


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database at the latest migration, dropped afterwards."""
    import migrations

    name = f"fragrance_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_ADMIN_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        migrations.upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database(log_dir: Path) -> Iterator[str]:
    """A new SQLite job store in `log_dir`, at the latest migration (for a host without
    PostgreSQL: a GPU machine has only what was carried to it)."""
    import migrations

    url = f"sqlite:///{log_dir / 'jobs.db'}"
    migrations.upgrade(url)
    yield url


def postgres_answers() -> bool:
    try:
        engine = create_engine(normalize_url(PG_ADMIN_URL), connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # any failure to connect: there is no PostgreSQL for the bench here
        return False


@contextmanager
def catalogue_index() -> Iterator[Path]:
    """A private copy of the catalogue's search index, removed afterwards. Qdrant Edge opens
    a folder in one process at a time, so each suite (and each in-process baseline) works on
    its own copy and a soak, a bench and the fault suite can run side by side. The copies
    come from `BENCH_INDEX`, built first when missing or stale, under a lock: two suites
    starting at once never build it together."""
    from ml.indexing import build_index

    BENCH_INDEX.parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="index-", dir=BENCH_INDEX.parent))
    try:
        with open(BENCH_INDEX.parent / "index.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            build_index(index_path=str(BENCH_INDEX))
            # its write-ahead logs are sparse files of 32 MiB each: copied sparse
            subprocess.run(["cp", "-r", "--sparse=always", str(BENCH_INDEX),
                            str(folder / "qdrant")], check=True)
        yield folder / "qdrant"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def stack(suite: str, sqlite_if_no_postgres: bool = False, index: bool = False,
          **extra_env: str) -> Iterator[Stack]:
    """Private Redis + fresh PostgreSQL (or, where none answers and the suite allows it, a
    SQLite job store), and with `index` a private copy of the catalogue's search index for
    its workers; every process started through it is stopped."""
    LOG_ROOT.mkdir(parents=True, exist_ok=True)
    log_dir = Path(tempfile.mkdtemp(prefix=f"{suite}-", dir=LOG_ROOT))
    database = (sqlite_database(log_dir) if sqlite_if_no_postgres and not postgres_answers()
                else fresh_database())
    with private_redis(log_dir) as redis_url, database as database_url, \
            (catalogue_index() if index else nullcontext(None)) as index_path:
        if index_path is not None:
            extra_env = {"FRAGRANCE_QDRANT_PATH": str(index_path), **extra_env}
        env = {**os.environ, "FRAGRANCE_ENV": "development",
               "FRAGRANCE_DATABASE_URL": database_url,
               "FRAGRANCE_BROKER_URL": f"{redis_url}/0",
               "FRAGRANCE_RESULT_BACKEND": f"{redis_url}/1",
               "FRAGRANCE_LOG_LEVEL": "WARNING",
               # the suites measure throughput and latency, not the per-key limits
               "FRAGRANCE_RATE_LIMIT_PER_S": "0",
               # ...and the work behind the queue: a repeated query must reach a worker
               # (the search suite measures the result cache on its own)
               "FRAGRANCE_SEARCH_CACHE_TTL_S": "0",
               "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "PYTHONUNBUFFERED": "1", **extra_env}
        pool = {} if database_url.startswith("sqlite") else {"pool_size": 20, "max_overflow": 20}
        engine = make_engine(database_url, **pool)
        built = Stack(database_url, f"{redis_url}/0", env, log_dir, engine)
        try:
            yield built
        finally:
            for process in reversed(built.processes):
                process.stop()
            engine.dispose()
