"""The chat's neutral view model (messages/view.py) made ready for the Hub's HTML templates.

The core answers the web exactly as it answers chat: a Reply of blocks, or a form to open. This
module only decides what HTML cannot decide alone: which button is a link to a record's page
and which a POST to /hub/press carrying its sealed value, the RAG colour at the head of an
action's line (shown as an NHS tag), and how a form's fields are drawn and read back from a
browser's POST. Every string stays plain text: the templates escape all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from handlers.actions.lifecycle import RAG_LABELS, Rag
from handlers.forms import as_raw
from handlers.lessons.links import LESSON_PATHS
from messages.view import (
    Block,
    Button,
    Buttons,
    Facts,
    Field,
    FieldKind,
    Form,
    Heading,
    Item,
    Items,
    Reply,
)

RECORD_PAGES = {
    "lesson.show": LESSON_PATHS,
    "idea.show": "/hub/ideas/{ref}",  # bot/hub_ideas.py (its converter takes only idea refs)
}
"""Buttons that only show a record, drawn as links to the record's own page (which checks who
may read it, as the chat's Open does). Every other button is pressed through /hub/press."""

RADIOS_UP_TO = 8
"""A choice with this many options or fewer is radios; more is a select."""
DATE_PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class WebButton:
    label: str
    style: str
    action: str
    value: str
    """The sealed value as JSON, posted back unchanged (an edited one is refused by the core)."""
    confirm: str
    href: str = ""


@dataclass(frozen=True)
class WebItem:
    title: str
    ref: str
    detail: str
    rag: str
    rag_text: str
    buttons: tuple[WebButton, ...]


@dataclass(frozen=True)
class WebButtons:
    buttons: tuple[WebButton, ...]
    type: str = "buttons"


@dataclass(frozen=True)
class WebFacts:
    rows: tuple[dict[str, dict[str, str]], ...]
    """The NHS summary list's rows: {"key": {"text": label}, "value": {"text": value}}."""
    type: str = "facts"


@dataclass(frozen=True)
class WebItems:
    items: tuple[WebItem, ...]
    empty_text: str
    type: str = "items"


def web_button(button: Button) -> WebButton:
    page = RECORD_PAGES.get(button.action)
    ref = button.value.get("ref", "")
    href = page.format(ref=quote(ref, safe="")) if page and ref else ""
    value = json.dumps(dict(button.value), separators=(",", ":"), ensure_ascii=False)
    return WebButton(button.label, button.style, button.action, value, button.confirm, href)


RAG_MARKS = {rag.value.upper(): rag for rag in Rag}


def web_item(item: Item) -> WebItem:
    """An item; an action's line starts with its RAG mark ("RED · tier 1 · …"), shown as a tag
    that says the status in words, and the rest of the line as the detail."""
    mark, _, rest = item.detail.partition(" · ")
    rag = RAG_MARKS.get(mark)
    buttons = tuple(web_button(b) for b in item.buttons)
    if rag is None or not rest:
        return WebItem(item.title, item.ref, item.detail, "", "", buttons)
    return WebItem(item.title, item.ref, rest, rag.value, RAG_LABELS[rag], buttons)


def web_blocks(blocks: Sequence[Block]) -> list[Any]:
    """The blocks as the templates draw them (web/blocks.html)."""
    out: list[Any] = []
    for block in blocks:
        match block:
            case Buttons(buttons=buttons):
                out.append(WebButtons(tuple(web_button(b) for b in buttons)))
            case Facts(facts=facts):
                rows = ({"key": {"text": f.label}, "value": {"text": f.value}} for f in facts)
                out.append(WebFacts(tuple(rows)))
            case Items(items=items, empty_text=empty):
                out.append(WebItems(tuple(web_item(i) for i in items), empty))
            case _:
                out.append(block)
    return out


def headline(reply: Reply) -> tuple[str, list[Any]]:
    """The page's h1 (the reply's first heading, else its summary) and the blocks under it."""
    blocks = list(reply.blocks)
    if blocks and isinstance(blocks[0], Heading):
        return blocks[0].text, web_blocks(blocks[1:])
    return reply.summary, web_blocks(blocks)


