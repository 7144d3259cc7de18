"""The reminder engine: rules find what is due; a ledger makes each reminder fire exactly once.

Reminders are rows, not scheduler jobs. A tick asks every enabled rule for what is due now; each
(rule, item, occasion) is claimed in the ledger before its messages are queued, in one
transaction. A restart cannot repeat a reminder, two clocks cannot both send it, and a clock
that was down catches up on its next tick, raising only the latest occasion of each item it
finds due (a rule ranks its occasions: `Due.rank`). Non-urgent reminders raised in quiet hours are
queued to go out when quiet hours end.

A reminder that would reach nobody (no person, no channel) is never recorded as sent: it is
recorded as stuck instead (under "stuck:<rule>", replaced on every pass, so it lists only what is
stuck now), the weekly digest lists it, and the rule's watermark does not move past that pass, so
the rule finds it again and sends it once someone can receive it.

Each rule is told when it last finished a pass (its watermark, less a margin) and searches only
what crossed its threshold, or changed status, since then: a tick costs what is due now rather
than everything ever reminded, and after downtime the window is simply wider.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from handlers.config import Rule
from handlers.context import Context
from messages.view import Reply


@dataclass(frozen=True)
class Due:
    item_key: str
    occasion: str
    reply: Reply
    people: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    fan_out: Callable[[Context, str], object] | None = None
    """For audiences too large to list (a critical alert's non-acknowledgers): called with the
    occasion's outbox key once the ledger has claimed it, to queue its own messages in the
    database (INSERT … SELECT) in the same transaction."""
    rank: int | None = None
    """The occasion's place in its rule's sequence for the item (larger is later, e.g. "3 days
    before" outranks "14 days before"). Of the ranked occasions one pass finds for an item,
    only the latest is raised; None: not part of a sequence (always raised)."""
    card: str | None = None
    """The record the reminder shows as a card ("action:ACT-2026-0003"), so it is redrawn when
    the record moves on (handlers/cards.py) rather than keep buttons that no longer apply."""
    then: tuple[Reply, ...] = ()
    """Messages that follow `reply` to the same people and channels, once each (a digest's
    charts when the digest itself is full)."""


class ReminderRule(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def urgent(self) -> bool:
        """Urgent rules ignore quiet hours (tier 5, critical alerts)."""
        ...

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        """What is due under this rule at ctx.now and not yet claimed in the ledger.

        `since`: only what became due (or changed status) after this moment need be searched;
        None means search everything (the rule has never run).
        """
        ...


log = logging.getLogger(__name__)

MARGIN = timedelta(days=1)
"""Searched again behind each watermark: the ledger makes the overlap harmless, and it covers
clock skew between two clock processes and day boundaries in local time."""


@dataclass
class TickReport:
    raised: dict[str, int] = field(default_factory=dict)
    stuck: dict[str, int] = field(default_factory=dict)
    """Reminders found due that would reach nobody, by rule (not raised, not recorded as sent)."""

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def latest_only(found: list[Due]) -> list[Due]:
    """After a jump in time (downtime, the console's /clock) several occasions of one item may
    be due at once: only the latest is raised, the earlier ones are never sent."""
    latest: dict[str, int] = {}
    for due in found:
        if due.rank is not None:
            latest[due.item_key] = max(due.rank, latest.get(due.item_key, due.rank))
    return [d for d in found if d.rank is None or d.rank == latest[d.item_key]]


def reaches_someone(due: Due) -> bool:
    """A person or channel to tell (a fan-out finds its own audience in the database)."""
    return bool(due.people or due.channels) or due.fan_out is not None


def tick(ctx: Context, rules: Iterable[ReminderRule]) -> TickReport:
    """Raise every due reminder once. The caller commits (one transaction per tick)."""
    report = TickReport()
    for rule in rules:
        settings = ctx.config.reminders.get(rule.name)
        if settings is None or not settings.enabled:
            continue
        urgent = rule.urgent or settings.urgent
        not_before = None if urgent else ctx.calendar.end_of_quiet_hours(ctx.now)
        watermark = ctx.uow.reminders.watermark(rule.name)
        since = watermark - MARGIN if watermark is not None else None
        due_now = latest_only(list(rule.due(ctx, settings, since)))
        found = [d for d in due_now if reaches_someone(d)]
        nobody = [(d.item_key, d.occasion) for d in due_now if not reaches_someone(d)]
        ctx.uow.reminders.mark_stuck(rule.name, nobody, ctx.now)
        if nobody:
            report.stuck[rule.name] = len(nobody)
            log.warning("reminder reaches nobody", extra={"rule": rule.name, "stuck": nobody})
        # One claim and one outbox insert per rule, however many are due: the ledger decides
        # which are new (another clock may have raised some a moment ago).
        claimed = ctx.uow.reminders.claim_many(
            rule.name, [(d.item_key, d.occasion) for d in found], ctx.now
        )
        rows = []
        for due in found:
            if (due.item_key, due.occasion) not in claimed:
                continue
            claimed.discard((due.item_key, due.occasion))
            key = f"rem:{rule.name}:{due.item_key}:{due.occasion}"
            if due.fan_out is not None:
                due.fan_out(ctx, key)
            rows += ctx.enqueuer.rows(
                due.reply,
                key,
                people=due.people,
                channels=due.channels,
                urgent=urgent,
                not_before=not_before,
                card=due.card,
            )
            for n, more in enumerate(due.then, start=2):
                rows += ctx.enqueuer.rows(
                    more,
                    f"{key}#{n}",
                    people=due.people,
                    channels=due.channels,
                    urgent=urgent,
                    not_before=not_before,
                )
            report.raised[rule.name] = report.raised.get(rule.name, 0) + 1
        ctx.enqueuer.queue(rows)
        if not nobody:  # else the next pass searches from here again, to find them once more
            ctx.uow.reminders.advance(rule.name, ctx.now)
    return report
