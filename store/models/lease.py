"""Leases: which process currently leads a singleton job (the clock), until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class Lease(Base):
    __tablename__ = "lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]
    acquired_at: Mapped[datetime]


class Heartbeat(Base):
    """When a singleton job (the leading clock) last ran: a stopped clock stops reminders,
    alert re-notifications and digests without a word, so the web process watches this row."""

    __tablename__ = "heartbeat"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128), default="")
    beat_at: Mapped[datetime | None]
    """The last tick; None while none has been seen (the row made to note an outage)."""
    alarm_since: Mapped[datetime | None]
    """When admins were told the clock had stopped; None when no outage is being reported."""
