"""Ledger of reminders already raised: the unique key is what makes each fire exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class ReminderSent(Base):
    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("rule", "item_key", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(48))
    item_key: Mapped[str] = mapped_column(String(64))
    occasion: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
