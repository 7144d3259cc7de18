"""Adaptive Card 1.5 rendering of the neutral view model, for Microsoft Teams.

The Teams twin of `messages.blockkit`, and built the same way: formatting comes only from the
structure (a Heading is a bold, larger TextBlock; a Notice is a coloured Container), never from
user text. TextBlocks and FactSets run their text through a markdown subset and through the
`{{DATE(...)}}` / `{{TIME(...)}}` functions, so every user string that lands there is escaped
first (`escape`): nobody can write a disguised link, emphasis, a list, a heading or a date
function into a card, and `<at>` is shown, never a mention (we never send mention entities).
Input labels, placeholders, choice titles and button titles are not markdown: they go out as
typed, cut to sensible lengths.

Teams' limits are respected here, in one place: a message must stay under about 40 kB, so a card
is kept under `CARD_BUDGET` bytes of JSON. Long text is cut with "…" and a "Show all" card holding
it in full (up to a cap); if that does not fit, the "Show all" copies go first, then trailing
parts are dropped with a note saying how to see the rest (blockkit's wording).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from messages.view import (
    Block,
    Button,
    Buttons,
    Divider,
    Facts,
    Field,
    FieldKind,
    Form,
    Heading,
    Image,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
    Tone,
    form_to_show,
    with_confirmation,
)

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
"""Teams renders Adaptive Cards up to 1.5 (docs/teams.md)."""

VERB_BUTTON = "qi"
"""Every QI Hub button is an Action.Execute with this verb, so one handler routes them all."""
VERB_SUBMIT = "qi_submit"
VERB_CANCEL = "qi_cancel"

CARD_BUDGET = 24_000
"""Bytes of compact, ASCII-escaped JSON a card may use: well under 28 kB, so the activity
around it stays far below the ~40 kB Teams accepts (a 413 would lose the message)."""
MAX_BODY_ELEMENTS = 100
TEXT_LIMIT = 2000
"""Characters of one text shown on the card; longer text ends in "…" and gets "Show all"."""
SHOW_ALL_LIMIT = 8000
HEADING_TEXT = 150
FACT_TITLE = 100
FACT_VALUE = 500
"""A FactSet's value column is narrow: a longer value becomes its own labelled text."""
FACTS_PER_SET = 10
SMALL_PRINT_TEXT = 1000
ITEM_TITLE = 300
ITEM_REF = 100
ITEM_DETAIL = 1000
BUTTON_TEXT = 75
ACTIONS_PER_SET = 5
"""Teams shows only a handful of buttons in a row; more are split over several rows."""
SUMMARY_TEXT = 250
LABEL_TEXT = 300
PLACEHOLDER_TEXT = 150
CHOICE_TEXT = 150
OPTIONS = 100
INPUT_TEXT = 3000
EMAIL_TEXT = 320
REF_TEXT = 100
ERROR_TEXT = 500
DIALOG_TITLE = 64
DIALOG_MESSAGE = 1000
BUTTON_VALUE_KEYS = 50
BUTTON_VALUE_TEXT = 2000
ACTION_NAME = 200

NOTICE_STYLE: dict[Tone, str] = {
    "info": "accent",
    "success": "good",
    "warning": "warning",
    "error": "attention",
}
TONE_MARK: dict[Tone, str] = {
    "info": "\u2139\ufe0f",
    "success": "\u2705",
    "warning": "\u26a0\ufe0f",
    "error": "\u274c",
}
"""blockkit's emoji, so a screen reader (and anyone who cannot tell the colours) gets the tone."""
BUTTON_STYLE = {"primary": "positive", "danger": "destructive"}
MORE_NOTE = (
    "…and {n} more part{s} not shown here. "
    "Use the list commands' page numbers, or open each item, to see everything."
)

# ------------------------------------------------------------------ text
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANYWHERE = re.compile(r"([\\`*_\[\]<~|])")
"""Markdown that works mid-line: escapes, code, emphasis, links and images, autolinks and HTML
(hence `<at>` mentions), strikethrough, tables."""
_LINE_MARK = re.compile(r"^([^\S\n]*)([#>+=-])")
"""Markdown that works only at the start of a line: headings, quotes, bullets, setext rules."""
_LINE_NUMBER = re.compile(r"^([^\S\n]*\d+)([.)])")
"""A numbered list: "1." or "1)" at the start of a line."""
_LEADING = re.compile(r"^[ \t]+")
_BRACES = re.compile(r"\{(?=\{)")
ZWSP = "\u200b"
NBSP = "\u00a0"


