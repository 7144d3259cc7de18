"""Staff contact details for texts and emails: personal data, kept apart from `staff`.

A separate table so that no existing query, repr, export or `Reachable` row carries a mobile
number by accident, and there is one place to purge. Each value remembers where it came from,
so the directory sync never overwrites what an operator gave (config or CSV import)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class StaffContact(Base):
    __tablename__ = "staff_contact"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    mobile: Mapped[str | None] = mapped_column(String(16))
    """E.164 (+447...), validated before it is stored."""
    mobile_source: Mapped[str | None] = mapped_column(String(8))
    email: Mapped[str | None] = mapped_column(String(254))
    """Where alert emails go when it is not the work address (bank and agency staff)."""
    email_source: Mapped[str | None] = mapped_column(String(8))
    mobile_failed_at: Mapped[datetime | None]
    """Set when Notify refused the number: skipped until the number changes."""
    email_failed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    def __repr__(self) -> str:
        return f"StaffContact(staff_id={self.staff_id})"
