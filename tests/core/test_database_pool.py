"""Pooled PostgreSQL connections the server dropped (a restart, an idle timeout, an
operator's pg_terminate_backend). A connection that sat in the pool for a while is pinged
before use and replaced unseen; one in steady use is not pinged (a round trip on every
transaction of the workers' claim and finish groups), so a drop since its last use fails
one transaction as StoreUnavailable (the caller retries: a task, or the API's 503) and the
pool replaces every connection older than the failure. A read outside a transaction leaves
its connection as it found it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, text, update

from core import database
from core.database import make_engine, make_session_factory, transaction
from core.errors import StoreUnavailable
from core.models import Job
from core.store import JobStore, NewJob
from core.views import JobView
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


def test_a_read_outside_a_transaction_leaves_the_pooled_connection_transactional(
        database_url: str) -> None:
    # A job's read is one statement outside a transaction on the shared pool; the next
    # writer that gets the same connection must still get a transaction it can roll back
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    sessions = make_session_factory(engine)
    store = JobStore(sessions)
    try:
        (job,) = store.create_many([NewJob("reads", "search", {"query": "x"})])
        assert isinstance(job, JobView)
        assert store.get("reads", job.id).status == "queued"
        with pytest.raises(RuntimeError), transaction(sessions) as session:
            session.execute(update(Job).where(Job.id == job.id).values(progress=0.5))
            raise RuntimeError("the writer changes its mind")
        assert store.get("reads", job.id).progress == 0.0
        # and a read sees what a writer committed a moment before, on the same connection
        with transaction(sessions) as session:
            session.execute(update(Job).where(Job.id == job.id).values(progress=0.25))
        assert store.get("reads", job.id).progress == 0.25
    finally:
        engine.dispose()
