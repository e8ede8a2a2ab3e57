"""Database engine, declarative base and the one-session-per-unit-of-work helper.

SQLite (the default) runs in WAL mode with foreign keys on; PostgreSQL is used through
``postgresql+psycopg://``. Callers own the transaction: :func:`session_scope` commits on success
and rolls back on any exception, so a request, a CLI command or a worker job is all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ForeignKey, MetaData, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.sql import Executable

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def municipality_column(**column: Any) -> Any:
    """``municipality_id`` of a municipality-scoped row: a foreign key that goes with its municipality
    (ON DELETE CASCADE). Every query on such a table filters on it (tenant isolation)."""
    return mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"), **column)


def affected_rows(session: Session, statement: Executable) -> int:
    """Run an UPDATE or DELETE and return how many rows it changed (guarded updates check for 1)."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def insert_for(session: Session) -> Any:
    """The ``insert`` of the session's database (PostgreSQL's or SQLite's): both have ON CONFLICT DO NOTHING and
    RETURNING, which the portable ``insert`` lacks."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def make_engine(url: str) -> Engine:
    """Create an engine; for SQLite make the parent folder and turn on WAL + foreign keys."""
    if url.startswith("sqlite"):
        db_path = url.split("///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True,
                         connect_args={"connect_timeout": 5})


# ``hide_parameters``: a failed statement's error (and so the log) shows the SQL but never its values —
# those are residents' messages and user ids.


# PostgreSQL SQLSTATEs that mean "not now" rather than "never": a read-only server (a replica promoted late, a
# primary in recovery), shutting down or starting, too many connections, a deadlock or serialization failure.
TRANSIENT_SQLSTATES = frozenset({"25006", "57P01", "57P02", "57P03", "53300", "40001", "40P01"})


def unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or used right now (refused or lost connection, a file that
    cannot be opened, a lock that outlasted the timeout, a read-only server) — as opposed to a bug or bad
    data, this is worth trying again later."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or getattr(exc.orig, "sqlstate", None) in TRANSIENT_SQLSTATES
    return False


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One session per unit of work: commit on success, roll back on error, always close."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
