"""Shared fixtures: real PostgreSQL and SQLite databases with real migrations, real Redis.

Services are required: when PostgreSQL or Redis does not answer, the test fails with a
message saying how to start it (never a silent skip).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, delete, text
from sqlalchemy.orm import Session, sessionmaker

import migrations
from core.database import make_engine, make_session_factory
from core.deliveries import DeliveryStore
from core.keys import KeyRing
from core.models import WebhookAttempt, WebhookDelivery
from core.store import JobStore

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

PG_ADMIN_URL = os.environ.get("FRAGRANCE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("FRAGRANCE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DB = int(os.environ.get("FRAGRANCE_TEST_REDIS_DB", "9"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_database() -> Iterator[str]:
    name = f"fragrance_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg2://"),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is required at {PG_ADMIN_URL} ({exc}); start it or set "
                    "FRAGRANCE_TEST_PG_URL")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    migrations.upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    yield from _pg_database()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path: Path = tmp_path_factory.mktemp("sqlite") / "jobs.db"
    url = f"sqlite:///{path}"
    migrations.upgrade(url)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on both databases."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(fixture))


@pytest.fixture
def sessions(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def store(sessions) -> JobStore:  # type: ignore[no-untyped-def]
    return JobStore(sessions)


@pytest.fixture
def key_ring(sessions) -> KeyRing:  # type: ignore[no-untyped-def]
    return KeyRing(sessions)


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = f"{REDIS_URL}/{REDIS_DB}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} ({exc}); start redis-server")
    client.flushdb()
    return url


def empty_outbox(sessions: sessionmaker[Session], *, max_attempts: int,
                 backoff_base_s: float) -> DeliveryStore:
    """The webhook outbox, emptied first: it is shared by the whole database."""
    with sessions.begin() as session:
        session.execute(delete(WebhookAttempt))
        session.execute(delete(WebhookDelivery))
    return DeliveryStore(sessions, max_attempts=max_attempts, backoff_base_s=backoff_base_s)
