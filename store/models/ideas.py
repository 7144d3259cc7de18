"""Bright and Big Ideas, their submitters and supporters.

Anonymous ideas have no submitter rows and keep only a hash of the receipt code, so nothing in the
database can lead back to the person.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, JSONType


class Idea(Base):
    __tablename__ = "idea"
    __table_args__ = (
        Index("ix_idea_status_changed", "status", "status_changed_at"),
        Index("ix_idea_status_created", "status", "created_at"),
        Index("ix_idea_sponsor_status", "sponsor_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(150))
    problem: Mapped[str] = mapped_column(Text)
    proposed_change: Mapped[str] = mapped_column(Text)
    expected_benefits: Mapped[list[str]] = mapped_column(JSONType, default=list)
    benefit_detail: Mapped[str | None] = mapped_column(Text)
    area: Mapped[str | None] = mapped_column(String(64))
    srg: Mapped[str | None] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(16))
    credit_consent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(24))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    sponsor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    sponsor_state: Mapped[str | None] = mapped_column(String(16))
    """"asked", "accepted" or "declined": a Big Idea's sponsor must accept before it goes on."""
    sponsor_reason: Mapped[str | None] = mapped_column(Text)
    """Why the sponsor declined (sent to the panel and the submitter)."""
    sponsor_asked_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    """When the panel promoted it from a Bright Idea (None for a Big Idea submitted as one)."""
    scope: Mapped[str | None] = mapped_column(Text)
    resources: Mapped[str | None] = mapped_column(Text)
    cost_pounds: Mapped[int | None]
    cost_detail: Mapped[str | None] = mapped_column(Text)
    success_measures: Mapped[str | None] = mapped_column(Text)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("idea.id"))
    redirected_to: Mapped[str | None] = mapped_column(String(32))
    support_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    status_changed_at: Mapped[datetime]

    submitters: Mapped[list[IdeaSubmitter]] = relationship(
        back_populates="idea", cascade="all, delete-orphan", lazy="selectin"
    )
    duplicate_of: Mapped[Idea | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"Idea({self.ref}, {self.status})"


class IdeaSubmitter(Base):
    __tablename__ = "idea_submitter"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    is_lead: Mapped[bool] = mapped_column(default=True)

    idea: Mapped[Idea] = relationship(back_populates="submitters")


class IdeaSupport(Base):
    """One row per supporter: the primary key is what makes it one support per person."""

    __tablename__ = "idea_support"

    idea_id: Mapped[int] = mapped_column(
        ForeignKey("idea.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime]
