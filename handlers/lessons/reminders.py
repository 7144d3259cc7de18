"""Lesson reminder rule: not triaged after 5 working days (config) → its governance leads."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from handlers import people
from handlers.config import Rule
from handlers.context import Context
from handlers.lessons.lifecycle import LessonStatus
from handlers.reminders import Due
from messages.templates import counted
from messages.view import Button, Buttons, Notice, Reply


@dataclass(frozen=True)
class NotTriaged:
    name: str = "lesson_not_triaged"
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        days = rule.counted_working_days()
        before = ctx.calendar.subtract_working_days(ctx.now, days)
        after = ctx.calendar.subtract_working_days(since, days) if since else None
        occasion = f"{days}wd"
        for lesson in ctx.uow.lessons.due_for_reminder(
            self.name, LessonStatus.SUBMITTED.value, before, occasion, after=after
        ):
            waited = counted(days, "working day")
            text = f"{lesson.ref} ('{lesson.title}') has waited {waited} for triage."
            reply = Reply(
                text,
                (
                    Notice(text, "warning"),
                    Buttons((Button("Open", "lesson.show", {"ref": lesson.ref}),)),
                ),
            )
            yield Due(
                lesson.ref,
                occasion,
                reply,
                people=tuple(people.governance_leads(ctx, lesson.committee)),
            )


RULES = (NotTriaged(),)
