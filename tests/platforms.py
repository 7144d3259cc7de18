"""Drivers that use QI Hub the way a person would on each platform, for the every-command test.

Each driver answers one question: run this command as this person, fill any form it opens with
these values, and report what the person saw. Slack and Teams drivers join the console here.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

from bot.app import QIHub
from bot.console.platform import ConsolePlatform
from bot.console.session import ConsoleSession
from handlers.clock import ManualClock, ShiftedClock
from messages.view import Field, FieldKind, Form


@dataclass
class Outcome:
    text: str
    form_opened: str | None

    @property
    def ok(self) -> bool:
        refused = ("(x)", "can't do that", "don't know", "can't find you", "Traceback")
        return not any(mark in self.text for mark in refused)


class Driver(Protocol):
    name: str

    def run(self, email: str, command: str, answers: Mapping[str, Any] | None = None) -> Outcome:
        """Run `command`; fill any form it opens with `answers` (default: valid samples)."""
        ...


def sample_value(field: Field, today: date) -> Any:
    """A valid answer for any field, so every form can be submitted by the generic test."""
    match field.kind:
        case FieldKind.CHOICE:
            return field.default or field.choices[0].value
        case FieldKind.MULTI_CHOICE:
            return [field.choices[0].value]
        case FieldKind.DATE:
            return (today + timedelta(days=30)).isoformat()
        case FieldKind.EMAIL | FieldKind.EMAILS | FieldKind.REF:
            return None
        case FieldKind.BOOL:
            return False
        case _:
            return "A sample answer that is long enough." if field.required else None


def sample_answers(form: Form, today: date) -> dict[str, Any]:
    return {f.name: sample_value(f, today) for f in form.fields}


class ConsoleDriver:
    name = "console"

    def __init__(self, app: QIHub) -> None:
        self.app = app

    def _as_line(self, field: Field, value: Any) -> str:
        if value is None or value == []:
            return "-"
        if isinstance(value, list):
            return ",".join(
                str(field.choices.index(next(c for c in field.choices if c.value == v)) + 1)
                for v in value
            )
        if isinstance(value, bool):
            return "yes" if value else "no"
        return str(value)

    def run(self, email: str, command: str, answers: Mapping[str, Any] | None = None) -> Outcome:
        out = io.StringIO()
        assert isinstance(self.app.clock, ManualClock)
        clock = ShiftedClock(self.app.clock)
        session = ConsoleSession(self.app, clock, ConsolePlatform(clock), out, email)
        session.handle_line(command)
        opened = session.form.form.id if session.form else None
        if session.form is not None and answers is None:
            answers = sample_answers(session.form.form, self.app.clock.now().date())
        answers = answers or {}
        guard = 0
        while session.form is not None and guard < 50:
            field = session.form.form.field(session.form.queue[0])
            session.handle_line(self._as_line(field, answers.get(field.name)))
            guard += 1
        return Outcome(out.getvalue(), opened)
