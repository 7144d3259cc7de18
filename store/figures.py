"""Figures for the metrics endpoint, read at scrape time straight from the engine.

Not a repository on the unit of work: a scrape is no unit of work (it changes nothing and
must not wait behind one), so it borrows a connection of its own, as check_connection does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, text

from store.models.lease import Heartbeat


@dataclass(frozen=True)
class DatabaseFigures:
    deliveries: list[tuple[str, str, float]]
    """(status, platform or "", count) for every outbox message."""
    reminders_sent: float
    alerts_acknowledged: float | None
    """None while the alerts table is not there yet (an older schema)."""
    clock_ticked_at: datetime | None = None
    """The leading clock's last tick (None: none seen yet)."""


def read_figures(engine: Engine) -> DatabaseFigures:
    """Raises whatever the driver raises when the database is away: the caller reports it."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, COALESCE(platform, ''), count(*) FROM outbox "
                "GROUP BY status, platform"
            )
        ).all()
        deliveries = [
            (str(status), str(platform), float(count)) for status, platform, count in rows
        ]
        reminders = float(connection.scalar(text("SELECT count(*) FROM reminder_sent")) or 0)
        acked = _optional_count(
            connection, "SELECT count(*) FROM alert_recipient WHERE acked_at IS NOT NULL"
        )
        ticked = last_beat(connection, "clock")
    return DatabaseFigures(deliveries, reminders, acked, ticked)


def read_last_beat(engine: Engine, name: str) -> datetime | None:
    """When the heartbeat `name` last beat (None: never), on a connection of its own, for
    /healthz, which must not wait behind a unit of work either."""
    with engine.connect() as connection:
        return last_beat(connection, name)


def last_beat(connection: Any, name: str) -> datetime | None:
    found = connection.scalar(select(Heartbeat.beat_at).where(Heartbeat.name == name))
    return found if isinstance(found, datetime) else None


def _optional_count(connection: Any, sql: str) -> float | None:
    """A count from a table that a later release may add; None when it is not there yet."""
    try:
        with connection.begin_nested():
            return float(connection.scalar(text(sql)) or 0)
    except Exception:
        return None
