"""Block Kit rendering of the neutral view model: messages, modals and inline field errors.

Every user string goes out either as plain_text (never interpreted by Slack) or as mrkdwn with
&, < and > escaped, so nobody can write <!channel>, <@U123> or a disguised link into a
message. Slack's limits are respected here, in one place: long text is split, long lists are
cut with a note saying how to see the rest, and nothing exceeds 50 blocks (100 in a modal).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from messages.view import (
    CONFIRM_NOT_PATIENT,
    Block,
    Button,
    Buttons,
    Divider,
    Fact,
    Facts,
    Field,
    FieldKind,
    Form,
    Heading,
    Image,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
    form_to_show,
    with_confirmation,
)

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONFIRM_TITLE, CONFIRM_TEXT, CONFIRM_BUTTON = 100, 300, 30
"""A confirm dialog's limits (title, text, and each of its two buttons)."""
ACTIONS_PER_BLOCK = 25
FIELDS_PER_SECTION = 10
CONTEXT_TEXT = 3000
IMAGE_URL = 3000
IMAGE_ALT = 2000
IMAGE_TITLE = 2000
TITLE_TEXT = 24
OPTIONS = 100
OPTION_TEXT = 75
MESSAGE_TEXT = 3000
ACTION_PREFIX = "qi|"
"""Every QI Hub button's action_id starts with this, so one bolt listener routes them all."""
TONE_EMOJI = {
    "info": ":information_source:",
    "success": ":white_check_mark:",
    "warning": ":warning:",
    "error": ":x:",
}


