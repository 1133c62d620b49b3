"""Pooled PostgreSQL connections the server dropped (a restart, an idle timeout, an
operator's pg_terminate_backend). A connection that sat in the pool for a while is pinged
before use and replaced unseen; one in steady use is not pinged (a round trip on every
transaction of the workers' claim and finish groups), so a drop since its last use fails
one transaction as StoreUnavailable (the caller retries: a task, or the API's 503) and the
pool replaces every connection older than the failure."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text

from core import database
from core.database import make_engine, make_session_factory, transaction
from core.errors import StoreUnavailable
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url, pool_size=2, max_overflow=0)
    yield engine
    engine.dispose()


def drop_connections(pg_url: str) -> int:
    """Terminate every server process of the test database but the caller's own."""
    admin = create_engine(PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg2://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        dropped = connection.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": pg_url.rsplit("/", 1)[1]}).scalar_one()
    admin.dispose()
    return int(dropped)


def backend_pid(engine: Engine) -> int:
    with transaction(make_session_factory(engine)) as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_in_steady_use_is_not_pinged(
        engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    backend_pid(engine)
    pings: list[object] = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping",
                        lambda connection: pings.append(connection) or ping(connection))
    for _ in range(5):
        backend_pid(engine)
    assert pings == []
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # as if it sat in the pool
    backend_pid(engine)
    assert len(pings) == 1


def test_an_idle_connection_the_server_dropped_is_replaced_unseen(
        engine: Engine, pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = backend_pid(engine)
    assert drop_connections(pg_url) >= 1
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)  # as if it sat in the pool
    assert backend_pid(engine) != first  # pinged, replaced, no error


def test_a_busy_connection_the_server_dropped_fails_one_transaction_then_recovers(
        engine: Engine, pg_url: str) -> None:
    first = backend_pid(engine)
    assert drop_connections(pg_url) >= 1
    with pytest.raises(StoreUnavailable):
        backend_pid(engine)
    assert backend_pid(engine) != first
