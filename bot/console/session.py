"""The console session: slash commands as on Slack, forms as prompts, buttons as numbers.

It reads one line at a time, so it works the same typed at a terminal or piped from a file.
Each line is one unit of work; after each, the clock ticks (reminders) and the outbox is
delivered to the console's inboxes, and anything new for anyone is announced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot.app import QIHub
from bot.console.platform import ConsolePlatform
from handlers import dispatch
from handlers.clock import ShiftedClock, parse_duration
from handlers.context import SYSTEM, Context, actor_for
from handlers.forms import FieldError, as_raw, clean_field
from handlers.guard import PatientDataGuard
from handlers.outbox.sender import OutboxSender
from handlers.reminders import tick
from messages.text import clean, error_summary, field_prompt, form_header, render_reply
from messages.view import (
    Button,
    Form,
    FormErrors,
    OpenForm,
    Reply,
    Response,
    about_form,
    form_to_show,
)

CONSOLE_HELP = """\
Console commands:
  /who                 everyone you can act as, with their roles
  /as <email or name>  act as someone else (a unique prefix is enough)
  /inbox [who] [all]   your new messages; or someone's (email, name or #channel)
  /clock [+3d|+2h|+30m|+1w]  show the time, or move it forward to watch reminders
  /help                this help, then what QI Hub offers you
  /quit                leave (Ctrl-D works too)
  <number>             press the button shown with that number"""


@dataclass
class FormFill:
    form: Form
    values: dict[str, Any]
    context: dict[str, str]
    queue: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    summarised: set[str] = field(default_factory=set)
    """Fields whose problem was just listed with the others: not repeated when asked again."""


class ConsoleSession:
    def __init__(
        self,
        app: QIHub,
        clock: ShiftedClock,
        platform: ConsolePlatform,
        out: TextIO,
        as_email: str,
    ) -> None:
        self.app = app
        self.clock = clock
        self.platform = platform
        self.out = out
        self.email = as_email
        self.buttons: list[Button] = []
        self.form: FormFill | None = None
        self.confirming: Button | None = None
        """A destructive button pressed and not yet confirmed (the next line answers y/N)."""
        self.sender = OutboxSender(app.uow_factory, [platform], app.config, clock, worker="console")

    # ------------------------------------------------------------------ output
    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def show(self, reply: Reply) -> None:
        rendered = render_reply(reply)
        self.say(rendered.text)
        self.buttons = rendered.buttons

    def prompt(self) -> str:
        local = self.app.services.calendar.local(self.clock.now())
        who = self.email.split("@", 1)[0]
        if self.form is not None:
            return f"[{self.form.form.title}] > "
        if self.confirming is not None:
            return "(y/N) > "
        return f"[{local:%a %d %b %H:%M}] {who}> "

    # ------------------------------------------------------------------ start
    def start(self) -> None:
        org = self.app.config.organisation
        self.say(f"QI Hub console · {org.name}")
        self.say(
            "Type /help for commands, /who to see who you can be. Nothing here needs "
            "Slack or Teams."
        )
        self._announce_identity()

    def _announce_identity(self) -> None:
        with self.app.uow_factory() as uow:
            staff = uow.staff.by_email(self.email)
            if staff is None:
                self.say(
                    f"(!) {self.email} is not in the directory: you can look around, "
                    "but QI Hub will not act for you. Try /who."
                )
                return
            actor = actor_for(uow, staff)
        roles = sorted(r.replace("_", " ") for r in actor.roles if ":" not in r)
        unread = self.platform.unread(self.email)
        self.say(f"You are {actor.name} <{actor.email}> · roles: {', '.join(roles)}")
        if unread:
            self.say(f"You have {unread} new message{'s' if unread != 1 else ''}: /inbox")

    # ------------------------------------------------------------------ input
    def handle_line(self, line: str) -> bool:
        """Process one line of input; False when the person asked to leave."""
        text = line.strip()
        if self.form is not None:
            self._answer(text)
            return True
        if self.confirming is not None:
            self._confirm(text)
            return True
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        if text.isdigit():
            self._press(int(text))
        elif text.startswith("/press "):
            self._press(int(text.split()[1]) if text.split()[1].isdigit() else 0)
        elif text == "/who":
            self._who()
        elif text.startswith("/as"):
            self._switch(text[3:].strip())
        elif text.startswith("/inbox"):
            self._inbox(text[6:].strip())
        elif text.startswith("/clock"):
            self._clock(text[6:].strip())
        elif text == "/help":
            self.say(CONSOLE_HELP)
            self.say()
            self._run(lambda ctx: dispatch.run_command(ctx, "/qi help"))
        elif text.startswith("/"):
            self._run(lambda ctx: dispatch.run_command(ctx, text))
        else:
            self.say("Commands start with / (try /help). Type a number to press a button.")
        return True

    # ------------------------------------------------------------------ core calls
    def _run(self, call: Callable[[Context], Response]) -> None:
        response = self.app.interact(self.email, "console", call)
        self._respond(response)
        if not isinstance(response, OpenForm):  # nothing changed yet: tick after the submit
            self._after()

    def _respond(self, response: Response) -> None:
        match response:
            case Reply():
                self.show(response)
            case OpenForm():
                self._open_form(response)
            case FormErrors():  # only from a submit; handled in _submit
                self.say("(x) " + "; ".join(response.errors.values()))

    def _after(self) -> None:
        """Tick the reminder rules, deliver the outbox, announce what arrived for whom."""
        with self.app.uow_factory() as uow:
            tick(Context(self.app.services, uow, SYSTEM, "console"), self.app.rules)
            uow.commit()
        self.sender.drain()
        for key, reply in self.platform.take_fresh():
            who = "you" if key == self.email else self.platform.names.get(key, key)
            label = who if key.startswith("#") or key == self.email else f"{who} <{key}>"
            self.say(f"  >> new for {label}: {clean(reply.summary)}")

    def _press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.say("(!) No button with that number here. Buttons are numbered [1], [2]…")
            return
        button = self.buttons[number - 1]
        if button.confirm:
            self.confirming = button
            self.say(f"(?) {clean(button.confirm)} Type y to go on; anything else leaves it.")
            return
        self._run(lambda ctx: dispatch.press(ctx, button.action, button.value))

    def _confirm(self, answer: str) -> None:
        """The y/N answer to a destructive button's question: only yes presses it."""
        button, self.confirming = self.confirming, None
        assert button is not None
        if answer.lower() in ("y", "yes"):
            self._run(lambda ctx: dispatch.press(ctx, button.action, button.value))
        else:
            self.say("Nothing was done.")

    # ------------------------------------------------------------------ forms
    def _open_form(self, request: OpenForm) -> None:
        spec = self.app.services.registry.forms.get(request.form_id)
        if spec is None:
            self.say("(x) That form is not available.")
            return
        form = about_form(spec.form, request.about)
        values: dict[str, Any] = {f.name: f.default for f in form.fields if f.default is not None}
        values.update(request.values)
        self.form = FormFill(
            form, values, dict(request.context), [f.name for f in form.fields], dict(request.errors)
        )
        self.say(form_header(form))
        self._ask()

    def _ask(self) -> None:
        assert self.form is not None
        name = self.form.queue[0]
        form_field = self.form.form.field(name)
        error = None if name in self.form.summarised else self.form.errors.get(name)
        self.say(field_prompt(form_field, self.form.values.get(name), error))

    def _guard(self) -> PatientDataGuard:
        local = self.app.services.calendar.local(self.clock.now())
        return PatientDataGuard(self.app.config.patient_data.hospital_number_pattern, local.year)

    def _answer(self, text: str) -> None:
        fill = self.form
        assert fill is not None
        if text == "/cancel":
            self.form = None
            self.say("Cancelled. Nothing was saved.")
            return
        if text.startswith("/") and text[1:2].isalpha():
            self.say(
                f"(!) You are filling in '{fill.form.title}': answer the question, or "
                "/cancel to leave the form first."
            )
            self._ask()
            return
        name = fill.queue[0]
        form_field = fill.form.field(name)
        if text == "-":
            raw: Any = None
        elif text == "":
            raw = fill.values.get(name)
        else:
            raw = text.replace("\\n", "\n")
        try:
            value = clean_field(form_field, raw, self._guard())
        except FieldError as exc:
            fill.errors[name] = str(exc)
            fill.summarised.discard(name)
            self._ask()
            return
        fill.values[name] = as_raw(form_field, value)
        fill.errors.pop(name, None)
        fill.summarised.discard(name)
        fill.queue.pop(0)
        if fill.queue:
            self._ask()
        else:
            self._submit()

    def _submit(self) -> None:
        fill = self.form
        assert fill is not None
        response = self.app.interact(
            self.email,
            "console",
            lambda ctx: dispatch.submit_form(ctx, fill.form.id, fill.values, fill.context),
        )
        if isinstance(response, FormErrors):
            fill.form = form_to_show(fill.form, fill.values, response.errors)
            fill.errors = dict(response.errors)
            fill.queue = [f.name for f in fill.form.fields if f.name in fill.errors]
            if not fill.queue:  # errors on no known field: nothing to re-ask
                self.form = None
                self.say("(x) " + "; ".join(response.errors.values()))
                return
            self._report_errors(fill)
            self._ask()
            return
        self.form = None
        self._respond(response)
        self._after()

    def _report_errors(self, fill: FormFill) -> None:
        """Every problem at once; then the questions are asked again in order, without
        repeating the problem under each."""
        self.say(error_summary([(fill.form.field(n).label, fill.errors[n]) for n in fill.queue]))
        fill.summarised = set(fill.queue)

    # ------------------------------------------------------------------ console commands
    def _who(self) -> None:
        with self.app.uow_factory() as uow:
            people = [actor_for(uow, s) for s in uow.staff.all_active()]
        self.say("People you can act as (/as <email>):")
        for actor in people:
            marker = "*" if actor.email == self.email else " "
            roles = sorted(
                r.replace("_", " ") for r in actor.roles if r != "staff" and ":" not in r
            )
            role_text = f" · {', '.join(roles)}" if roles else ""
            self.say(f" {marker} {actor.name:<15} {actor.email}{role_text}")

    def _match_person(self, text: str) -> str | None:
        wanted = text.strip().lower()
        with self.app.uow_factory() as uow:
            people = [(s.email, s.display_name.lower()) for s in uow.staff.all_active()]
        exact = [e for e, _ in people if e == wanted]
        if exact:
            return exact[0]
        hits = [e for e, n in people if e.startswith(wanted) or n.startswith(wanted)]
        return hits[0] if len(hits) == 1 else None

    def _switch(self, text: str) -> None:
        if not text:
            self.say("Usage: /as <email or name>. /who lists people.")
            return
        email = self._match_person(text)
        if email is None:
            if "@" in text:
                email = text.strip().lower()
            else:
                self.say(f"(!) No single person matches {text!r}. /who lists people.")
                return
        self.email = email
        self.buttons = []
        self._announce_identity()

    def _inbox(self, text: str) -> None:
        words = text.split()
        show_all = "all" in words
        words = [w for w in words if w != "all"]
        key = self._inbox_key(words[0]) if words else self.email
        entries = self.platform.inboxes.get(key, [])
        label = (
            "Your inbox" if key == self.email else f"Inbox of {self.platform.names.get(key, key)}"
        )
        chosen = entries if show_all else [e for e in entries if not e.read]
        if not chosen:
            self.say(
                f"{label}: no new messages ({len(entries)} in all; /inbox "
                f"{'' if key == self.email else key + ' '}all shows them)."
            )
            return
        self.say(f"{label}: {len(chosen)} message{'s' if len(chosen) != 1 else ''}")
        buttons: list[Button] = []
        for entry in chosen:
            when = self.app.services.calendar.local(entry.at)
            self.say(f"--- {when:%a %d %b %H:%M} ---")
            rendered = render_reply(entry.reply, numbered_from=len(buttons))
            self.say(rendered.text)
            buttons.extend(rendered.buttons)
            entry.read = True
        self.buttons = buttons

    def _inbox_key(self, target: str) -> str:
        """An inbox by channel key or name (with or without #), or by person."""
        bare = target.lstrip("#").lower()
        for key, channel in self.app.config.channels.items():
            if bare in (key.lower(), channel.name.lower()):
                return f"#{channel.name}"
        if target.startswith("#"):
            return target
        return self._match_person(target) or target

    def _clock(self, text: str) -> None:
        if text:
            try:
                delta = parse_duration(text)
            except ValueError as exc:
                self.say(f"(!) {exc}")
                return
            self.clock.advance(delta)
        local = self.app.services.calendar.local(self.clock.now())
        self.say(f"It is now {local:%A %d %B %Y %H:%M} ({self.app.config.organisation.timezone}).")
        if text:
            self._after()
