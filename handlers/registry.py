"""The one registry of commands, forms and button actions, declared as data.

Every adapter (console, Slack, Teams) walks this registry: the console's prompts, Slack's slash
commands and modals and Teams' command menu and dialogs are all generated from it. A test drives
every entry on every platform, which is what keeps "defined once" true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from messages.view import Block, Form, Response

CHECKED_IN_HANDLERS = frozenset(
    {"idea.see_confidential", "lesson.see_confidential", "lesson.read_untriaged"}
)
"""Permissions a handler checks itself (what a reader may see), not through a command, form or
button; tests/test_config.py finds each in the code."""

if TYPE_CHECKING:
    from handlers.context import Context
    from handlers.digest.data import SectionContributor


@dataclass(frozen=True)
class Invocation:
    """A typed command: `/idea status IDEA-2026-0001` is command "idea", sub "status", args."""

    command: str
    sub: str
    args: str


@dataclass(frozen=True)
class Submission:
    """A submitted form: validated values plus the hidden context the form was opened with."""

    form_id: str
    values: Mapping[str, Any]
    context: Mapping[str, str]


@dataclass(frozen=True)
class Press:
    """A button press: the action id and the button's value."""

    action: str
    value: Mapping[str, str]


CommandHandler = Callable[["Context", Invocation], Response]
SubmitHandler = Callable[["Context", Submission], Response]
ActionHandler = Callable[["Context", Press], Response]


@dataclass(frozen=True, kw_only=True)
class Subcommand:
    """One subcommand of a slash command. Built with keywords only: four of its fields are
    strings in a row, and a usage swapped with a summary would still type-check."""

    name: str
    """"" for the bare command (`/idea`)."""
    usage: str
    summary: str
    permission: str
    handler: CommandHandler
    example_args: str = ""
    """Arguments a test (and the help text) can use to exercise this subcommand."""


@dataclass(frozen=True)
class Command:
    name: str
    summary: str
    subcommands: tuple[Subcommand, ...]

    def find(self, sub: str) -> Subcommand | None:
        return next((s for s in self.subcommands if s.name == sub), None)


@dataclass(frozen=True)
class FormSpec:
    form: Form
    permission: str
    on_submit: SubmitHandler


@dataclass(frozen=True)
class ActionSpec:
    id: str
    permission: str
    handler: ActionHandler


@dataclass(frozen=True)
class CardView:
    """A record drawn for one viewer, with only the buttons they may use now."""

    blocks: tuple[Block, ...]
    hidden: frozenset[int] = frozenset()
    """People this viewer may not be told acted (a confidential or anonymous submitter)."""


CardRender = Callable[["Context", str, bool], CardView | None]
"""(the viewer's context, the record's reference, drawn for a shared place such as a channel)
-> the card as it is now; None when there is nothing this viewer may be shown."""


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)
    forms: dict[str, FormSpec] = field(default_factory=dict)
    actions: dict[str, ActionSpec] = field(default_factory=dict)
    digest_sections: list[SectionContributor] = field(default_factory=list)
    """Sections other capabilities add to the committees' weekly digest (critical alerts)."""
    cards: dict[str, CardRender] = field(default_factory=dict)
    """How each kind of record with buttons is drawn again when it changes (handlers/cards.py),
    by audit entity type ("idea", "lesson", "action", "alert")."""

    def add_command(self, command: Command) -> None:
        self._unique(self.commands, command.name, "command")
        self.commands[command.name] = command

    def add_form(self, spec: FormSpec) -> None:
        self._unique(self.forms, spec.form.id, "form")
        self.forms[spec.form.id] = spec

    def add_action(self, spec: ActionSpec) -> None:
        self._unique(self.actions, spec.id, "action")
        self.actions[spec.id] = spec

    def add_digest_section(self, contributor: SectionContributor) -> None:
        self.digest_sections.append(contributor)

    def permissions(self) -> set[str]:
        """Every permission the code relies on: config check warns about missing ones and
        refuses a granted one that is not among them (a typo)."""
        names = {s.permission for c in self.commands.values() for s in c.subcommands}
        names |= {f.permission for f in self.forms.values()}
        names |= {a.permission for a in self.actions.values()}
        return names | CHECKED_IN_HANDLERS

    @staticmethod
    def _unique(table: Mapping[str, object], key: str, what: str) -> None:
        if key in table:
            raise ValueError(f"{what} {key!r} is registered twice")


def parse_invocation(text: str, registry: Registry) -> Invocation | None:
    """Split "/idea status IDEA-1" (slash optional) into an Invocation, or None if unknown."""
    words = text.strip().lstrip("/").split(maxsplit=1)
    if not words:
        return None
    name = words[0].lower()
    command = registry.commands.get(name)
    if command is None:
        return None
    rest = words[1] if len(words) > 1 else ""
    parts = rest.split(maxsplit=1)
    if parts and command.find(parts[0].lower()) is not None and parts[0].lower() != "":
        return Invocation(name, parts[0].lower(), parts[1] if len(parts) > 1 else "")
    return Invocation(name, "", rest)


def as_typed_command(text: str, registry: Registry) -> str:
    """What someone typed in a chat with the bot ("idea", "qi mine", "/lesson …"), as the
    command to run; anything that names no command becomes "/qi help", so a greeting or a typo
    gets the list of what QI Hub can do rather than an error."""
    text = text.strip()
    words = text.lstrip("/").split(maxsplit=1)
    if not words or words[0].lower() not in registry.commands:
        return "/qi help"
    return text if text.startswith("/") else "/" + text
