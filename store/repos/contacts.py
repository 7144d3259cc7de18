"""Staff contact rows (personal data): read by person, added, marked refused, counted."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from store.models import StaffContact


class ContactRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_staff(self, ids: Iterable[int]) -> dict[int, StaffContact]:
        wanted = list(dict.fromkeys(ids))
        found: dict[int, StaffContact] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = select(StaffContact).where(StaffContact.staff_id.in_(chunk))
            found.update((row.staff_id, row) for row in self.session.scalars(query))
        return found

    def add(self, row: StaffContact) -> None:
        self.session.add(row)

    def mark_failed(self, staff_id: int, channel: str, now: datetime) -> None:
        """Notify refused this person's number ("sms") or address ("email"): skip it until it
        changes. A person with no contact row was emailed at their work address: the row is
        made to remember that it was refused."""
        column = StaffContact.mobile_failed_at if channel == "sms" else StaffContact.email_failed_at
        done = self.session.execute(
            update(StaffContact).where(StaffContact.staff_id == staff_id).values({column: now})
        )
        if int(getattr(done, "rowcount", 0) or 0) == 0:
            self.session.add(StaffContact(staff_id=staff_id, updated_at=now, **{column.key: now}))

    def counts(self) -> tuple[int, int]:
        """People with a usable mobile number, and with an alert email (no values read)."""
        mobiles = select(func.count()).where(
            StaffContact.mobile.is_not(None), StaffContact.mobile_failed_at.is_(None)
        )
        emails = select(func.count()).where(
            StaffContact.email.is_not(None), StaffContact.email_failed_at.is_(None)
        )
        return (
            self.session.scalar(mobiles.select_from(StaffContact)) or 0,
            self.session.scalar(emails.select_from(StaffContact)) or 0,
        )
