"""Engine and session factories. Nothing connects at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
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
    return create_engine(url, pool_pre_ping=True, **kwargs)


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
