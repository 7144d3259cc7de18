"""Server-side sessions for the Improvement Hub on the web.

The cookie carries a random token; the table holds its hash, so a session is revoked by deleting
its row (sign-out, sign out everywhere, a leaver) and a dump signs no one in. A session ends
after `idle` without a request and at `absolute` after sign-in, whatever happens. Who the
person is and what they may do is looked up again on every request, with the same code the
chat uses (handlers.context.actor_for): a member of staff marked inactive loses access at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.context import Actor, actor_for
from handlers.signin import tokens
from store.uow import UnitOfWork

TOUCH_EVERY = timedelta(minutes=1)
"""last_seen_at is written at most this often: reading a page need not be a write each time."""


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=10)


@dataclass(frozen=True)
class SignedIn:
    """The person behind a request, as of this request."""

    actor: Actor
    session_id: int
    csrf: str
    method: str

    @property
    def staff_id(self) -> int:
        assert self.actor.staff_id is not None
        return self.actor.staff_id

    @property
    def roles(self) -> frozenset[str]:
        return self.actor.roles


def start(uow: UnitOfWork, staff_id: int, method: str, now: datetime, policy: SessionPolicy) -> str:
    """A new session for `staff_id`; returns the token for the cookie (never stored)."""
    token = tokens.new_token()
    uow.hub.add_session(tokens.digest(token), staff_id, method, now, now + policy.absolute)
    return token


def resolve(
    uow: UnitOfWork, raw: str, now: datetime, policy: SessionPolicy, *, touch: bool = True
) -> SignedIn | None:
    """The signed-in person for the cookie `raw`, or None (no, expired or revoked session, or
    a person no longer active). An ended session's row is deleted on sight.

    `touch=False` leaves last_seen_at alone: for a form that may be sent anonymously, whose
    moment must not be written down next to the person's id (docs/information-governance.md)."""
    if not tokens.well_formed(raw):
        return None
    row = uow.hub.session_by_hash(tokens.digest(raw))
    if row is None:
        return None
    staff = uow.staff.get(row.staff_id)
    ended = now >= row.expires_at or now - row.last_seen_at >= policy.idle
    if ended or staff is None or not staff.active:
        uow.hub.end_session(row.id)
        return None
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        uow.hub.touch_session(row.id, now)
    return SignedIn(actor_for(uow, staff), row.id, tokens.csrf_for(raw), row.method)


def end(uow: UnitOfWork, raw: str) -> None:
    """Sign out: the session's row goes, so the cookie is worth nothing anywhere."""
    if tokens.well_formed(raw):
        row = uow.hub.session_by_hash(tokens.digest(raw))
        if row is not None:
            uow.hub.end_session(row.id)


def end_everywhere(uow: UnitOfWork, staff_id: int) -> int:
    """Every session of a person (sign out everywhere; an operator revoking access)."""
    return uow.hub.end_sessions_of(staff_id)
