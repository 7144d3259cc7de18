"""Plain-text rendering for the console (and any text-only channel).

User text is stripped of control characters, so nobody can drive the terminal with escape
sequences hidden in an idea's title. Buttons are numbered so a person can press them by typing
the number; the numbering continues across messages shown together.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

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
)

WIDTH = 96
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TONE_MARK = {"info": "(i)", "success": "(ok)", "warning": "(!)", "error": "(x)"}


def clean(text: str) -> str:
    """Remove control characters (terminal escapes) but keep newlines and tabs."""
    return _CONTROL.sub("", text)


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _wrap(text: str, indent: str = "  ", subsequent: str | None = None) -> list[str]:
    out: list[str] = []
    rest = indent if subsequent is None else subsequent
    for paragraph in clean(text).split("\n"):
        out.extend(
            textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=rest)
            or [indent.rstrip()]
        )
    return out


def _button_row(buttons: tuple[Button, ...], numbered: list[Button]) -> str:
    labels = []
    for button in buttons:
        numbered.append(button)
        labels.append(f"[{len(numbered)}] {clean(button.label)}")
    return "  " + "   ".join(labels)


def render_block(block: Block, out: Rendered) -> None:
    match block:
        case Heading(text=text):
            out.lines.append(f"== {clean(text)} ==")
        case Text(text=text, muted=muted):
            out.lines.extend(_wrap(text, "    " if muted else "  "))
        case Facts(facts=facts):
            width = max((len(f.label) for f in facts), default=0)
            for fact in facts:
                out.lines.extend(
                    _wrap(f"{clean(fact.label) + ':':<{width + 1}} {clean(fact.value)}")
                )
        case Notice(text=text, tone=tone):
            mark = _TONE_MARK[tone]
            out.lines.extend(_wrap(f"{mark} {text}", "  ", " " * (len(mark) + 3)))
        case Buttons(buttons=buttons):
            out.lines.append(_button_row(buttons, out.buttons))
        case Items(items=items, empty_text=empty):
            if not items:
                out.lines.extend(_wrap(empty))
            for item in items:
                ref = f"{clean(item.ref)}  " if item.ref else ""
                line = f"  - {ref}{clean(item.title)}"
                if item.detail:
                    line += f" ({clean(item.detail)})"
                if item.buttons:
                    line += " " + _button_row(item.buttons, out.buttons).strip()
                out.lines.append(line)
        case Divider():
            out.lines.append("  " + "-" * 40)
        case SmallPrint(text=text):
            out.lines.extend(_wrap(text, "  · ", "    "))
        case Image(alt=alt, title=title):
            out.lines.extend(_wrap(f"[Chart] {title}: {alt}" if title else f"[Chart] {alt}"))


def render_reply(reply: Reply, numbered_from: int = 0) -> Rendered:
    """Render a reply; buttons are numbered from `numbered_from + 1`."""
    out = Rendered()
    out.buttons = [Button("", "")] * numbered_from
    if not reply.blocks:
        out.lines.extend(_wrap(reply.summary))
    for block in reply.blocks:
        render_block(block, out)
    out.buttons = out.buttons[numbered_from:]
    return out


def field_prompt(field: Field, current: str | list[str] | None, error: str | None = None) -> str:
    """The console's question for one form field: label, help, choices, current value."""
    lines = []
    if error:
        lines.extend(_wrap(f"(x) {error}"))
    need = "required" if field.required else "optional"
    lines.append(f"{clean(field.label)} ({need})")
    if field.help:
        lines.extend(_wrap(field.help, "    "))
    if field.choices:
        for index, choice in enumerate(field.choices, start=1):
            lines.append(f"    {index}) {clean(choice.label)}")
        if field.kind is FieldKind.MULTI_CHOICE:
            lines.append("    (several allowed: numbers separated by commas)")
    elif field.kind is FieldKind.BOOL:
        lines.append("    (yes or no)")
    elif field.kind is FieldKind.EMAILS:
        lines.append("    (emails separated by commas)")
    elif field.kind is FieldKind.DATE:
        lines.append("    (a date like 31/12/2026)")
    elif field.kind is FieldKind.MONEY:
        lines.append("    (pounds, like 12500 or £12,500)")
    if field.max_length:
        lines.append(f"    (up to {field.max_length} characters)")
    if current not in (None, "", []):
        shown = (
            ", ".join(field.choice_label(v) for v in current)
            if isinstance(current, list)
            else field.choice_label(str(current))
            if field.choices
            else str(current)
        )
        lines.append(f"    current: {clean(shown)}  (Enter keeps it, '-' clears it)")
    return "\n".join(lines)


def error_summary(problems: list[tuple[str, str]]) -> str:
    """Every problem on a submitted form at once, each after its question's label."""
    count = len(problems)
    lines = [
        f"(x) Please check {'this answer' if count == 1 else f'these {count} answers'} "
        "(everything else is kept):"
    ]
    for label, problem in problems:
        said = problem if problem.startswith(label) else f"{label}: {problem}"
        lines.extend(_wrap(f"- {said}", "  ", "    "))
    return "\n".join(lines)


def form_header(form: Form) -> str:
    lines = [f"-- {clean(form.title)} --"]
    if form.intro:
        lines.extend(_wrap(form.intro))
    lines.append("  (Answer each question. /cancel stops without saving.)")
    return "\n".join(lines)