# ---------------------------------------------------------------------------- forms
@dataclass(frozen=True)
class WebField:
    """One field as the form template draws it, with what to show in it."""

    field: Field
    error: str
    text: str
    """What the box shows (text-like kinds), or the chosen value (a choice)."""
    chosen: tuple[str, ...]
    """Ticked values: a multi-choice's, or ("yes",) for a ticked check box."""
    parts: Mapping[str, str]
    """A date's day, month and year boxes."""

    @property
    def id(self) -> str:
        return f"field-{self.field.name}"

    @property
    def label(self) -> str:
        return self.field.label if self.field.required else f"{self.field.label} (optional)"

    @property
    def kind(self) -> str:
        field = self.field
        if field.kind is FieldKind.CHOICE:
            return "radios" if len(field.choices) <= RADIOS_UP_TO else "select"
        return field.kind.value

    @property
    def options(self) -> list[dict[str, Any]]:
        """The NHS radios', select's or check boxes' items, with what is chosen marked."""
        field = self.field
        if field.kind is FieldKind.BOOL:
            return [{"value": "yes", "text": self.label, "checked": "yes" in self.chosen}]
        if self.kind == "select":
            first = {"value": "", "text": "Choose one", "selected": not self.text}
            rest = [
                {"value": c.value, "text": c.label, "selected": c.value == self.text}
                for c in field.choices
            ]
            return [first, *rest]
        chosen = set(self.chosen)
        return [
            {"value": c.value, "text": c.label, "checked": c.value in chosen} for c in field.choices
        ]

    @property
    def error_href(self) -> str:
        """Where the error summary's link goes: the first box or option of the field."""
        return f"#{self.id}-day" if self.field.kind is FieldKind.DATE else f"#{self.id}"


Shown = Mapping[str, Sequence[str]]
"""What a form shows, as a browser sends it: each input's name to its values."""


def prefilled(form: Form, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The core's pre-filled values (typed: dates, lists, booleans) as the browser's inputs."""
    shown: dict[str, list[str]] = {}
    for field in form.fields:
        value = values.get(field.name)
        if isinstance(value, date) and field.kind is FieldKind.DATE:
            parts = (str(value.day), str(value.month), str(value.year))
            shown.update({f"{field.name}-{p}": [v] for p, v in zip(DATE_PARTS, parts, strict=True)})
            continue
        raw = as_raw(field, value)
        if raw is None:
            continue
        if field.kind is FieldKind.BOOL:
            shown[field.name] = ["yes"] if raw == "yes" else []
        elif field.kind is FieldKind.DATE:
            shown.update(_date_boxes(field.name, str(raw)))
        else:
            shown[field.name] = raw if isinstance(raw, list) else [raw]
    return shown


def _date_boxes(name: str, text: str) -> dict[str, list[str]]:
    """An ISO date the core pre-filled, split into the NHS date input's boxes."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return {f"{name}-day": [text]}
    return {
        f"{name}-day": [str(day.day)],
        f"{name}-month": [str(day.month)],
        f"{name}-year": [str(day.year)],
    }


def web_fields(form: Form, shown: Shown, errors: Mapping[str, str]) -> list[WebField]:
    out = []
    for field in form.fields:
        values = list(shown.get(field.name, ()))
        parts = {p: _first(shown.get(f"{field.name}-{p}", ())) for p in DATE_PARTS}
        out.append(
            WebField(
                field,
                errors.get(field.name, ""),
                _first(values),
                tuple(values),
                parts,
            )
        )
    return out


def _first(values: Sequence[str]) -> str:
    return values[0] if values else ""


def raw_answers(form: Form, posted: Shown) -> dict[str, Any]:
    """A browser's POST as the raw answers handlers.forms.clean_form reads (the same as a chat
    platform sends): a date's three boxes as "31/12/2026", ticked check boxes as a list or
    "yes", everything else as typed. Only the form's own fields are read."""
    raw: dict[str, Any] = {}
    for field in form.fields:
        values = list(posted.get(field.name, ()))
        if field.kind is FieldKind.MULTI_CHOICE:
            raw[field.name] = values
        elif field.kind is FieldKind.BOOL:
            raw[field.name] = "yes" if "yes" in values else ""
        elif field.kind is FieldKind.DATE:
            raw[field.name] = _typed_date(field.name, posted)
        else:
            raw[field.name] = _first(values)
    return raw


def _typed_date(name: str, posted: Shown) -> str:
    """The day, month and year boxes as day/month/year; "" when all are empty (a missing
    date), and a part left empty stays empty, so the core says the date is not a date."""
    parts = [_first(posted.get(f"{name}-{p}", ())).strip() for p in DATE_PARTS]
    return "" if not any(parts) else "/".join(parts)
