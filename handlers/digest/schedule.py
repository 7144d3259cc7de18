"""When each committee's digest goes out: once per ISO week, from its configured local slot on.

The slot is wall-clock time in the trust's zone, so "Monday 08:00" is 08:00 in GMT and in BST
alike. The occasion is the ISO week ("2026-W48"): the reminder ledger lets it out once, a clock
that was down at the slot sends it on its next tick that week, and a week missed entirely is
not sent late, because next week's digest says everything it would have said, and more.
Nor is a slot from before QI Hub was installed (its directory's first sync): a new installation
starts with next week's digest rather than an empty one for a week it never saw.

A slot inside quiet hours is built when quiet hours end, not built at the slot and held: a digest
held overnight would arrive reporting the evening before. The occasion stays the slot's week, so a
Sunday 22:00 slot goes out on Monday 08:00 as that Sunday's week.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from handlers.config import Committee, Rule
from handlers.context import Context
from handlers.digest.data import SectionContributor, build_digest, iso_week
from handlers.digest.views import digest_replies
from handlers.reminders import Due

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def slot_this_week(committee: Committee, local_now: datetime) -> datetime:
    """The committee's digest time in the ISO week of `local_now` (an aware local datetime)."""
    monday = local_now.date() - timedelta(days=local_now.weekday())
    day = monday + timedelta(days=WEEKDAYS.index(committee.digest.weekday))
    return datetime.combine(day, time.fromisoformat(committee.digest.time), local_now.tzinfo)


def open_slot(ctx: Context, committee: Committee, local_now: datetime) -> datetime | None:
    """The slot whose digest may be built now: this week's once it (or, if it falls in quiet
    hours, their end) has come; or last week's if its quiet hours ran into this week."""
    this_week = slot_this_week(committee, local_now)
    for slot in (this_week, this_week - timedelta(days=7)):
        release = ctx.calendar.local(ctx.calendar.end_of_quiet_hours(slot))
        if slot is not this_week and iso_week(release.date()) == iso_week(slot.date()):
            continue  # last week's slot went out last week (or was missed): never sent late
        if release <= local_now:
            return slot
    return None


@dataclass(frozen=True)
class CommitteeDigestRule:
    """The "committee_digest" reminder rule: each committee's digest, to its channel and chair."""

    contributors: Sequence[SectionContributor] = ()
    """Extra sections passed through to build_digest, after the registry's (critical alerts
    for the committees with `digest_alerts`)."""
    name: str = "committee_digest"
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        local_now = ctx.calendar.local(ctx.now)
        ledger = ctx.uow.digest
        installed = ctx.uow.staff.first_created()
        for code, committee in ctx.config.committees.items():
            slot = open_slot(ctx, committee, local_now)
            if slot is None or (installed is not None and slot < installed):
                continue
            occasion = iso_week(slot.date())
            # Checked before building: the ledger claim in tick() remains the arbiter, this
            # only spares building a digest on every tick for the rest of the week.
            if ledger.already_sent(self.name, code, occasion):
                continue
            sections = (*ctx.services.registry.digest_sections, *self.contributors)
            data = build_digest(ctx.uow, ctx.config, code, ctx.now, sections)
            chair = ctx.uow.staff.by_email(committee.chair)
            people = (chair.id,) if chair is not None and chair.active else ()
            digest, *charts = digest_replies(data, ctx.config)
            yield Due(
                item_key=code,
                occasion=occasion,
                reply=digest,
                people=people,
                channels=(committee.channel,),
                then=tuple(charts),
            )
