"""The outbox: every outgoing message is a row written with the state change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JSONType


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_bulk_due", "bulk", "status", "next_attempt_at"),
        Index("ix_outbox_card", "card", "id"),
        CheckConstraint("(recipient_id IS NULL) <> (channel IS NULL)", name="one_destination"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    urgent: Mapped[bool] = mapped_column(default=False)
    bulk: Mapped[bool] = mapped_column(default=False, server_default=false())
    """Queued by a fan-out (enqueue_from_select): a broadcast is the clock's to deliver, at
    the platforms' pace, not every web process's too (see OutboxSender's leave_bulk_to)."""
    card: Mapped[str | None] = mapped_column(String(64))
    """The record this message shows as a card ("action:ACT-2026-0003"), so a change to the
    record can update it in place (handlers/cards.py). None for updates and plain notices."""
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None]
    claim_token: Mapped[str | None] = mapped_column(String(32))
    """Made afresh by each claim: an outcome is written only by the claim that holds the row
    now, never by an earlier one whose lease ran out (even one by the same worker)."""
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    platform: Mapped[str | None] = mapped_column(String(16))
    platform_ref: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    last_error: Mapped[str | None] = mapped_column(String(500))