def clean(text: str) -> str:
    """Control characters removed, line ends made `\\n`: nothing invisible reaches a card."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def one_line(text: str) -> str:
    """For places that are a single line (titles, refs, labels): whitespace collapsed."""
    return " ".join(clean(text).split())


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _escape_line(line: str) -> str:
    line = _ANYWHERE.sub(r"\\\1", line)
    line = _LINE_MARK.sub(r"\1\\\2", line)
    line = _LINE_NUMBER.sub(r"\1\\\2", line)
    # Leading spaces would make an indented code block; a non-breaking space keeps the
    # indentation without meaning anything to markdown.
    return _LEADING.sub(lambda m: NBSP * len(m.group(0).expandtabs(4)), line)


def escape(text: str) -> str:
    """Plain text as TextBlock markdown that shows exactly that text and means nothing.

    Backslash escapes (CommonMark's rule, honoured by Teams) for the characters that are
    markdown anywhere, and for those that are markdown at a line start only there, so ordinary
    punctuation ("Ward 4 (inpatients).") stays readable on renderers that show backslashes.
    `{{` gets a zero-width space, so no date/time function can be formed whatever order a
    renderer applies functions and markdown in. TextBlock needs a blank line for a line break,
    so each line becomes its own paragraph.
    """
    lines = clean(text).split("\n")
    escaped = "\n\n".join(_escape_line(line) for line in lines)
    return _BRACES.sub("{" + ZWSP, escaped)


def plain(text: str, limit: int) -> str:
    """For properties that are not markdown (labels, titles, values): as typed, but bounded."""
    return cut(one_line(text), limit)


def size(element: Any) -> int:
    """Bytes of compact JSON, non-ASCII escaped: the largest any serialiser will produce."""
    return len(json.dumps(element, separators=(",", ":"), ensure_ascii=True))


# ------------------------------------------------------------------ elements
def _text_block(text: str, **props: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": escape(text) or " ", "wrap": True, **props}


def _long_text(text: str, show_all: bool, **props: Any) -> list[dict[str, Any]]:
    """A text cut at TEXT_LIMIT; when cut (and there is room) a "Show all" card holds it all."""
    shown = cut(text, TEXT_LIMIT)
    out = [_text_block(shown, **props)]
    if shown != text and show_all:
        full = {"type": "AdaptiveCard", "body": [_text_block(cut(text, SHOW_ALL_LIMIT))]}
        show = {"type": "Action.ShowCard", "title": "Show all", "card": full}
        out.append({"type": "ActionSet", "actions": [show], "spacing": "small"})
    return out


def encode_button(button: Button) -> dict[str, Any]:
    """An Action.Execute: Teams sends its data back in an adaptiveCard/action invoke.

    A destructive one (with `confirm`) is an Action.ShowCard holding the question and the
    Action.Execute: Teams has no confirm dialog for Action.Execute, and a ShowCard opens in
    place on every Teams client (and the Agents Playground) without a round trip, so nothing
    is sent until the person presses "Yes"."""
    if button.confirm:
        question: dict[str, Any] = {
            "type": "AdaptiveCard",
            "body": [_text_block(button.confirm)],
            "actions": [_execute(button, f"Yes, {button.label.rstrip('…')}")],
        }
        ask: dict[str, Any] = {
            "type": "Action.ShowCard",
            "title": plain(button.label, BUTTON_TEXT) or " ",
            "card": question,
        }
        style = BUTTON_STYLE.get(button.style)
        if style:
            ask["style"] = style
        return ask
    return _execute(button, button.label)


def _execute(button: Button, title: str) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": plain(title, BUTTON_TEXT) or " ",
        "verb": VERB_BUTTON,
        "data": {"qi_action": button.action, "qi_value": dict(button.value)},
    }
    style = BUTTON_STYLE.get(button.style)
    if style:
        action["style"] = style
    return action


def _action_sets(buttons: Sequence[Button]) -> list[dict[str, Any]]:
    return [
        {
            "type": "ActionSet",
            "actions": [encode_button(b) for b in buttons[start : start + ACTIONS_PER_SET]],
        }
        for start in range(0, len(buttons), ACTIONS_PER_SET)
    ]


def _facts(facts: Facts, show_all: bool) -> list[dict[str, Any]]:
    short = [f for f in facts.facts if len(f.value) <= FACT_VALUE]
    out: list[dict[str, Any]] = [
        {
            "type": "FactSet",
            "facts": [
                {"title": escape(plain(f.label, FACT_TITLE)), "value": escape(f.value) or " "}
                for f in short[start : start + FACTS_PER_SET]
            ],
        }
        for start in range(0, len(short), FACTS_PER_SET)
    ]
    for fact in facts.facts:  # too long for the value column: labelled text of its own
        if len(fact.value) > FACT_VALUE:
            out.append(_text_block(one_line(fact.label), weight="bolder"))
            out += _long_text(fact.value, show_all, spacing="none")
    return out


def _items(block: Items) -> list[dict[str, Any]]:
    if not block.items:
        return [_text_block(block.empty_text, isSubtle=True)]
    out: list[dict[str, Any]] = []
    for index, item in enumerate(block.items):
        parts = [_text_block(cut(one_line(item.title), ITEM_TITLE), weight="bolder")]
        if item.ref:
            ref = cut(one_line(item.ref), ITEM_REF)
            parts.append(_text_block(ref, isSubtle=True, size="small", spacing="none"))
        if item.detail:
            parts.append(_text_block(cut(item.detail, ITEM_DETAIL), spacing="small"))
        parts += _action_sets(item.buttons)
        container: dict[str, Any] = {"type": "Container", "items": parts}
        if index:
            container["separator"] = True
        out.append(container)
    return out


def render_block(block: Block, show_all: bool = True) -> list[dict[str, Any]]:
    """One view-model block as top-level card elements (the unit that can be dropped)."""
    match block:
        case Heading(text=text):
            heading = cut(one_line(text), HEADING_TEXT)
            return [_text_block(heading, size="large", weight="bolder", style="heading")]
        case Text(text=text, muted=muted):
            return _long_text(text, show_all, **({"isSubtle": True} if muted else {}))
        case Facts():
            return _facts(block, show_all)
        case Notice(text=text, tone=tone):
            items = _long_text(text, show_all)
            items[0]["text"] = f"{TONE_MARK[tone]} {items[0]['text']}"  # not colour alone
            return [{"type": "Container", "style": NOTICE_STYLE[tone], "items": items}]
        case Buttons(buttons=buttons):
            return _action_sets(buttons)
        case Items():
            return _items(block)
        case Divider():
            return []  # drawn as a separator on whatever follows: see render_body
        case SmallPrint(text=text):
            return [_text_block(cut(text, SMALL_PRINT_TEXT), size="small", isSubtle=True)]
        case Image(url=url, alt=alt, title=title):
            image = {
                "type": "Image",
                "url": url,
                "altText": cut(alt, TEXT_LIMIT),
                "size": "stretch",
            }
            if not title:
                return [image]
            return [_text_block(cut(one_line(title), HEADING_TEXT), weight="bolder"), image]
    return []


def render_body(blocks: Sequence[Block], show_all: bool = True) -> list[dict[str, Any]]:
    """Every block, in order; a Divider puts a separator line above the next element (an
    empty Container might be dropped by a renderer, taking the line with it)."""
    out: list[dict[str, Any]] = []
    separate = False
    for block in blocks:
        if isinstance(block, Divider):
            separate = bool(out)
            continue
        elements = render_block(block, show_all)
        if separate and elements:
            elements[0] = {**elements[0], "separator": True, "spacing": "medium"}
            separate = False
        out += elements
    return out


def _card(body: list[dict[str, Any]], summary: str = "") -> dict[str, Any]:
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
    }
    if summary:
        card["fallbackText"] = escape(plain(summary, SUMMARY_TEXT))
    return card


def _more_note(dropped: int) -> dict[str, Any]:
    note = MORE_NOTE.format(n=dropped, s="s" if dropped != 1 else "")
    return _text_block(note, size="small", isSubtle=True, separator=True)


def _within_budget(body: list[dict[str, Any]], summary: str) -> list[dict[str, Any]]:
    """The longest prefix of `body` that fits, with a note counting what was left out."""
    base = size(_card([], summary))
    sizes = [size(e) for e in body]
    keep = min(len(body), MAX_BODY_ELEMENTS - 1)
    while keep >= 0:
        used = base + sum(sizes[:keep]) + keep  # a comma between each element and the note
        if used + size(_more_note(len(body) - keep)) <= CARD_BUDGET:
            break
        keep -= 1
    keep = max(keep, 0)
    return [*body[:keep], _more_note(len(body) - keep)]


def message_card(reply: Reply) -> dict[str, Any]:
    """An AdaptiveCard for `reply`, always within CARD_BUDGET: "Show all" copies are the first
    to go, then trailing parts (with a note), never the message itself."""
    body: list[dict[str, Any]] = []
    for show_all in (True, False):
        body = render_body(reply.blocks, show_all)
        card = _card(body, reply.summary)
        if len(body) <= MAX_BODY_ELEMENTS and size(card) <= CARD_BUDGET:
            return card
    return _card(_within_budget(body, reply.summary), reply.summary)


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    return {"contentType": CONTENT_TYPE, "content": card}


def summary_text(summary: str) -> str:
    """The one-line preview: notifications show it as plain text, so it is not escaped."""
    return plain(summary, SUMMARY_TEXT)


def message_activity(reply: Reply) -> dict[str, Any]:
    """A Bot Framework message activity carrying the card.

    `summary` is what Teams shows in notifications and the chat list for a card; no `text`, or
    Teams would print the summary again above the card.
    """
    return {
        "type": "message",
        "summary": summary_text(reply.summary),
        "attachments": [attachment(message_card(reply))],
    }


# ------------------------------------------------------------------ forms
def _text_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _multi_values(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list | tuple | set | frozenset):
        return [str(v) for v in value]
    return []


def _is_on(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in {"yes", "true", "y", "1", "on"}


def _iso_date(value: Any) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            return None
    return None


def _choices(field: Field) -> list[dict[str, Any]]:
    return [
        {"title": plain(c.label, CHOICE_TEXT) or c.value, "value": c.value}
        for c in field.choices[:OPTIONS]
    ]


def _input(field: Field, value: Any) -> dict[str, Any]:
    """The input for `field`, pre-filled with `value` (typed or as submitted)."""
    element: dict[str, Any]
    match field.kind:
        case FieldKind.CHOICE | FieldKind.MULTI_CHOICE:
            choices = _choices(field)
            element = {"type": "Input.ChoiceSet", "style": "compact", "choices": choices}
            known = {c["value"] for c in choices}
            if field.kind is FieldKind.MULTI_CHOICE:
                element["isMultiSelect"] = True
                chosen = [v for v in _multi_values(value) if v in known]
                if chosen:
                    element["value"] = ",".join(dict.fromkeys(chosen))
            elif isinstance(value, str) and value in known:
                element["value"] = value
        case FieldKind.DATE:
            element = {"type": "Input.Date"}
            iso = _iso_date(value)
            if iso:
                element["value"] = iso
        case FieldKind.BOOL:
            element = {
                "type": "Input.Toggle",
                "title": plain(field.label, LABEL_TEXT) or field.name,
                "valueOn": "true",
                "valueOff": "false",
                "value": "true" if _is_on(value) else "false",
                "wrap": True,
            }
        case _:  # TEXT, LONG_TEXT, EMAIL, EMAILS, REF, MONEY
            default = {FieldKind.EMAIL: EMAIL_TEXT, FieldKind.REF: REF_TEXT}
            limit = field.max_length or default.get(field.kind, INPUT_TEXT)
            element = {"type": "Input.Text", "maxLength": limit}
            if field.kind is FieldKind.LONG_TEXT:
                element["isMultiline"] = True
            if field.kind is FieldKind.EMAIL:
                element["style"] = "email"
            text = _text_value(value)
            if text:
                element["value"] = text[:limit]
    head: dict[str, Any] = {"type": element.pop("type"), "id": field.name}
    if field.kind is not FieldKind.BOOL:  # a toggle shows its label as its title
        head["label"] = plain(field.label, LABEL_TEXT)
    element = head | element
    if field.placeholder and element["type"] in ("Input.Text", "Input.ChoiceSet", "Input.Date"):
        element["placeholder"] = plain(field.placeholder, PLACEHOLDER_TEXT)
    if field.required:
        element["isRequired"] = True
        element["errorMessage"] = plain(field.missing_message, ERROR_TEXT)
    return element


def _error_summary(form: Form, errors: Mapping[str, str]) -> dict[str, Any]:
    names = {f.name for f in form.fields}
    marked = sum(1 for name in errors if name in names)
    lines: list[str] = []
    if marked:
        lines.append(
            "Please correct the answer marked below."
            if marked == 1
            else f"Please correct the {marked} answers marked below."
        )
    lines += [message for name, message in errors.items() if name not in names]
    return render_block(Notice("\n".join(lines), "error"))[0]


def form_card(
    form: Form,
    values: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    submit: Literal["dialog", "execute"],
    data: Mapping[str, Any],
) -> dict[str, Any]:
    """A card asking for `form`: one input per field (id = field name), pre-filled from
    `values` (falling back to each field's default), input kept after errors.

    `errors` are the server's verdict (client-side isRequired is only a convenience): a summary
    at the top and an attention-coloured line right under each offending field. `submit` says
    where the card lives: in a dialog an Action.Submit (Teams sends task/submit); in a
    conversation an Action.Execute (adaptiveCard/action) plus a Cancel that skips validation.
    `data` (with the form id as `qi_form`) comes back with the submission.
    """
    form = form_to_show(form, values, errors)  # the not-a-patient confirmation, once asked
    body: list[dict[str, Any]] = []
    if submit == "execute":
        body += render_block(Heading(form.title))
    if errors:
        body.append(_error_summary(form, errors))
    if form.intro:
        body.append(_text_block(form.intro, isSubtle=True))
    for field in form.fields:
        body.append(_input(field, values.get(field.name, field.default)))
        if field.name in errors:
            error = cut(errors[field.name], ERROR_TEXT)
            body.append(_text_block(error, color="attention", spacing="none", size="small"))
        if field.help:
            body.append(_text_block(field.help, isSubtle=True, size="small", spacing="none"))
    payload = {"qi_form": form.id, **data}
    title = plain(form.submit_label, BUTTON_TEXT) or "Submit"
    actions: list[dict[str, Any]]
    if submit == "dialog":
        actions = [{"type": "Action.Submit", "title": title, "style": "positive", "data": payload}]
    else:
        actions = [
            {
                "type": "Action.Execute",
                "title": title,
                "verb": VERB_SUBMIT,
                "style": "positive",
                "data": payload,
            },
            {
                "type": "Action.Execute",
                "title": "Cancel",
                "verb": VERB_CANCEL,
                "data": payload,
                "associatedInputs": "None",
            },
        ]
    card = _card(body)
    card["actions"] = actions
    return card


def dialog_continue(form: Form, card: dict[str, Any]) -> dict[str, Any]:
    """The task/fetch (or task/submit, to show errors) reply that shows `card` in a dialog."""
    height = "medium" if len(form.fields) <= 3 else "large"
    value = {
        "title": plain(form.title, DIALOG_TITLE),
        "height": height,
        "width": "medium",
        "card": attachment(card),
    }
    return {"task": {"type": "continue", "value": value}}


def dialog_message(text: str) -> dict[str, Any]:
    """The task/submit reply that closes the dialog with a short plain-text message."""
    return {"task": {"type": "message", "value": cut(clean(text), DIALOG_MESSAGE)}}


def execute_card_response(card: dict[str, Any]) -> dict[str, Any]:
    """The adaptiveCard/action invoke reply that replaces the card the button was on."""
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": card}


# ------------------------------------------------------------------ reading submissions
def _submitted_text(raw: Any) -> str | None:
    if isinstance(raw, str):
        return raw or None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)
    return None


def _submitted(field: Field, raw: Any) -> Any:
    if raw is None:
        return None
    match field.kind:
        case FieldKind.MULTI_CHOICE:
            if isinstance(raw, list):
                return [str(v) for v in raw if isinstance(v, str) and v]
            text = _submitted_text(raw) or ""
            return [v for v in text.split(",") if v]
        case FieldKind.BOOL:
            if isinstance(raw, bool):
                return raw
            word = _submitted_text(raw)
            if word is None or word.lower() == "false":
                return False
            return True if word.lower() == "true" else word  # anything else: let validation say
    return _submitted_text(raw)


def submitted_values(form: Form, data: Mapping[str, Any]) -> dict[str, Any]:
    """Raw answers from what Teams posts back, in the shape `blockkit.read_state` gives for a
    Slack modal, so `handlers.forms.clean_form` treats the same answers identically.

    Teams sends every input as a string: "" for empty (Slack: None), "a,b" for a multi-select
    (Slack: a list), "true"/"false" for a toggle (Slack: a bool), YYYY-MM-DD for a date. Keys
    that are not fields (`msteams`, `qi_*`, anything invented) are ignored, not trusted.
    The not-a-patient confirmation is read too (None unless the card asked for it).
    """
    source: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    fields = with_confirmation(form).fields
    return {field.name: _submitted(field, source.get(field.name)) for field in fields}


def button_press(data: Mapping[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The registry action and its value from an Action.Execute/Submit payload, or None when
    it is not one of ours or is malformed. Hostile input never raises."""
    if not isinstance(data, Mapping):
        return None
    action = data.get("qi_action")
    if not isinstance(action, str) or not action or len(action) > ACTION_NAME:
        return None
    value = data.get("qi_value")
    if value is None:
        return action, {}
    if not isinstance(value, Mapping) or len(value) > BUTTON_VALUE_KEYS:
        return None
    decoded: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str | int | float):
            return None  # bool is an int: "True"/"False", as blockkit's str() would give
        text = item if isinstance(item, str) else str(item)
        if len(key) > BUTTON_VALUE_TEXT or len(text) > BUTTON_VALUE_TEXT:
            return None
        decoded[key] = text
    return action, decoded
