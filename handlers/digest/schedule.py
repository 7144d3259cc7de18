"""When each committee's digest goes out: once per ISO week, from its configured local slot on.

The slot is wall-clock time in the trust's zone, so "Monday 08:00" is 08:00 in GMT and in BST
alike. The occasion is the ISO week ("2026-W48"): the reminder ledger lets it out once, a clock
that was down at the slot sends it on its next tick that week, and a week missed entirely is
not sent late, because next week's digest says everything it would have said, and more.
Nor is a slot from before QI Hub was installed (its directory's first sync): a new installation
starts with next week's digest rather than an empty one for a week it never saw.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from handlers.config import Committee, Rule
from handlers.context import Context
from handlers.digest.data import SectionContributor, build_digest, iso_week
from handlers.digest.views import digest_reply
from handlers.reminders import Due

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def slot_this_week(committee: Committee, local_now: datetime) -> datetime:
    """The committee's digest time in the ISO week of `local_now` (an aware local datetime)."""
    monday = local_now.date() - timedelta(days=local_now.weekday())
    day = monday + timedelta(days=WEEKDAYS.index(committee.digest.weekday))
    return datetime.combine(day, time.fromisoformat(committee.digest.time), local_now.tzinfo)


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
        occasion = iso_week(local_now.date())
        ledger = ctx.uow.digest
        installed = ctx.uow.staff.first_created()
        for code, committee in ctx.config.committees.items():
            slot = slot_this_week(committee, local_now)
            if local_now < slot or (installed is not None and slot < installed):
                continue
            # Checked before building: the ledger claim in tick() remains the arbiter, this
            # only spares building a digest on every tick for the rest of the week.
            if ledger.already_sent(self.name, code, occasion):
                continue
            sections = (*ctx.services.registry.digest_sections, *self.contributors)
            data = build_digest(ctx.uow, ctx.config, code, ctx.now, sections)
            chair = ctx.uow.staff.by_email(committee.chair)
            people = (chair.id,) if chair is not None and chair.active else ()
            yield Due(
                item_key=code,
                occasion=occasion,
                reply=digest_reply(data, ctx.config),
                people=people,
                channels=(committee.channel,),
            )