def escape(text: str) -> str:
    """Slack's three mrkdwn control characters, escaped (its documented rule)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split at paragraph or word boundaries into pieces of at most `limit` characters."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        at = rest.rfind("\n", 0, limit)
        if at < limit // 2:
            at = rest.rfind(" ", 0, limit)
        if at < limit // 2:
            at = limit
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip()
    return [*pieces, rest] if rest or not pieces else pieces


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text or " "}


def encode_button(button: Button, index: int) -> dict[str, Any]:
    value = json.dumps(dict(button.value), separators=(",", ":"))
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(button.label, BUTTON_TEXT),
        "action_id": f"{ACTION_PREFIX}{button.action}|{index}",
        "value": value[:BUTTON_VALUE],
    }
    if button.style != "default":
        element["style"] = button.style
    if button.confirm:  # Slack asks in its own dialog and sends the press only on yes
        element["confirm"] = {
            "title": plain("Are you sure?", CONFIRM_TITLE),
            "text": plain(button.confirm, CONFIRM_TEXT),
            "confirm": plain(button.label.rstrip("…"), CONFIRM_BUTTON),
            "deny": plain("Go back", CONFIRM_BUTTON),
            "style": "danger",
        }
    return element


def decode_action(action_id: str, value: str) -> tuple[str, dict[str, str]]:
    """The registry action and its value, from a Slack action id and button value."""
    name = action_id.removeprefix(ACTION_PREFIX).rsplit("|", 1)[0]
    try:
        decoded = json.loads(value) if value else {}
    except json.JSONDecodeError:
        decoded = {}
    if not isinstance(decoded, dict):
        decoded = {}
    return name, {str(k): str(v) for k, v in decoded.items()}


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def next(self) -> int:
        self.n += 1
        return self.n


def _section_text(text: str) -> list[dict[str, Any]]:
    return [
        {"type": "section", "text": mrkdwn(piece)} for piece in chunks(escape(text), SECTION_TEXT)
    ]


def _facts(facts: Sequence[Fact]) -> list[dict[str, Any]]:
    texts = [f"*{escape(f.label)}*\n{escape(f.value)}" for f in facts]
    short = [t for t in texts if len(t) <= FIELD_TEXT]
    out: list[dict[str, Any]] = [
        {
            "type": "section",
            "fields": [mrkdwn(t) for t in short[start : start + FIELDS_PER_SECTION]],
        }
        for start in range(0, len(short), FIELDS_PER_SECTION)
    ]
    for text in texts:  # too long for a field: a section of its own, split, not cut
        if len(text) > FIELD_TEXT:
            out += [{"type": "section", "text": mrkdwn(p)} for p in chunks(text, SECTION_TEXT)]
    return out


def _buttons(buttons: Sequence[Button], counter: _Counter) -> list[dict[str, Any]]:
    return [
        {
            "type": "actions",
            "elements": [
                encode_button(b, counter.next()) for b in buttons[start : start + ACTIONS_PER_BLOCK]
            ],
        }
        for start in range(0, len(buttons), ACTIONS_PER_BLOCK)
    ]


def _items(items: Sequence[Item], empty: str, counter: _Counter) -> list[dict[str, Any]]:
    if not items:
        return [{"type": "context", "elements": [mrkdwn(escape(empty))]}]
    out: list[dict[str, Any]] = []
    for item in items:
        ref = f"*{escape(item.ref)}*  " if item.ref else ""
        detail = f"\n{escape(item.detail)}" if item.detail else ""
        section: dict[str, Any] = {
            "type": "section",
            "text": mrkdwn(cut(f"{ref}{escape(item.title)}{detail}", SECTION_TEXT)),
        }
        if item.buttons:
            section["accessory"] = encode_button(item.buttons[0], counter.next())
        out.append(section)
        if len(item.buttons) > 1:
            out.append(
                {
                    "type": "actions",
                    "elements": [encode_button(b, counter.next()) for b in item.buttons[1:]],
                }
            )
    return out


def _small_print(text: str) -> list[dict[str, Any]]:
    return [{"type": "context", "elements": [mrkdwn(cut(escape(text), CONTEXT_TEXT))]}]


def render_block(block: Block, counter: _Counter) -> list[dict[str, Any]]:
    match block:
        case Heading(text=text):
            return [{"type": "header", "text": plain(text, HEADER_TEXT)}]
        case Text(text=text, muted=muted):
            return _small_print(text) if muted else _section_text(text)
        case Facts(facts=facts):
            return _facts(facts)
        case Notice(text=text, tone=tone):
            return _section_text_with_prefix(TONE_EMOJI[tone], text)
        case Buttons(buttons=buttons):
            return _buttons(buttons, counter)
        case Items(items=items, empty_text=empty):
            return _items(items, empty, counter)
        case Divider():
            return [{"type": "divider"}]
        case SmallPrint(text=text):
            return _small_print(text)
        case Image(url=url, alt=alt, title=title):
            return _image(url, alt, title)
    return []


def _image(url: str, alt: str, title: str) -> list[dict[str, Any]]:
    """An image block, or (for an address too long for Slack) the alt text in its place."""
    if len(url) > IMAGE_URL:
        return _small_print(f"{title}: {alt}" if title else alt)
    block: dict[str, Any] = {"type": "image", "image_url": url, "alt_text": cut(alt, IMAGE_ALT)}
    if title:
        block["title"] = plain(title, IMAGE_TITLE)
    return [block]


def _section_text_with_prefix(prefix: str, text: str) -> list[dict[str, Any]]:
    pieces = chunks(escape(text), SECTION_TEXT - len(prefix) - 1)
    return [
        {"type": "section", "text": mrkdwn(f"{prefix} {piece}" if i == 0 else piece)}
        for i, piece in enumerate(pieces)
    ]


def render_blocks(blocks: Sequence[Block], limit: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """All blocks, within `limit`: an over-long reply ends with a note, never an API error."""
    counter = _Counter()
    out: list[dict[str, Any]] = []
    for block in blocks:
        out.extend(render_block(block, counter))
    if len(out) > limit:
        dropped = len(out) - (limit - 1)
        out = out[: limit - 1]
        out.append(
            {
                "type": "context",
                "elements": [
                    mrkdwn(
                        f"…and {dropped} more part{'s' if dropped != 1 else ''} not shown here. "
                        "Use the list commands' page numbers, or open each item, to see everything."
                    )
                ],
            }
        )
    return out


def message(reply: Reply) -> dict[str, Any]:
    """chat.postMessage / chat.update / respond() arguments: blocks plus notification text."""
    return {"text": cut(escape(reply.summary), MESSAGE_TEXT), "blocks": render_blocks(reply.blocks)}


# ------------------------------------------------------------------ modals
def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": plain(label, OPTION_TEXT), "value": value[:150]}


def _text_element(field: Field, value: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.name}
    if field.kind is FieldKind.LONG_TEXT:
        element["multiline"] = True
    element["max_length"] = min(field.max_length or 3000, 3000)
    if field.min_length:
        element["min_length"] = min(field.min_length, element["max_length"])
    if isinstance(value, list):
        value = ", ".join(str(v) for v in value)
    if value:
        element["initial_value"] = str(value)[: element["max_length"]]
    return element


def _email_element(field: Field, value: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "email_text_input", "action_id": field.name}
    if value:
        element["initial_value"] = str(value)
    return element


def _choice_element(field: Field, value: Any) -> dict[str, Any]:
    options = [_option(c.value, c.label) for c in field.choices[:OPTIONS]]
    element: dict[str, Any] = {"type": "static_select", "action_id": field.name}
    element["options"] = options
    chosen = next((o for o in options if o["value"] == value), None)
    if chosen:
        element["initial_option"] = chosen
    return element


def _multi_choice_element(field: Field, value: Any) -> dict[str, Any]:
    options = [_option(c.value, c.label) for c in field.choices[:OPTIONS]]
    element: dict[str, Any] = {"type": "multi_static_select", "action_id": field.name}
    element["options"] = options
    wanted = set(value or [])
    initial = [o for o in options if o["value"] in wanted]
    if initial:
        element["initial_options"] = initial
    return element


def _date_element(field: Field, value: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datepicker", "action_id": field.name}
    if isinstance(value, date):
        element["initial_date"] = value.isoformat()
    elif value:
        element["initial_date"] = str(value)
    return element


def _bool_element(field: Field, value: Any) -> dict[str, Any]:
    option = _option("yes", "Yes")
    element: dict[str, Any] = {"type": "checkboxes", "action_id": field.name}
    element["options"] = [option]
    if value in (True, "yes", "true"):
        element["initial_options"] = [option]
    return element


ELEMENTS: dict[FieldKind, Callable[[Field, Any], dict[str, Any]]] = {
    FieldKind.TEXT: _text_element,
    FieldKind.LONG_TEXT: _text_element,
    FieldKind.EMAILS: _text_element,
    FieldKind.REF: _text_element,
    FieldKind.MONEY: _text_element,
    FieldKind.EMAIL: _email_element,
    FieldKind.CHOICE: _choice_element,
    FieldKind.MULTI_CHOICE: _multi_choice_element,
    FieldKind.DATE: _date_element,
    FieldKind.BOOL: _bool_element,
}
PLACEHOLDER_KINDS = frozenset(
    {
        FieldKind.TEXT,
        FieldKind.LONG_TEXT,
        FieldKind.REF,
        FieldKind.MONEY,
        FieldKind.EMAILS,
        FieldKind.EMAIL,
        FieldKind.CHOICE,
        FieldKind.MULTI_CHOICE,
    }
)


def _element(field: Field, value: Any) -> dict[str, Any]:
    element = ELEMENTS[field.kind](field, value)
    if field.placeholder and field.kind in PLACEHOLDER_KINDS:
        element["placeholder"] = plain(field.placeholder, 150)
    return element


def modal(
    form: Form, values: Mapping[str, Any], metadata: str, errors: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A modal view for `form`, pre-filled; `metadata` rides along as private_metadata.

    `errors` (when the modal is redrawn rather than answered with response_action "errors")
    are shown as a line under their fields, and bring the not-a-patient confirmation with them.
    """
    errors = errors or {}
    form = form_to_show(form, values, errors)
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks.append({"type": "context", "elements": [mrkdwn(escape(form.intro))]})
    for field in form.fields:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": field.name,
            "label": plain(field.label, 2000),
            "optional": not field.required,
            "element": _element(field, values.get(field.name)),
        }
        if field.help:
            block["hint"] = plain(field.help, 2000)
        blocks.append(block)
        if field.name in errors:
            blocks.append(
                {"type": "context", "elements": [mrkdwn(escape(f"⚠️ {errors[field.name]}"))]}
            )
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": form.id,
        "title": plain(form.title, TITLE_TEXT),
        "submit": plain(form.submit_label, TITLE_TEXT),
        "close": plain("Cancel", TITLE_TEXT),
        "private_metadata": metadata[:3000],
        "blocks": blocks[:MAX_MODAL_BLOCKS],
    }
    return view


