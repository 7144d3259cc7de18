"""SMART safety actions: one per tier response, owned, dated, verified and (tier 1) re-audited.

The committee is copied onto the action so a committee's digest and lists never need a join
through 100,000 lessons; `due_version` changes whenever the due date does, so due-date
reminders fire again for a new date and never twice for the same one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, JSONType

if TYPE_CHECKING:
    from store.models.lessons import Lesson
    from store.models.staff import Staff


class Action(Base):
    __tablename__ = "action"
    __table_args__ = (
        Index("ix_action_status_due", "status", "due_date"),
        Index("ix_action_committee_status_due", "committee", "status", "due_date"),
        Index("ix_action_owner_status", "owner_id", "status"),
        Index("ix_action_status_completed", "status", "completed_at"),
        Index("ix_action_status_reaudit", "status", "reaudit_date"),
        Index("ix_action_committee_verified", "committee", "verified_at"),
        Index("ix_action_committee_status_changed", "committee", "status", "status_changed_at"),
        Index("ix_action_status_changed", "status", "status_changed_at"),
        Index(
            "ix_action_committee_extensions", "committee", "status", "extension_count", "due_date"
        ),
        Index("ix_action_committee_measure", "committee", "has_measure", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    committee: Mapped[str] = mapped_column(String(16))
    tier: Mapped[int]
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    due_date: Mapped[date] = mapped_column(Date)
    due_version: Mapped[int] = mapped_column(default=1)
    measure: Mapped[str | None] = mapped_column(Text)
    has_measure: Mapped[bool] = mapped_column(default=False)
    """Kept with `measure` so the digest's data-quality count is an index lookup."""
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    status: Mapped[str] = mapped_column(String(24))
    status_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_from: Mapped[str | None] = mapped_column(String(24))
    """The status a cancelled action had, so an undo within the window restores it."""
    evidence: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    change: Mapped[str | None] = mapped_column(Text)
    reaudit_date: Mapped[date | None] = mapped_column(Date)
    audit_lead_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reaudit_result: Mapped[str | None] = mapped_column(String(8))
    reaudit_notes: Mapped[str | None] = mapped_column(Text)
    audiences: Mapped[list[str]] = mapped_column(JSONType, default=list)
    comms_channel: Mapped[str | None] = mapped_column(Text)
    process: Mapped[str | None] = mapped_column(String(64))
    expert_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    cognitive_aid: Mapped[str | None] = mapped_column(Text)
    extension_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    status_changed_at: Mapped[datetime]

    extensions: Mapped[list[ActionExtension]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="ActionExtension.id"
    )
    lesson: Mapped[Lesson] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[Staff] = relationship(foreign_keys=[owner_id], lazy="joined", innerjoin=True)

    def __repr__(self) -> str:
        return f"Action({self.ref}, {self.status})"


class ActionExtension(Base):
    __tablename__ = "action_extension"
    __table_args__ = (Index("ix_action_extension_status", "status", "action_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("action.id", ondelete="CASCADE"), index=True)
    committee: Mapped[str] = mapped_column(String(16))
    requested_until: Mapped[date] = mapped_column(Date)
    previous_due: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    action: Mapped[Action] = relationship(back_populates="extensions")
