"""Critical alerts and the acknowledgement ledger: one row per recipient, the assurance evidence.

An alert is small; its recipients may be 100,000. Recipient rows are therefore written by the
database itself (INSERT … SELECT from the staff directory), never built one by one in Python, and
every query over them is shaped by an index below.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JSONType


class Alert(Base):
    """One critical alert, correction or retraction (`kind`), from draft to closed.

    A correction or retraction is an alert of its own (approved, sent and acknowledged like
    any other) that points at the alert it replaces through `corrects_id`.
    """

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_status_deadline", "status", "ack_deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(12), default="alert")
    title: Mapped[str] = mapped_column(String(150))
    instructions: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(32))
    audience_kind: Mapped[str] = mapped_column(String(12))
    audience_values: Mapped[list[str]] = mapped_column(JSONType, default=list)
    ack_deadline: Mapped[datetime]
    lesson_ref: Mapped[str | None] = mapped_column(String(20))
    cas_ref: Mapped[str | None] = mapped_column(String(64))
    cas_new_issue_of: Mapped[str | None] = mapped_column(String(20))
    """The alert already sent with the same CAS reference that the publisher confirmed this
    is a new issue of (handlers.alerts.cas); without it, a repeated reference is not sent."""
    status: Mapped[str] = mapped_column(String(20))
    emergency: Mapped[bool] = mapped_column(default=False)
    publisher_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime | None]
    rejected_reason: Mapped[str | None] = mapped_column(Text)
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("alert.id"), index=True)
    recipient_count: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    status_outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL")
    )
    """The publisher's status message: its outbox row holds the platform handle to update."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Alert({self.ref}, {self.status})"


class AlertRecipient(Base):
    """One person an alert was sent to: delivery, acknowledgement, reminders and escalation.

    Delivery facts are copied from the recipient's outbox row (`outbox_id`) once the sender
    has recorded them, so the ledger stands on its own as evidence after the outbox is pruned.
    """

    __tablename__ = "alert_recipient"
    __table_args__ = (
        UniqueConstraint("alert_id", "staff_id"),
        Index("ix_alert_recipient_alert_acked", "alert_id", "acked_at"),
        Index("ix_alert_recipient_alert_delivered", "alert_id", "delivered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    delivered_at: Mapped[datetime | None]
    platform: Mapped[str | None] = mapped_column(String(16))
    handle: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    acked_at: Mapped[datetime | None]
    ack_platform: Mapped[str | None] = mapped_column(String(16))
    notified_count: Mapped[int] = mapped_column(default=1)
    last_notified_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(String(500))


class AlertAckLink(Base):
    """One personal acknowledgement link (`/ack/{token}`), sent in one text or email.

    Only the SHA-256 of the token is kept: a database dump yields no working link. The row binds
    the link to one alert and one person; it expires with the alert (its deadline or closing,
    checked when it is opened) and is spent by the first press (`used_at`).
    """

    __tablename__ = "alert_ack_link"
    __table_args__ = (Index("ix_alert_ack_link_alert_staff", "alert_id", "staff_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(8))
    """The channel whose message carried the link ("sms" / "email"): an acknowledgement by it
    is recorded as acknowledged by that channel."""

    def __repr__(self) -> str:
        return f"AlertAckLink({self.id}, alert={self.alert_id}, staff={self.staff_id})"


class AlertAttempt(Base):
    """One text or email of the channel policy to one person (issue 15): the ledger of every
    attempt beyond chat, with Notify's delivery receipt. Holds no number or address.

    `step` is the policy step's index in the severity's `policy`, so a step reaches a person
    once (the unique constraint), whichever clock fires it.
    """

    __tablename__ = "alert_attempt"
    __table_args__ = (
        UniqueConstraint("alert_id", "staff_id", "step"),
        Index("ix_alert_attempt_alert_channel", "alert_id", "channel"),
        Index("ix_alert_attempt_delivery_status", "delivery_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    step: Mapped[int]
    channel: Mapped[str] = mapped_column(String(8))
    outbox_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox.id", ondelete="SET NULL"), index=True
    )
    queued_at: Mapped[datetime]
    delivery_status: Mapped[str | None] = mapped_column(String(24))
    """Notify's status from its receipt (delivered, permanent-failure, ...), or a send failure."""
    status_at: Mapped[datetime | None]
    poll_at: Mapped[datetime | None]
    """When the receipt poll next asks Notify for this attempt's status (None: not yet asked;
    bot/notify/poll.py)."""

    def __repr__(self) -> str:
        return f"AlertAttempt({self.id}, alert={self.alert_id}, staff={self.staff_id})"
