"""Idea reminder rules: not screened after N working days, not decided after M (docs/domain.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers.config import Rule
from handlers.context import Context
from handlers.ideas.lifecycle import IdeaStatus
from handlers.reminders import Due
from messages.templates import counted
from messages.view import Button, Buttons, Notice, Reply


@dataclass(frozen=True)
class IdeaWaitingRule:
    name: str
    statuses: tuple[IdeaStatus, ...]
    since: str
    """"status" (waiting in this status) or "created" (waiting since submission)."""
    waiting_for: str
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        """Ideas are few, so this searches every waiting idea (`since` is not needed)."""
        days = rule.counted_working_days()
        cutoff = ctx.calendar.subtract_working_days(ctx.now, days)
        occasion = f"{days}wd"
        ideas = ctx.uow.ideas.due_for_reminder(
            self.name, [s.value for s in self.statuses], cutoff, occasion, since=self.since
        )
        for idea in ideas:
            text = (
                f"{idea.ref} ('{idea.title}') has waited {counted(days, 'working day')} for "
                f"{self.waiting_for}."
            )
            reply = Reply(
                summary=text,
                blocks=(
                    Notice(text, "warning"),
                    Buttons((Button("Open", "idea.show", {"ref": idea.ref}),)),
                ),
            )
            yield Due(item_key=idea.ref, occasion=occasion, reply=reply, channels=("ideas_panel",))


RULES = (
    IdeaWaitingRule("idea_not_screened", (IdeaStatus.SUBMITTED,), "status", "screening"),
    IdeaWaitingRule(
        "idea_not_decided",
        (
            IdeaStatus.ELIGIBLE,
            IdeaStatus.UNDER_REVIEW,
            IdeaStatus.PROMOTED,
            IdeaStatus.AWAITING_SPONSOR,  # the panel chases a sponsor who has not answered
        ),
        "created",
        "a decision",
    ),
)
