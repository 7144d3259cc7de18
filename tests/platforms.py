"""Drivers that use QI Hub the way a person would on each platform, for the every-command test.

Each driver answers one question: run this command as this person, fill any form it opens with
these values, and report what the person saw. Slack and Teams drivers join the console here.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.app import QIHub
from bot.console.platform import ConsolePlatform
from bot.console.session import ConsoleSession
from handlers.clock import ManualClock, ShiftedClock
from messages import blockkit
from messages.text import _TONE_MARK
from messages.view import Field, FieldKind, Form

if TYPE_CHECKING:
    from tests.slack.conftest import SlackHarness
    from tests.teams.inbound import TeamsHarness


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


SPONSOR = "ruth.green@clatterbridge.example"


def sample_value(field: Field, today: date) -> Any:
    """A valid answer for any field, so every form can be submitted by the generic test."""
    match field.kind:
        case FieldKind.CHOICE:
            return field.default or field.choices[0].value
        case FieldKind.MULTI_CHOICE:
            return [field.choices[0].value]
        case FieldKind.DATE:
            return (today + timedelta(days=30)).isoformat()
        case FieldKind.EMAIL if field.required:
            return SPONSOR  # the one required email (a Big Idea's sponsor): not the submitter
        case FieldKind.EMAIL | FieldKind.EMAILS | FieldKind.REF | FieldKind.MONEY:
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


class SlackDriver:
    """Slack as a person uses it: a signed slash command to the live app, the modal it opens
    filled with the sample answers and submitted, and what came back to that person (the
    response_url replies, their DMs, the messages updated for them) read from the fake Web API."""

    name = "slack"
    WAIT = 5.0

    def __init__(self, slack: SlackHarness) -> None:
        self.slack = slack

    def run(self, email: str, command: str, answers: Mapping[str, Any] | None = None) -> Outcome:
        from tests.slack import kit

        user = kit.slack_user(self.slack, email)
        start = kit.mark(self.slack)
        name, _, text = command.partition(" ")
        response = self.slack.command(user, name, text)
        if response.status_code != 200:
            return Outcome(f"(x) HTTP {response.status_code}: {response.text}", None)
        first = self.slack.wait(
            lambda: (
                kit.calls(self.slack, "views.open", start)
                or kit.calls(self.slack, "response_url", start)
            ),
            self.WAIT,
        )[0]
        lines: list[str] = []
        opened = None
        view = first.get("view")
        while view is not None:
            opened = opened or view["callback_id"]
            form = self.slack.hub.services.registry.forms[view["callback_id"]].form
            filled = (
                answers
                if answers is not None
                else sample_answers(form, self.slack.hub.clock.now().date())
            )
            since = kit.mark(self.slack)
            ack = kit.submit(self.slack, user, view, filled)
            body = ack.json() if ack.content else {}
            view = None
            if body.get("response_action") == "errors":
                lines.append("(x) " + "; ".join(body["errors"].values()))
            elif body.get("response_action") == "update":
                view = body["view"]  # the next step of a multi-step form
            else:
                self._wait_for_answer(user, since)
        with self.slack.fake._lock:
            recorded = list(self.slack.fake.calls[start:])
        seen = [
            c.params
            for c in recorded
            if c.method in ("response_url", "chat.update")
            or (c.method == "chat.postMessage" and c.params.get("channel") == user)
        ]
        lines[:0] = [self._as_text(p) for p in seen]
        return Outcome("\n".join(lines), opened)

    def _wait_for_answer(self, user: str, since: int) -> None:
        """The answer to a submission arrives after the ack, as a DM, an update or a reply at a
        response_url; other DMs (outbox notifications) may come first: wait for a verdict."""
        from tests.slack import kit

        verdicts = (":white_check_mark:", ":x:", ":warning:")

        def answered() -> bool:
            for method in ("chat.postMessage", "chat.update", "response_url"):
                for payload in kit.calls(self.slack, method, since):
                    mine = method != "chat.postMessage" or payload.get("channel") == user
                    if mine and any(v in kit.flat(payload) for v in verdicts):
                        return True
            return False

        with contextlib.suppress(AssertionError):  # the outcome then shows what arrived
            self.slack.wait(answered, self.WAIT)

    @staticmethod
    def _as_text(payload: Mapping[str, Any]) -> str:
        """A payload read as a person reads it: tones as the console marks them, unescaped."""
        from tests.slack import kit

        text = kit.flat(payload)
        for tone, emoji in blockkit.TONE_EMOJI.items():
            text = text.replace(emoji, _TONE_MARK[tone])
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


TONE_OF_STYLE = {"accent": "info", "good": "success", "warning": "warning", "attention": "error"}


def card_text(node: Any) -> str:
    """A card read as a person reads it: notices marked with the console's tone marks, text
    unescaped (the renderer backslash-escapes markdown)."""
    parts: list[str] = []

    def walk(item: Any, mark: str) -> None:
        if isinstance(item, list):
            for child in item:
                walk(child, mark)
            return
        if not isinstance(item, dict):
            return
        kind = str(item.get("type", ""))
        if kind == "Container" and item.get("style") in TONE_OF_STYLE:
            mark = _TONE_MARK[TONE_OF_STYLE[item["style"]]] + " "  # type: ignore[index]
        if kind == "TextBlock":
            parts.append(mark + str(item.get("text", "")))
            mark = ""
        elif kind == "Fact":
            parts.append(f"{item.get('title', '')} {item.get('value', '')}")
        elif kind.startswith("Action."):
            parts.append(f"[{item.get('title', '')}]")
        for key, child in item.items():
            if key not in ("data", "type") and isinstance(child, list | dict):
                walk(child, mark)

    walk(node, "")
    return "\n".join(parts).replace("\\", "")


class TeamsDriver:
    """Teams as a person uses it: the command typed in the bot's chat (signed activities to the
    live app), any form opened as a dialog, filled with the sample answers and submitted, and
    what came back to that person in their chat, read from the fake Bot Connector."""

    name = "teams"
    WAIT = 5.0

    def __init__(self, teams: TeamsHarness) -> None:
        self.teams = teams

    def run(self, email: str, command: str, answers: Mapping[str, Any] | None = None) -> Outcome:
        from tests.teams import cards

        teams = self.teams
        start = len(teams.connector.activities())
        response = teams.say(email, command.lstrip("/"))
        if response.status_code != 200:
            return Outcome(f"(x) HTTP {response.status_code}: {response.text}", None)
        first = cards.card_of(teams.replies(email, start)[0])
        lines: list[str] = []
        opened = None
        opener = [a for a in cards.actions(first) if a.get("title") == "Open the form"]
        if opener:
            data = opener[0]["data"]
            opened = data["qi_form"]
            dialog = teams.fetch(email, data).json()
            while dialog and dialog.get("task", {}).get("type") == "continue":
                card = cards.dialog_card(dialog)
                form = teams.hub.services.registry.forms[
                    next(a for a in cards.actions(card) if "qi_form" in (a.get("data") or {}))[
                        "data"
                    ]["qi_form"]
                ].form
                filled = (
                    answers
                    if answers is not None
                    else sample_answers(form, teams.hub.clock.now().date())
                )
                since = len(teams.connector.activities())
                answer = teams.submit(email, cards.fill(card, filled))
                dialog = answer.json() if answer.content else {}
                if dialog.get("task", {}).get("type") == "continue":
                    again = cards.dialog_card(dialog)
                    errors = card_text(again)
                    if "(x)" in errors:
                        lines.append(errors)
                        break
                else:
                    self._wait_for_answer(email, since)
        seen = [card_text(cards.card_of(a)) for a in teams.sent_to(email, start)]
        lines[:0] = seen
        return Outcome("\n".join(lines), opened)

    def _wait_for_answer(self, email: str, since: int) -> None:
        marks = ("(ok)", "(x)", "(!)")

        def answered() -> bool:
            from tests.teams import cards

            return any(
                any(m in card_text(cards.card_of(a)) for m in marks)
                for a in self.teams.sent_to(email, since)
            )

        with contextlib.suppress(AssertionError):
            self.teams.wait(answered, self.WAIT)
