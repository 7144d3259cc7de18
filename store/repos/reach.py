"""Which staff a deployment's channels can message, as SQL: the one seam every channel extends.

A person drops silently out of a critical alert when no channel can reach them, so who is
reachable is decided in one place, by the identities on record: a Slack user id (known from
their messages to the bot, or found by email when a message was sent), a Teams (Entra) object
id without a chat that blocked the bot. A channel that reaches people some other way (texts and
email through GOV.UK Notify, from the contacts it holds) adds its own clause to CLAUSES.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from store.models import Staff, StaffContact, TeamsConversation

ANYONE = "anyone"
"""The console (and the tests' in-memory platform): it delivers to every person."""


def _slack() -> ColumnElement[bool]:
    return Staff.slack_user_id.is_not(None)


def _teams() -> ColumnElement[bool]:
    blocked = exists(
        select(TeamsConversation.id).where(
            TeamsConversation.staff_id == Staff.id,
            TeamsConversation.kind == "personal",
            TeamsConversation.blocked_at.is_not(None),
        )
    )
    return and_(Staff.teams_aad_id.is_not(None), ~blocked)


def _sms() -> ColumnElement[bool]:
    """A mobile number on record that Notify has not refused."""
    return exists(
        select(StaffContact.staff_id).where(
            StaffContact.staff_id == Staff.id,
            StaffContact.mobile.is_not(None),
            StaffContact.mobile_failed_at.is_(None),
        )
    )


def _email() -> ColumnElement[bool]:
    """The work address unless Notify refused it (an alert email on record is used first, and
    the work address when that was refused: handlers/outbox/claim.py direct_target)."""
    refused = exists(
        select(StaffContact.staff_id).where(
            StaffContact.staff_id == Staff.id,
            StaffContact.email.is_(None),
            StaffContact.email_failed_at.is_not(None),
        )
    )
    return and_(Staff.email.is_not(None), Staff.email != "", ~refused)


CLAUSES: dict[str, Callable[[], ColumnElement[bool]]] = {
    "slack": _slack,
    "teams": _teams,
    "sms": _sms,
    "email": _email,
    ANYONE: true,
}
"""Channel name → the staff it can message."""
CHAT = frozenset({"slack", "teams", ANYONE})
"""The channels an alert's first message and chat reminders go by (texts and emails go only
by the channel policy, handlers/alerts/policy.py)."""


def reachable_by(channels: Iterable[str]) -> ColumnElement[bool]:
    """Staff at least one of `channels` can message (none: nobody). An unknown channel name is
    a programming error, not nobody: it raises KeyError."""
    return or_(false(), *(CLAUSES[name]() for name in sorted(set(channels))))
