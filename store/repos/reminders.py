"""The once-only ledger for reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from store.models import ReminderSent, RuleWatermark
from store.repos.dialect import insert_for

STUCK, STUCK_END = "stuck:", "stuck;"
"""Ledger rows under "stuck:<rule>" are reminders found due for nobody, never sent ones; the
range [STUCK, STUCK_END) finds them all through the ledger's index."""


@dataclass(frozen=True)
class StuckReminder:
    rule: str
    item_key: str
    occasion: str
    since: datetime


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

    def mark_stuck(self, rule: str, stuck: Sequence[tuple[str, str]], now: datetime) -> None:
        """Record what `rule` found due for nobody in this pass, under "stuck:<rule>" (never as
        sent): earlier entries no longer found are removed, those still found keep their date."""
        name = STUCK + rule
        query = delete(ReminderSent).where(ReminderSent.rule == name)
        if stuck:
            query = query.where(tuple_(ReminderSent.item_key, ReminderSent.occasion).not_in(stuck))
        self.session.execute(query)
        if stuck:
            self.claim_many(name, stuck, now)

    def stuck(self, limit: int) -> tuple[list[StuckReminder], int]:
        """Reminders that would reach nobody, as of each rule's latest pass (oldest first)."""
        rows = self.session.execute(
            select(
                ReminderSent.rule,
                ReminderSent.item_key,
                ReminderSent.occasion,
                ReminderSent.created_at,
                func.count().over(),
            )
            .where(ReminderSent.rule >= STUCK, ReminderSent.rule < STUCK_END)
            .order_by(ReminderSent.created_at, ReminderSent.id)
            .limit(limit)
        ).all()
        found = [StuckReminder(r[0].removeprefix(STUCK), r[1], r[2], r[3]) for r in rows]
        return found, int(rows[0][-1]) if rows else 0

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
