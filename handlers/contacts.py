"""Staff mobile numbers and alert email addresses: validated, normalised, merged by source.

These are personal data. Nothing here ever puts a number or an address into a message, an
error, a log line or an audit entry: problems name the line and the field, never the value.

Numbers are checked as GOV.UK Notify checks them (it would refuse anything else, after
charging the request to our rate limit): only digits, spaces and `()-+`, parsed as a UK number
by `phonenumbers` (the library Notify itself uses), UK mobiles only, and the Ofcom range kept
for drama and tests (07700 900000-900999) admitted although `phonenumbers` calls it invalid.

Where a value came from decides what may replace it: an operator's (the config's
`[[people]]`, a CSV import) always wins; the directory (Microsoft Graph) fills in and updates
only what it gave itself, and clearing it in the directory clears only that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from handlers.config import EMAIL_RE
from handlers.mobile import ContactProblem, normalise_uk_mobile
from store.models import StaffContact
from store.uow import UnitOfWork

Source = Literal["config", "csv", "graph"]
OPERATOR_SOURCES: Final = frozenset({"config", "csv"})

MAX_EMAIL: Final = 254


def normalise_email(raw: str) -> str:
    """The address lower-cased, or ContactProblem (without the address)."""
    value = raw.strip().lower()
    if len(value) > MAX_EMAIL or not EMAIL_RE.match(value):
        raise ContactProblem("the email address is not an email address")
    return value


# ------------------------------------------------------------------------------- merging


class Keep:
    """Said of a field the source says nothing about: leave it as it is."""


KEEP: Final = Keep()


@dataclass(frozen=True)
class ContactChange:
    """What one source says about one person: a new value, None (it has none), or KEEP."""

    staff_id: int
    mobile: str | Keep | None = KEEP
    email: str | Keep | None = KEEP


def merge(current: StaffContact, change: ContactChange, source: Source) -> list[str]:
    """Apply `change` from `source` to `current` in place; returns the fields changed (names
    only). The directory never overwrites or clears an operator's value; a changed number or
    address is no longer marked as refused."""
    changed: list[str] = []
    for field in ("mobile", "email"):
        wanted = getattr(change, field)
        if isinstance(wanted, Keep):
            continue
        held, held_source = getattr(current, field), getattr(current, f"{field}_source")
        if source == "graph" and held_source in OPERATOR_SOURCES:
            continue
        if wanted == held and (wanted is None or held_source == source):
            continue
        setattr(current, field, wanted)
        setattr(current, f"{field}_source", source if wanted is not None else None)
        if wanted != held:
            setattr(current, f"{field}_failed_at", None)
        changed.append(field)
    return changed


def usable(values: StaffContact) -> tuple[str | None, str | None]:
    """The mobile and email to use now: a value Notify refused is skipped until it changes."""
    mobile = values.mobile if values.mobile_failed_at is None else None
    email = values.email if values.email_failed_at is None else None
    return mobile, email


def graph_change(
    staff_id: int, mobile: str | Keep | None, email: str | Keep | None, work_email: str
) -> tuple[ContactChange, bool]:
    """What the directory's `mobilePhone` and `mail` say about a person (KEEP: not in this
    change). A number that is not a UK mobile (a desk line, an extension) is taken as none;
    the second value says whether one was set aside, to be counted (never shown). A `mail`
    that is the person's work email is not kept twice."""
    refused = False
    if isinstance(mobile, str):
        try:
            mobile = normalise_uk_mobile(mobile)
        except ContactProblem:
            mobile, refused = None, True
    if isinstance(email, str):
        try:
            email = normalise_email(email)
        except ContactProblem:
            email = None
        if email == work_email:
            email = None  # the usual case: alert emails go to the work address anyway
    return ContactChange(staff_id, mobile=mobile, email=email), refused


def config_changes(
    people: Sequence[tuple[int, str | None, str | None]],
) -> list[ContactChange]:
    """Changes from the config's people: (staff id, mobile, alert email), already validated
    when the config was loaded. A person the config gives no number says nothing (KEEP)."""
    return [
        ContactChange(
            staff_id,
            mobile=normalise_uk_mobile(mobile) if mobile else KEEP,
            email=normalise_email(email) if email else KEEP,
        )
        for staff_id, mobile, email in people
    ]


def apply_changes(
    uow: UnitOfWork, changes: Sequence[ContactChange], source: Source, now: datetime
) -> int:
    """Merge each change into the person's contact row (made when needed); returns how many
    people's details changed. Several changes for one person apply in order."""
    if not changes:
        return 0
    rows = uow.contacts.for_staff({c.staff_id for c in changes})
    changed: set[int] = set()
    for change in changes:
        row = rows.get(change.staff_id)
        if row is None and not any(isinstance(v, str) for v in (change.mobile, change.email)):
            continue  # nothing to keep: no empty row
        if row is None:
            row = rows[change.staff_id] = StaffContact(staff_id=change.staff_id, updated_at=now)
            uow.contacts.add(row)
        if merge(row, change, source):
            row.updated_at = now
            changed.add(change.staff_id)
    return len(changed)
