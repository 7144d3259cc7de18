"""Tier 5: convene the executive on-call group at once, day or night.

Direct messages to every executive on call and a post in their channel, both urgent (quiet
hours never hold them), with a proposed meeting well inside 24 hours. An executive then owns a
bespoke action plan: a tier-5 action on the lesson.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers import people
from handlers.audit import record
from handlers.context import Context
from handlers.errors import UserError
from handlers.lessons.lifecycle import LESSON_OPEN
from messages.view import Button, Buttons, Fact, Facts, Heading, Notice, Reply, SmallPrint, Text
from store.models import Lesson

MEETING_LEAD_TIME = timedelta(hours=2)


def proposed_meeting(ctx: Context, now: datetime) -> datetime:
    """The next half hour at least two hours away, in local time: soon, but reachable."""
    local = ctx.calendar.local(now + MEETING_LEAD_TIME)
    extra = (30 - local.minute % 30) % 30
    return (local + timedelta(minutes=extra)).replace(second=0, microsecond=0)


def convene(ctx: Context, lesson: Lesson, reason: str) -> Reply:
    if lesson.status not in LESSON_OPEN:
        raise UserError(f"{lesson.ref} is closed; open a new lesson for a new emergency.")
    first_time = lesson.tier5_at is None
    lesson.tier5_at = lesson.tier5_at or ctx.now
    if 5 not in lesson.tiers:
        lesson.tiers = sorted([*lesson.tiers, 5])
    lesson.updated_at = ctx.now
    meeting = proposed_meeting(ctx, ctx.now)
    record(
        ctx,
        entity_type="lesson",
        entity_ref=lesson.ref,
        action="escalated_tier5",
        after={"tiers": lesson.tiers, "meeting": meeting.isoformat()},
        reason=reason,
    )
    exec_channel = ctx.config.channels.get("exec_oncall")
    headline = f"TIER 5: executive on-call group convened for {lesson.ref}"
    message = Reply(
        summary=headline,
        blocks=(
            Heading(headline),
            Notice(f"Clinical emergency / major incident: {lesson.title}", "error"),
            Facts(
                (
                    Fact("Why now", reason),
                    Fact("Proposed meeting", f"{meeting:%A %d %B %H:%M} (within 24 hours)"),
                    Fact("Where", f"#{exec_channel.name}" if exec_channel else "by direct message"),
                )
            ),
            Text(f"What happened: {lesson.what_happened}"),
            Text("An executive owns a bespoke action plan: add it as the tier 5 action."),
            Buttons(
                (
                    Button(
                        "Add the tier 5 action plan…",
                        "lesson.add_action",
                        {"ref": lesson.ref, "tier": "5"},
                        "primary",
                    ),
                    Button("Open lesson", "lesson.show", {"ref": lesson.ref}),
                )
            ),
            SmallPrint("Sent at once, day or night: tier 5 ignores quiet hours."),
        ),
    )
    key = f"tier5:{lesson.ref}:{ctx.now.isoformat()}"
    ctx.enqueuer.to_people(people.holders(ctx, "executive_oncall"), message, key, urgent=True)
    if exec_channel is not None:
        ctx.enqueuer.to_channel("exec_oncall", message, key, urgent=True)
    committee_channel = people.channel_of(ctx, lesson.committee)
    if committee_channel is not None and first_time:
        ctx.enqueuer.to_channel(committee_channel, message, key, urgent=True)
    return message
