"""Writers in one process queue on a lock before SQLite's, and wake the moment it is free.

SQLite allows one writer; every unit of work here takes the write lock at its start (BEGIN
IMMEDIATE). Left to SQLite, a waiting thread polls with sleeps of up to 100 ms, so under load
the slowest requests wait far longer than the work in front of them takes. Queuing threads of
this process on a Python lock first turns those sleeps into an immediate hand-over; other
processes still meet SQLite's own busy timeout as before.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

WAIT_SECONDS = 30.0


class DatabaseLock:
    """A lock that knows its holder, so a thread that already holds it (through another
    connection) is not made to wait for itself: SQLite's busy timeout decides, as before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None

    def acquire(self) -> bool:
        if self.owner == threading.get_ident():
            return False
        if not self._lock.acquire(timeout=WAIT_SECONDS):
            raise sqlite3.OperationalError("database is locked (waited for another thread)")
        self.owner = threading.get_ident()
        return True

    def release(self) -> None:
        self.owner = None
        self._lock.release()


_locks: dict[str, DatabaseLock] = {}
_locks_guard = threading.Lock()


def lock_for(database: str) -> DatabaseLock:
    with _locks_guard:
        return _locks.setdefault(database, DatabaseLock())


class LockingConnection(sqlite3.Connection):
    """A pysqlite connection whose transactions hold the process-wide lock for its file."""

    database_lock: DatabaseLock | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._holding = False

    def take_lock(self) -> None:
        """Queue for this file's lock before BEGIN IMMEDIATE (see the module docstring)."""
        lock = self.database_lock
        if lock is not None and not self._holding:
            self._holding = lock.acquire()

    def release_lock(self) -> None:
        self._release()

    def _release(self) -> None:
        if self._holding and self.database_lock is not None:
            self._holding = False
            self.database_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if self.in_transaction is False:
                self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()


def factory_for(database: str) -> type[LockingConnection]:
    """A connection class bound to the lock of one database file."""
    return type("LockingConnection", (LockingConnection,), {"database_lock": lock_for(database)})
