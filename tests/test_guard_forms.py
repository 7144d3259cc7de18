"""The patient-data guard through the real form paths: the core's submission (dispatch, as
Slack and Teams reach it) and the console's prompts. A refusal names the field and stores
nothing; a name is stored only once the submitter confirms it is not a patient; neither the
refused nor the warned text reaches the logs.

The reported bypasses come from tests/test_guard.py; Slack's modal and Teams' dialog have
their own tests of the same flow (tests/slack/test_forms.py, tests/teams/test_flows.py).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping

import pytest
from sqlalchemy import func, select

from bot.console.platform import ConsolePlatform
from bot.console.session import ConsoleSession
from handlers.clock import ShiftedClock
from handlers.forms import CONFIRM_PLEASE
from messages.view import CONFIRM_NOT_PATIENT, Reply
from store.models import Lesson, OutboxMessage
from tests.harness import ALEX, LESSON, Harness, errors_of
from tests.test_guard import BYPASSES

CONFIRM = CONFIRM_NOT_PATIENT.name
NAMED = "Mrs Jane Smith in bed 4 on Ward 5, aged 67, fell on the way to the bathroom."
REFUSED = {
    **{f"NHS number, {name}": (typed, "NHS number") for name, typed in BYPASSES.items()},
    "NHS number, wrong check digit": ("9434 765 910", "shaped like an NHS number"),
    "hospital number, spaced": ("CCC 1234567", "hospital number"),
    "hospital number, split": ("CCC-123 4567", "hospital number"),
    "hospital number, lower case": ("ccc1234567", "hospital number"),
}


def stored(hub: Harness) -> tuple[int, int]:
    """(lessons, outbox messages): what a refused or unconfirmed submission must not leave."""
    with hub.app.uow_factory() as uow:
        lessons = uow.session.scalar(select(func.count()).select_from(Lesson))
        outbox = uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    return int(lessons or 0), int(outbox or 0)


# ---------------------------------------------------------------- the core's submission path


def test_every_bypass_is_refused_naming_the_field_and_nothing_is_stored(
    hub: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    opened = hub.command(ALEX, "/lesson")
    for case, (typed, words) in REFUSED.items():
        text = f"Patient {typed} fell"
        errors = errors_of(hub.fill(ALEX, opened, {**LESSON, "what_happened": text}))
        assert list(errors) == ["what_happened"], case
        assert errors["what_happened"].startswith("What happened? seems to contain "), case
        assert words in errors["what_happened"], case
        assert typed not in errors["what_happened"], case
        # A title is one line: the same text there is refused too, after newlines collapse.
        errors = errors_of(hub.fill(ALEX, opened, {**LESSON, "title": f"Fall {typed}"}))
        assert list(errors) == ["title"], case
    assert stored(hub) == (0, 0)
    for typed, _ in REFUSED.values():
        assert typed not in caplog.text
    assert "5919" not in caplog.text and "1234567" not in caplog.text


def test_a_name_is_stored_only_after_the_confirmation(
    hub: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    opened = hub.command(ALEX, "/lesson")
    answers = {**LESSON, "what_happened": NAMED}
    errors = errors_of(hub.fill(ALEX, opened, answers))
    assert set(errors) == {"what_happened", CONFIRM}
    assert errors["what_happened"].startswith("What happened? seems to name a person")
    assert errors[CONFIRM] == CONFIRM_PLEASE
    assert stored(hub) == (0, 0)
    errors = errors_of(hub.fill(ALEX, opened, {**answers, CONFIRM: False}))
    assert set(errors) == {"what_happened", CONFIRM}
    assert stored(hub) == (0, 0)

    confirmed = hub.fill(ALEX, opened, {**answers, CONFIRM: True})
    assert isinstance(confirmed, Reply), confirmed
    with hub.app.uow_factory() as uow:
        lesson = uow.session.scalars(select(Lesson)).one()
        assert lesson.what_happened == NAMED
    assert "Smith" not in caplog.text


# ---------------------------------------------------------------- the console's prompts


def console(hub: Harness) -> tuple[ConsoleSession, io.StringIO]:
    out = io.StringIO()
    clock = ShiftedClock(hub.clock)
    return ConsoleSession(hub.app, clock, ConsolePlatform(clock), out, ALEX), out


def as_line(value: object) -> str:
    """How a person types an answer at the console prompt (a line break as \\n)."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list):
        return ",".join(value)
    return str(value).replace("\r\n", "\\n").replace("\n", "\\n")


def answer(session: ConsoleSession, answers: Mapping[str, object]) -> str | None:
    """Answer each question the open form asks until it is done (None) or something is
    refused or warned about: then the field asked about again."""
    for _ in range(40):
        if session.form is None:
            return None
        session.handle_line(as_line(answers.get(session.form.queue[0])))
        if session.form is not None and session.form.errors:
            return session.form.queue[0]
    raise AssertionError("the form never finished")


def test_every_bypass_is_refused_at_the_console_prompt(hub: Harness) -> None:
    for case, (typed, words) in REFUSED.items():
        session, out = console(hub)
        session.handle_line("/lesson")
        refused = answer(session, {**LESSON, "what_happened": f"Patient {typed} fell"})
        assert refused == "what_happened", case
        shown = out.getvalue()
        assert "(x) What happened? seems to contain" in shown, case
        assert words in shown, case
        session.handle_line("/cancel")
    assert stored(hub) == (0, 0)


def test_the_console_asks_for_the_confirmation_then_stores(hub: Harness) -> None:
    session, out = console(hub)
    session.handle_line("/lesson")
    assert answer(session, {**LESSON, "what_happened": NAMED}) == "what_happened"
    assert session.form is not None  # not refused as typed, but back after the submit
    assert session.form.queue == ["what_happened", CONFIRM]
    shown = out.getvalue()
    assert "(x) Please check these 2 answers (everything else is kept):" in shown
    assert "  - I confirm this does not identify a patient: Please confirm" in shown
    assert "What happened? seems to name a person" in shown
    assert "current: Mrs Jane Smith" in shown  # the draft is kept, not lost
    assert stored(hub) == (0, 0)

    session.handle_line("")  # Enter keeps the text
    assert session.form.queue == [CONFIRM]
    assert "I confirm this does not identify a patient (required)" in out.getvalue()
    session.handle_line("no")
    assert session.form is not None and session.form.queue == ["what_happened", CONFIRM]
    assert stored(hub) == (0, 0)
    session.handle_line("")
    session.handle_line("yes")
    assert session.form is None
    assert "Thank you" in out.getvalue()
    with hub.app.uow_factory() as uow:
        assert uow.session.scalars(select(Lesson.what_happened)).one() == NAMED
