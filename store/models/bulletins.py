"""The quarterly "learning for improvement" bulletin: one row per NHS quarter.

Until approval its contents are worked out live from the register (what was verified,
re-audited and implemented in the quarter). At approval the contents, with the items the
governance lead left out already removed, are frozen into `snapshot`: the published page is
read from that alone, so it never changes afterwards, whatever happens to the register.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JSONType


class Bulletin(Base):
    __tablename__ = "bulletin"
    __table_args__ = (Index("ix_bulletin_status_quarter", "status", "quarter_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(16), unique=True)
    """"BUL-2026-Q3": the financial year it starts in and the NHS quarter (Q1 April-June)."""
    quarter_start: Mapped[datetime]
    """Local midnight of the quarter's first day (as UTC); items count from this instant..."""
    quarter_end: Mapped[datetime]
    """...up to, not including, local midnight of the next quarter's first day."""
    status: Mapped[str] = mapped_column(String(12))
    foreword: Mapped[str | None] = mapped_column(Text)
    """The governance lead's words; passed the patient-data guard like any free text."""
    excluded: Mapped[list[str]] = mapped_column(JSONType, default=list)
    """References of items the governance lead left out."""
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    reviewed_at: Mapped[datetime | None]
    approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    approved_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    """The published contents, frozen at approval (None before)."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"Bulletin({self.ref}, {self.status})"
