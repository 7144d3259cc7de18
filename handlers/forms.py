"""Field and form validation shared by every platform: one set of rules, one set of messages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from handlers.config import EMAIL_RE
from handlers.guard import PatientDataGuard
from messages.view import CONFIRM_NOT_PATIENT, Field, FieldKind, Form

_LIST_SEPARATORS = re.compile(r"[,;\s]+")
TRUE_WORDS = frozenset({"y", "yes", "true", "1", "on"})
FALSE_WORDS = frozenset({"n", "no", "false", "0", "off", ""})


class FieldError(ValueError):
    """A single field's problem, worded for the person filling in the form."""


def _choice_value(field: Field, raw: str) -> str:
    text = raw.strip()
    for choice in field.choices:
        if text.lower() in (choice.value.lower(), choice.label.lower()):
            return choice.value
    if text.isdecimal() and text.isascii() and 1 <= int(text) <= len(field.choices):
        return field.choices[int(text) - 1].value
    options = ", ".join(c.label for c in field.choices[:8])
    more = "…" if len(field.choices) > 8 else ""
    raise FieldError(f"choose one of: {options}{more}")


_UK_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def _parse_date(field: Field, text: str) -> date:
    """ISO (2026-12-31) or the UK day-first form staff type (31/12/2026); never US order."""
    try:
        uk = _UK_DATE.match(text)
        if uk:
            return date(int(uk.group(3)), int(uk.group(2)), int(uk.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(f"{field.label} must be a date like 31/12/2026 or 2026-12-31") from None


def _text(field: Field, raw: Any, guard: PatientDataGuard) -> str:
    text = str(raw)
    if field.kind is FieldKind.TEXT and "\n" in text:
        text = " ".join(text.split())
    if field.max_length is not None and len(text) > field.max_length:
        raise FieldError(
            f"{field.label} is {len(text)} characters; the limit is {field.max_length}"
        )
    if field.min_length is not None and len(text) < field.min_length:
        raise FieldError(f"{field.label} needs at least {field.min_length} characters")
    finding = guard.scan(text)
    if finding is not None:
        raise FieldError(finding.message(field.label))
    return text


def _choice(field: Field, raw: Any, guard: PatientDataGuard) -> str:
    return _choice_value(field, str(raw))


def _multi_choice(field: Field, raw: Any, guard: PatientDataGuard) -> list[str]:
    items = raw if isinstance(raw, list) else list(str(raw).split(","))
    values = [_choice_value(field, str(item)) for item in items if str(item).strip()]
    if field.required and not values:
        raise FieldError(field.missing_message)
    # In the order the form lists them, whatever order the platform sent them in, so the same
    # answers store the same value from Slack, Teams or the console.
    order = {choice.value: n for n, choice in enumerate(field.choices)}
    return sorted(dict.fromkeys(values), key=lambda v: order.get(v, len(order)))


def _date(field: Field, raw: Any, guard: PatientDataGuard) -> date:
    return raw if isinstance(raw, date) else _parse_date(field, str(raw))


def _email(field: Field, raw: Any, guard: PatientDataGuard) -> str:
    address = str(raw).lower()
    if not EMAIL_RE.match(address):
        raise FieldError(f"{field.label} must be an email address")
    return address


def _emails(field: Field, raw: Any, guard: PatientDataGuard) -> list[str]:
    items = raw if isinstance(raw, list) else _LIST_SEPARATORS.split(str(raw))
    addresses = [str(item).strip().lower() for item in items if str(item).strip()]
    wrong = [a for a in addresses if not EMAIL_RE.match(a)]
    if wrong:
        raise FieldError(
            f"{field.label}: {', '.join(wrong[:3])} "
            f"{'is not an email address' if len(wrong) == 1 else 'are not email addresses'}"
        )
    return list(dict.fromkeys(addresses))


MONEY_LIMIT = 100_000_000
_MONEY = re.compile(r"^£?\s*(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$")


def _money(field: Field, raw: Any, guard: PatientDataGuard) -> int:
    """Whole pounds from "12500", "£12,500" or "£12,500.00"; anything else is refused with
    what to type instead, so a cost in words goes in the field meant for words."""
    match = _MONEY.match(str(raw).replace(" ", ""))
    if match is None:
        raise FieldError(
            f"{field.label}: give an amount in pounds, like 12500 or £12,500 (no words, "
            "ranges or other currencies). Describe the cost in words in the next question."
        )
    pounds = int(match.group(1).replace(",", ""))
    if match.group(2) and int(match.group(2).ljust(2, "0")) >= 50:
        pounds += 1  # to the nearest pound
    if pounds > MONEY_LIMIT:
        raise FieldError(f"{field.label}: £{pounds:,} is more than £{MONEY_LIMIT:,}; check it")
    return pounds


def _ref(field: Field, raw: Any, guard: PatientDataGuard) -> str:
    return str(raw).upper()


def _bool(field: Field, raw: Any, guard: PatientDataGuard) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError(f"{field.label}: answer yes or no")


CLEANERS: dict[FieldKind, Callable[[Field, Any, PatientDataGuard], Any]] = {
    FieldKind.TEXT: _text,
    FieldKind.LONG_TEXT: _text,
    FieldKind.CHOICE: _choice,
    FieldKind.MULTI_CHOICE: _multi_choice,
    FieldKind.DATE: _date,
    FieldKind.EMAIL: _email,
    FieldKind.EMAILS: _emails,
    FieldKind.REF: _ref,
    FieldKind.BOOL: _bool,
    FieldKind.MONEY: _money,
}
"""One cleaner per kind of field; every platform's answers go through the same one."""
EMPTY: dict[FieldKind, Any] = {
    FieldKind.MULTI_CHOICE: [],
    FieldKind.EMAILS: [],
    FieldKind.BOOL: False,
}


def clean_field(field: Field, raw: Any, guard: PatientDataGuard) -> Any:
    """Turn raw input into the field's typed value, or raise FieldError saying what is wrong.

    Empty optional fields come back as None (an empty list for multi-choice). Free text is run
    through the patient-data guard before anything else sees it.
    """
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "" or raw == []:
        if field.required:
            raise FieldError(field.missing_message)
        empty = EMPTY.get(field.kind)
        return list(empty) if isinstance(empty, list) else empty
    return CLEANERS[field.kind](field, raw, guard)


CONFIRM_PLEASE = (
    "Please confirm that the text marked above does not identify a patient, or change the text."
)


def _confirmed(raw: Mapping[str, Any], guard: PatientDataGuard) -> bool:
    try:
        return bool(clean_field(CONFIRM_NOT_PATIENT, raw.get(CONFIRM_NOT_PATIENT.name), guard))
    except FieldError:
        return False


def name_warnings(
    form: Form, values: Mapping[str, Any], raw: Mapping[str, Any], guard: PatientDataGuard
) -> dict[str, str]:
    """Free-text answers that seem to name a person, unless the submitter confirmed (with
    CONFIRM_NOT_PATIENT) that it is not a patient; the confirmation itself is then asked for.

    Only free text: a name picked from the directory (an owner's email) is meant to be there.
    """
    if _confirmed(raw, guard):
        return {}
    warnings: dict[str, str] = {}
    for field in form.fields:
        value = values.get(field.name)
        if field.is_free_text and isinstance(value, str):
            warning = guard.warn(value)
            if warning is not None:
                warnings[field.name] = warning.message(field.label)
    if warnings:
        warnings[CONFIRM_NOT_PATIENT.name] = CONFIRM_PLEASE
    return warnings


def clean_form(
    form: Form, raw: Mapping[str, Any], guard: PatientDataGuard
) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate every field; returns (values, errors). Unknown keys are ignored, not trusted.

    Name warnings come last, once every answer is otherwise acceptable, so the confirmation is
    asked for only about text that would otherwise be stored.
    """
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in form.fields:
        try:
            values[field.name] = clean_field(field, raw.get(field.name), guard)
        except FieldError as exc:
            errors[field.name] = str(exc)
    if not errors:
        errors = name_warnings(form, values, raw, guard)
    return values, errors


TITLE_LIMIT = 150
"""How long a title typed after a command (`/idea <title>`) may be: the forms' title limit."""


def typed_title(typed: str, limit: int = TITLE_LIMIT) -> tuple[str, dict[str, str]]:
    """A title typed after a command, for the form's title field: with, when it was too long
    to keep whole, the message the form shows under the field saying it was shortened."""
    text = typed.strip()
    if len(text) <= limit:
        return text, {}
    cut = text[:limit]
    if " " in cut[limit // 2 :]:  # end on a whole word when one ends late enough
        cut = cut.rsplit(" ", 1)[0]
    return cut, {
        "title": f"Your title was {len(text):,} characters, and a title may have {limit}, so "
        "it was shortened: please check it, and put the detail in the questions below."
    }


def as_raw(field: Field, value: Any) -> str | list[str] | None:
    """A typed value back to what a form shows (for pre-filling and keeping input after errors)."""
    if value is None:
        return None
    if field.kind is FieldKind.MULTI_CHOICE:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if field.kind is FieldKind.EMAILS:
        return ", ".join(value) if isinstance(value, list) else str(value)
    if field.kind is FieldKind.BOOL:
        return "yes" if value in (True, "yes", "true") else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
