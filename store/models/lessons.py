"""The learning register: lessons, where they apply, and the trends they form.

Lessons are de-identified by design: free text passes the patient-data guard before it gets
here, and anonymous lessons keep only a hash of the receipt code.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from store.base import Base, JSONType


class Lesson(Base):
    __tablename__ = "lesson"
    __table_args__ = (
        Index("ix_lesson_committee_status", "committee", "status", "status_changed_at"),
        Index("ix_lesson_status_changed", "status", "status_changed_at"),
        Index(  # the library: its scope and filters counted from the index alone (0031)
            "ix_lesson_library",
            "created_at",
            "id",
            "status",
            "triaged_at",
            "committee",
            "source",
            "srg",
        ),
        Index(
            "ix_lesson_committee_unit", "committee", "has_org_unit", "status", "status_changed_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(150))
    what_happened: Mapped[str] = mapped_column(Text)
    what_learned: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(48))
    committee: Mapped[str] = mapped_column(String(16))
    process: Mapped[str | None] = mapped_column(String(64))
    srg: Mapped[str | None] = mapped_column(String(64))
    harm_level: Mapped[str | None] = mapped_column(String(16))
    source_refs: Mapped[list[str]] = mapped_column(JSONType, default=list)
    mode: Mapped[str] = mapped_column(String(16))
    receipt_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(24))
    reporter_message: Mapped[str | None] = mapped_column(Text)
    """The latest message written *to* the submitter (triage or decision form): all they see."""
    committee_note: Mapped[str | None] = mapped_column(Text)
    """The committee's internal note (triage, routing, assurance): committee members only."""
    triaged_at: Mapped[datetime | None]
    """When a governance lead checked it for patient data; until then only the submitter and
    the committee's governance leads may read it (handlers/visibility.py)."""
    tiers: Mapped[list[int]] = mapped_column(JSONType, default=list)
    rationale: Mapped[str | None] = mapped_column(Text)
    """The committee's reasons for its tiers: committee discussion, committee members only."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("lesson.id"))
    has_org_unit: Mapped[bool] = mapped_column(default=False)
    tier5_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    status_changed_at: Mapped[datetime]
    search_text: Mapped[str] = mapped_column(Text, default="")
    """Everything searchable about the lesson and what changed (indexed for full-text search)."""

    submitters: Mapped[list[LessonSubmitter]] = relationship(
        back_populates="lesson", cascade="all, delete-orphan", lazy="selectin"
    )
    org_units: Mapped[list[LessonOrgUnit]] = relationship(
        back_populates="lesson", cascade="all, delete-orphan", lazy="selectin"
    )
    merged_into: Mapped[Lesson | None] = relationship(remote_side=[id])

    def units(self, kind: str) -> list[str]:
        return [u.code for u in self.org_units if u.kind == kind]

    def __repr__(self) -> str:
        return f"Lesson({self.ref}, {self.status})"


class LessonSubmitter(Base):
    __tablename__ = "lesson_submitter"

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lesson.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True, index=True
    )

    lesson: Mapped[Lesson] = relationship(back_populates="submitters")


class LessonOrgUnit(Base):
    """A site or department a lesson concerns (the trend rule groups on these)."""

    __tablename__ = "lesson_org_unit"
    __table_args__ = (Index("ix_lesson_org_unit_unit", "kind", "code"),)

    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lesson.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)

    lesson: Mapped[Lesson] = relationship(back_populates="org_units")


class Trend(Base):
    """Lessons sharing a process, department, site or SRG within the window, and what the
    committee decided about them: `status` is "open" (awaiting a decision), "accepted" (a theme,
    with a response and its lead) or "dismissed" (with a reason; a new lesson reopens it)."""

    __tablename__ = "trend"
    __table_args__ = (Index("ix_trend_dimension_value", "dimension", "value", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default="open")
    lesson_count: Mapped[int] = mapped_column(default=0)
    committees: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_lesson_at: Mapped[datetime]
    response: Mapped[str | None] = mapped_column(Text)
    """Accepted: the committee's response to the theme (what will be done about it)."""
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    response_owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    """Accepted: who leads the response (told when named; sees it in /qi mine)."""
    decision_reason: Mapped[str | None] = mapped_column(Text)
    """Dismissed: why. Kept when a new lesson reopens the trend, so the reopened one says so."""
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reopened_at: Mapped[datetime | None]
    """When a new lesson reopened a dismissed trend (it is raised again, once per dismissal)."""

    lessons: Mapped[list[Lesson]] = relationship(
        secondary="trend_lesson", viewonly=True, order_by="Lesson.created_at"
    )


class TrendLesson(Base):
    __tablename__ = "trend_lesson"

    trend_id: Mapped[int] = mapped_column(
        ForeignKey("trend.id", ondelete="CASCADE"), primary_key=True
    )
    lesson_id: Mapped[int] = mapped_column(
        ForeignKey("lesson.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime]
