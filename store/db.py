"""Engines: SQLite tuned for a small server, PostgreSQL for production, clear errors when down."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine as Engine  # re-exported: the edges hold it as an opaque handle
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import ConnectionPoolEntry

from store.sqlite_lock import LockingConnection, factory_for


class DatabaseUnavailable(Exception):
    """The database cannot be reached or opened; the message says what to check."""


DATABASE_ERRORS: Final = (DBAPIError, DatabaseUnavailable, PoolTimeout)
"""Failing to reach or use the database, whatever the driver: what the edges catch to answer
"not saved", so they need not know SQLAlchemy's exception tree. PoolTimeout: every pooled
connection stayed busy for POOL_TIMEOUT_S (the database is too slow to keep up)."""

POOL_SIZE: Final = 10
"""PostgreSQL connections a process keeps open. A `qihub web` process runs database work on
up to 8 Slack and 16 Teams threads at once (bot.slack.listeners, bot.teams.handlers) plus a
few of its own; POOL_SIZE + POOL_OVERFLOW covers them all, so a storm of presses queues on
those threads and the database, never a third time for a connection."""
POOL_OVERFLOW: Final = 20
"""Connections opened beyond POOL_SIZE under load and closed again when returned."""
POOL_TIMEOUT_S: Final = 30.0


def _configure_sqlite(engine: Engine) -> None:
    """WAL for concurrent readers, foreign keys on, a busy timeout, and real transactions.

    pysqlite's own transaction handling starts transactions lazily and never for DDL; we take
    over (isolation_level=None) and issue BEGIN IMMEDIATE ourselves, so a unit of work is one
    transaction that holds the write lock from its first statement: no "database is locked"
    upgrade failures half way through.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        dbapi_connection = connection.connection.dbapi_connection
        locking = isinstance(dbapi_connection, LockingConnection)
        if locking:
            dbapi_connection.take_lock()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if locking:
                dbapi_connection.release_lock()
            raise


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Build an engine for `url`; SQLite gets the pragmas above, PostgreSQL a pre-ping pool.

    Parameters are hidden from SQL logs and database error messages: they carry emails,
    names and free text, and the actor's email looked up beside an anonymous submission's
    INSERT would name its submitter in the log.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        # Never echo the URL: it may hold a password and this line reaches platform logs.
        raise DatabaseUnavailable(
            "DATABASE_URL is not a database URL; use sqlite:///qihub.db or "
            "postgresql+psycopg://user@host/dbname"
        ) from None
    if parsed.drivername in ("postgres", "postgresql"):
        # Heroku-style platforms hand out postgres://; SQLAlchemy 2 only knows postgresql://.
        parsed = parsed.set(drivername="postgresql+psycopg")
        url = parsed.render_as_string(hide_password=False)
    try:
        if parsed.get_backend_name() == "sqlite":
            connect_args: dict[str, Any] = {"check_same_thread": False}
            if parsed.database not in (None, "", ":memory:"):
                path = str(Path(parsed.database or "").resolve())
                connect_args["factory"] = factory_for(path)
            engine = create_engine(url, echo=echo, connect_args=connect_args, hide_parameters=True)
            _configure_sqlite(engine)
            return engine
        if parsed.get_backend_name() == "postgresql":
            return create_engine(
                parsed,
                echo=echo,
                pool_pre_ping=True,
                pool_size=POOL_SIZE,
                max_overflow=POOL_OVERFLOW,
                pool_timeout=POOL_TIMEOUT_S,
                connect_args={"connect_timeout": 5},
                hide_parameters=True,
            )
    except NoSuchModuleError:
        raise DatabaseUnavailable(
            f"DATABASE_URL names an unknown driver ({parsed.drivername}); "
            "use sqlite:/// or postgresql+psycopg://"
        ) from None
    raise DatabaseUnavailable(
        f"DATABASE_URL uses {parsed.get_backend_name()!r}; QI Hub supports SQLite and PostgreSQL"
    )


def check_connection(engine: Engine) -> None:
    """Fail fast with one plain sentence if the database cannot be used."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"cannot reach the database at {engine.url.render_as_string(hide_password=True)} "
            f"({reason}); check DATABASE_URL and that the server is running"
        ) from None


def sqlite_file(database_url: str) -> Path | None:
    """The database file a SQLite URL names; None for PostgreSQL or an in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database))
    return None


def is_sqlite_url(database_url: str) -> bool:
    """Whether a database URL names SQLite (False for one that is not a URL at all: building
    the engine then says what is wrong with it)."""
    try:
        return make_url(database_url).get_backend_name() == "sqlite"
    except (ArgumentError, ValueError):
        return False


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
