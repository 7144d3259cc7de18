"""The reminder engine: rules find what is due; a ledger makes each reminder fire exactly once.

Reminders are rows, not scheduler jobs. A tick asks every enabled rule for what is due now; each
(rule, item, occasion) is claimed in the ledger before its messages are queued, in one
transaction. A restart cannot repeat a reminder, two clocks cannot both send it, and a clock
that was down catches up on its next tick. Non-urgent reminders raised in quiet hours are
queued to go out when quiet hours end.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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


class ReminderRule(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def urgent(self) -> bool:
        """Urgent rules ignore quiet hours (tier 5, critical alerts)."""
        ...

    def due(self, ctx: Context, rule: Rule) -> Iterable[Due]:
        """What is due under this rule at ctx.now and not yet claimed in the ledger."""
        ...


@dataclass
class TickReport:
    raised: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.raised.values())


def tick(ctx: Context, rules: Iterable[ReminderRule]) -> TickReport:
    """Raise every due reminder once. The caller commits (one transaction per tick)."""
    report = TickReport()
    for rule in rules:
        settings = ctx.config.reminders.get(rule.name)
        if settings is None or not settings.enabled:
            continue
        urgent = rule.urgent or settings.urgent
        not_before = None if urgent else ctx.calendar.end_of_quiet_hours(ctx.now)
        for due in rule.due(ctx, settings):
            if not ctx.uow.reminders.claim(rule.name, due.item_key, due.occasion, ctx.now):
                continue
            key = f"rem:{rule.name}:{due.item_key}:{due.occasion}"
            ctx.notifier.to_people(due.people, due.reply, key, urgent=urgent, not_before=not_before)
            for channel in due.channels:
                ctx.notifier.to_channel(
                    channel, due.reply, key, urgent=urgent, not_before=not_before
                )
            report.raised[rule.name] = report.raised.get(rule.name, 0) + 1
    return report