def field_errors(errors: Mapping[str, str]) -> dict[str, Any]:
    """The view_submission response that shows errors under their fields, input kept."""
    return {
        "response_action": "errors",
        "errors": {name: cut(message, 2000) for name, message in errors.items()},
    }


def submission_errors(
    form: Form, view: Mapping[str, Any], values: Mapping[str, Any], errors: Mapping[str, str]
) -> dict[str, Any]:
    """The view_submission answer to `errors`: under their fields (response_action "errors"),
    or, when the not-a-patient confirmation is asked for and the modal does not have it yet,
    the modal redrawn with it, every answer kept and each message under its field
    (response_action "update": Slack shows errors only on inputs the modal already has)."""
    shown = {block.get("block_id") for block in view.get("blocks") or ()}
    if CONFIRM_NOT_PATIENT.name in errors and CONFIRM_NOT_PATIENT.name not in shown:
        metadata = str(view.get("private_metadata") or "")
        return {"response_action": "update", "view": modal(form, values, metadata, errors)}
    return field_errors(errors)


def read_state(form: Form, state: Mapping[str, Any]) -> dict[str, Any]:
    """Raw answers from a view_submission's view.state.values, keyed by field name (with the
    not-a-patient confirmation, None unless the modal asked for it)."""
    values: dict[str, Any] = {}
    for field in with_confirmation(form).fields:
        entry = (state.get(field.name) or {}).get(field.name) or {}
        match entry.get("type"):
            case "plain_text_input" | "email_text_input":
                values[field.name] = entry.get("value")
            case "static_select":
                selected = entry.get("selected_option")
                values[field.name] = selected.get("value") if selected else None
            case "multi_static_select":
                values[field.name] = [o.get("value") for o in entry.get("selected_options") or []]
            case "checkboxes":
                values[field.name] = bool(entry.get("selected_options"))
            case "datepicker":
                values[field.name] = entry.get("selected_date")
            case _:
                values[field.name] = None
    return values
