"""Engine and session factories. Nothing connects at import time."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    IntegrityError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.orm import Session, sessionmaker

from core.errors import StoreRejected, StoreUnavailable
from core.storable import storable_json


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, a busy timeout and foreign keys. JSON columns
    are written by `storable_json`, so a value no database could hold never fails a write.

    `postgresql://` means psycopg2 (the driver we ship), whatever SQLAlchemy's default is.
    """
    url = normalize_url(url)
    kwargs.setdefault("json_serializer", storable_json)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # an UPDATE of many rows (a group's jobs, a batch of webhook attempts) in pages of
    # statements per round trip, not one round trip a row (psycopg2's `executemany`)
    kwargs.setdefault("executemany_mode", "values_plus_batch")
    engine = create_engine(url, **kwargs)
    event.listen(engine, "checkin", _note_checkin)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine))
    return engine


# A pooled connection is pinged before use only when it sat in the pool this long: a
# connection in steady use answered a moment ago, and a ping on every checkout (SQLAlchemy's
# `pool_pre_ping`) added a round trip to every transaction of the workers' claim and finish
# groups and of each API request. A connection the server dropped since its last use fails
# its transaction as StoreUnavailable (the task retries, the API answers 503) and the pool
# discards every connection older than that failure.
PING_AFTER_IDLE_S = 1.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(engine: Engine, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    checked_in_at = record.info.get("checked_in_at")
    if checked_in_at is None or time.monotonic() - checked_in_at < PING_AFTER_IDLE_S:
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except Exception as exc:  # the pool replaces the connection and checks out another
        raise DisconnectionError(f"connection lost while idle: {type(exc).__name__}") from exc


def normalize_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def single_statement_reads(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """Sessions on the same pool for a read that is one statement: no BEGIN before it and no
    COMMIT after it (psycopg2 sends each as a round trip of its own), which a single
    statement does not need to see one snapshot. A job's `GET` and the read answering a
    `Prefer: wait` submit are such reads."""
    engine = sessions.kw["bind"]
    return sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"),
                        expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction. A lost or unreachable database surfaces as StoreUnavailable (retry
    later); a value the database refuses as StoreRejected (retrying cannot help);
    IntegrityError passes through for callers that expect it."""
    try:
        with sessions.begin() as session:
            yield session
    except (OperationalError, InterfaceError) as exc:
        raise StoreUnavailable(f"job store unavailable: {type(exc.orig).__name__}") from exc
    except DataError as exc:
        raise StoreRejected(f"the job store refused a value: {type(exc.orig).__name__}") from exc
    except DBAPIError as exc:
        if isinstance(exc, IntegrityError) or not exc.connection_invalidated:
            raise
        raise StoreUnavailable(f"job store unavailable: {type(exc.orig).__name__}") from exc
