"""The "bulletin_draft" reminder rule: draft each quarter's bulletin 10 days before it ends.

The occasion is the quarter: the ledger lets the governance leads' review card out once per
quarter, whichever clock gets there first and however often it restarts. A clock that was down
at the draft moment drafts on its next tick, even after the quarter has ended (a quarter's
record is worth having late, unlike a stale weekly digest); a quarter whose draft moment came
before QI Hub was installed (its directory's first sync) is not drafted for a register that
never saw it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers import people
from handlers.bulletin import service
from handlers.bulletin.lifecycle import BulletinStatus
from handlers.bulletin.quarters import draft_moment
from handlers.bulletin.views import review_card
from handlers.config import Rule
from handlers.context import Context
from handlers.reminders import Due

OCCASION = "draft"


def governance_leads(ctx: Context) -> tuple[int, ...]:
    """Every committee's governance leads, once each."""
    found = (lead for code in ctx.config.committees for lead in people.governance_leads(ctx, code))
    return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class BulletinDraftRule:
    name: str = "bulletin_draft"
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        days = max(rule.days_before)
        zone = ctx.config.zone
        current = service.current_quarter(ctx)
        installed = ctx.uow.staff.first_created()
        for quarter in (current.previous, current):
            moment = draft_moment(quarter, zone, days, service.draft_time(ctx))
            if ctx.now < moment or (installed is not None and moment < installed):
                continue
            # Checked first so later ticks cost one lookup; the ledger claim in tick() decides.
            if ctx.uow.bulletins.already_sent(self.name, quarter.ref, OCCASION):
                continue
            existing = ctx.uow.bulletins.by_ref(quarter.ref)
            if existing is not None and existing.status != BulletinStatus.DRAFT:
                continue  # reviewed early, on request: nothing left to ask the leads
            bulletin = existing or service.ensure_draft(ctx, quarter)
            yield Due(
                item_key=quarter.ref,
                occasion=OCCASION,
                reply=review_card(ctx, bulletin, service.contents(ctx, bulletin)),
                people=governance_leads(ctx),
            )


RULES = (BulletinDraftRule(),)
