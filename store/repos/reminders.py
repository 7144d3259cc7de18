"""The once-only ledger for reminders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import ReminderSent, RuleWatermark
from store.repos.dialect import insert_for

CHUNK = 500
"""Rows per multi-row INSERT: well inside SQLite's limit on bound parameters."""


class ReminderRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, rule: str, item_key: str, occasion: str, now: datetime) -> bool:
        """Record that this reminder is raised now; False if it was raised before (by anyone).

        The unique constraint decides, so two clocks, a restart or a replay cannot send it twice.
        """
        return bool(self.claim_many(rule, [(item_key, occasion)], now))

    def claim_many(
        self, rule: str, occasions: Sequence[tuple[str, str]], now: datetime
    ) -> set[tuple[str, str]]:
        """Claim many (item, occasion) pairs of one rule in one statement per chunk; returns
        the pairs claimed now (the others were raised before, by this or another clock)."""
        claimed: set[tuple[str, str]] = set()
        unique = list(dict.fromkeys(occasions))
        for start in range(0, len(unique), CHUNK):
            rows = [
                {"rule": rule, "item_key": item, "occasion": occasion, "created_at": now}
                for item, occasion in unique[start : start + CHUNK]
            ]
            result = self.session.execute(
                insert_for(self.session, ReminderSent)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["rule", "item_key", "occasion"])
                .returning(ReminderSent.item_key, ReminderSent.occasion)
            )
            claimed.update((item, occasion) for item, occasion in result)
        return claimed

    def watermark(self, rule: str) -> datetime | None:
        """When `rule` last finished a pass (None: never, so search everything once)."""
        return self.session.scalar(
            select(RuleWatermark.passed_at).where(RuleWatermark.rule == rule)
        )

    def advance(self, rule: str, passed_at: datetime) -> None:
        """Record a finished pass; never moves backwards (two clocks may race)."""
        insert = insert_for(self.session, RuleWatermark).values(rule=rule, passed_at=passed_at)
        self.session.execute(
            insert.on_conflict_do_update(
                index_elements=["rule"],
                set_={"passed_at": passed_at},
                where=RuleWatermark.passed_at < passed_at,
            )
        )
