"""Ledger of reminders already raised: the unique key is what makes each fire exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class RuleWatermark(Base):
    """When each reminder rule last finished a full pass.

    The next tick only searches what became due (or changed status) since then, so a tick costs
    what is due now, not everything ever reminded; after downtime the window is simply wider,
    so nothing is missed however long the clock was away.
    """

    __tablename__ = "rule_watermark"

    rule: Mapped[str] = mapped_column(String(48), primary_key=True)
    passed_at: Mapped[datetime]


class ReminderSent(Base):
    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("rule", "item_key", "occasion"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(48))
    item_key: Mapped[str] = mapped_column(String(64))
    occasion: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
