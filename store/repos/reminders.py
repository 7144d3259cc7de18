"""The once-only ledger for reminders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from store.models import ReminderSent
from store.repos.dialect import insert_for


class ReminderRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, rule: str, item_key: str, occasion: str, now: datetime) -> bool:
        """Record that this reminder is raised now; False if it was raised before (by anyone).

        The unique constraint decides, so two clocks, a restart or a replay cannot send it twice.
        """
        result = self.session.execute(
            insert_for(self.session, ReminderSent)
            .values(rule=rule, item_key=item_key, occasion=occasion, created_at=now)
            .on_conflict_do_nothing(index_elements=["rule", "item_key", "occasion"])
            .returning(ReminderSent.id)
        )
        # rowcount is -1 on PostgreSQL when RETURNING is involved; the returned row is the truth.
        return result.first() is not None
