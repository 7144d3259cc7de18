"""The neutral view model: what handlers say, never how a platform draws it.

Every string here is *plain text*. Renderers escape all of it for their platform and add
formatting only from the structure (a Heading is bold, a Fact's label is emphasised), so user
text can never smuggle in a mention, a broadcast or a disguised link.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import TypeAdapter

Tone = Literal["info", "success", "warning", "error"]
ButtonStyle = Literal["primary", "danger", "default"]


@dataclass(frozen=True)
class Heading:
    text: str
    type: Literal["heading"] = "heading"


@dataclass(frozen=True)
class Text:
    text: str
    muted: bool = False
    type: Literal["text"] = "text"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Facts:
    facts: tuple[Fact, ...]
    type: Literal["facts"] = "facts"


@dataclass(frozen=True)
class Notice:
    text: str
    tone: Tone = "info"
    type: Literal["notice"] = "notice"


@dataclass(frozen=True)
class Button:
    label: str
    action: str
    value: Mapping[str, str] = field(default_factory=dict)
    style: ButtonStyle = "default"
    confirm: str = ""
    """A destructive choice's question ("Cancel ACT-2026-0001? …"): every platform asks it
    and acts only on yes. Such buttons come last (handlers/button_order.py)."""


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]
    type: Literal["buttons"] = "buttons"


@dataclass(frozen=True)
class Item:
    """One line of a list: a titled thing with an optional reference, detail and buttons."""

    title: str
    ref: str = ""
    detail: str = ""
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Items:
    items: tuple[Item, ...]
    empty_text: str = "Nothing to show."
    type: Literal["items"] = "items"


@dataclass(frozen=True)
class Divider:
    type: Literal["divider"] = "divider"


@dataclass(frozen=True)
class SmallPrint:
    """Small print under a message: timestamps, references, how to follow up.

    Its serialised tag stays "context" (Slack's name for such a block), so replies already
    queued in the outbox read back unchanged."""

    text: str
    type: Literal["context"] = "context"


@dataclass(frozen=True)
class Image:
    """A picture at `url` (a chart of aggregate figures, never anything personal).

    `alt` says in words everything the picture shows: screen readers read it, and renderers
    that cannot show pictures (the console, a platform that could not fetch the image) print
    it instead, so nothing is lost without the picture."""

    url: str
    alt: str
    title: str = ""
    type: Literal["image"] = "image"


Block = Heading | Text | Facts | Notice | Buttons | Items | Divider | SmallPrint | Image


@dataclass(frozen=True)
class Reply:
    """A message. `summary` is the one-line plain text used for notifications and fallbacks."""

    summary: str
    blocks: tuple[Block, ...] = ()
    replace_original: bool = False
    ephemeral: bool = False
    secret: bool = False
    """It holds a credential (a sign-in link): shown to the person alone, never where others
    can read it (on Teams, which has no private replies in a channel, only in the personal
    chat)."""


class FieldKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    MULTI_CHOICE = "multi_choice"
    DATE = "date"
    EMAIL = "email"
    EMAILS = "emails"
    REF = "ref"
    BOOL = "bool"
    MONEY = "money"
    """An amount in whole pounds (£12,500), typed as text on every platform."""


FREE_TEXT_KINDS = frozenset({FieldKind.TEXT, FieldKind.LONG_TEXT})


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One form input, declared once and drawn by every platform (modal, card, console prompt)."""

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    help: str = ""
    placeholder: str = ""
    max_length: int | None = None
    min_length: int | None = None
    choices: tuple[Choice, ...] = ()
    default: str | None = None

    @property
    def is_free_text(self) -> bool:
        return self.kind in FREE_TEXT_KINDS

    def choice_label(self, value: str) -> str:
        return next((c.label for c in self.choices if c.value == value), value)

    @property
    def missing_message(self) -> str:
        """What a required field left empty says, on every platform: a check box is ticked,
        a choice made, a question answered ("Please answer: What is the problem?")."""
        if self.kind is FieldKind.BOOL:
            return f"Please tick: {self.label}"
        if self.kind in (FieldKind.CHOICE, FieldKind.MULTI_CHOICE):
            return f"Please choose: {self.label}"
        return f"Please answer: {self.label}"


@dataclass(frozen=True)
class Form:
    id: str
    title: str
    submit_label: str
    fields: tuple[Field, ...]
    intro: str = ""

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


FormValue = str | list[str] | bool | date | None


@dataclass(frozen=True)
class OpenForm:
    """Ask the platform to show a form, pre-filled; `context` comes back with the submission."""

    form_id: str
    values: Mapping[str, Any] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    about: str = ""
    """The record the form acts on ("IDEA-2026-0001: Colour-coded flush labels"), shown first
    in the form's introduction on every platform (see `about_form`)."""


def about_form(form: Form, about: str) -> Form:
    """`form` introduced by the record it acts on, so a decision never names the wrong idea."""
    if not about:
        return form
    return replace(form, intro=f"{about}\n{form.intro}" if form.intro else about)


@dataclass(frozen=True)
class FormErrors:
    """Field errors after a submit: the platform re-shows the form with the input kept."""

    errors: Mapping[str, str]


CONFIRM_NOT_PATIENT = Field(
    "confirm_not_patient",
    "I confirm this does not identify a patient",
    FieldKind.BOOL,
    required=True,
    help="The text above seems to name a person. Confirm only if that person is not a patient.",
)
"""Asked for only after the patient-data guard warned about a name (handlers.forms): a form
shows it once FormErrors name it, never up front, so nobody ticks it out of habit."""


def with_confirmation(form: Form) -> Form:
    """`form` with the not-a-patient confirmation as its last field (once)."""
    if any(f.name == CONFIRM_NOT_PATIENT.name for f in form.fields):
        return form
    return Form(
        form.id, form.title, form.submit_label, (*form.fields, CONFIRM_NOT_PATIENT), form.intro
    )


def form_to_show(form: Form, values: Mapping[str, Any], errors: Mapping[str, str]) -> Form:
    """The form to draw again after a submit: with the confirmation when the errors ask for it
    or it was already ticked (so a later error does not lose the tick)."""
    name = CONFIRM_NOT_PATIENT.name
    if name in errors or values.get(name) in (True, "yes", "true"):
        return with_confirmation(form)
    return form


Response = Reply | OpenForm | FormErrors

_REPLY = TypeAdapter(Reply)


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for the outbox (JSON-safe)."""
    data: dict[str, Any] = _REPLY.dump_python(reply, mode="json")
    return data


def reply_from_payload(data: Mapping[str, Any]) -> Reply:
    return _REPLY.validate_python(data)


def without_images(reply: Reply) -> Reply:
    """`reply` with each picture replaced by its words: for a platform that could not fetch
    one (Slack refuses a whole message whose image it cannot download)."""
    blocks = tuple(
        Text(f"{b.title}: {b.alt}" if b.title else b.alt, muted=True) if isinstance(b, Image) else b
        for b in reply.blocks
    )
    return replace(reply, blocks=blocks)


def all_text(reply: Reply) -> list[str]:
    """Every user-visible string in a reply (used by tests and the privacy scanner)."""
    out = [reply.summary]
    for block in reply.blocks:
        match block:
            case Heading(text=t) | Text(text=t) | Notice(text=t) | SmallPrint(text=t):
                out.append(t)
            case Facts(facts=facts):
                out.extend(x for f in facts for x in (f.label, f.value))
            case Buttons(buttons=buttons):
                out.extend(b.label for b in buttons)
            case Image(alt=alt, title=title):
                out.extend((title, alt))
            case Items(items=items):
                for item in items:
                    out.extend([item.title, item.ref, item.detail])
                    out.extend(b.label for b in item.buttons)
    return out
