"""One-time sign-in links, issued in chat by `/qi web` (Slack, Teams, the console), so a trust
without Entra ID, and the local trial, can sign in too.

The link is the credential, so it is single use, lives five minutes, is stored as a hash and is
rate-limited per person. Opening it (GET) only shows "Continue as …": link previews and mail
scanners fetch every URL. The POST from that page spends it and starts a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from handlers.context import Context
from handlers.errors import UserError
from handlers.signin import tokens
from store.uow import UnitOfWork

LIFETIME = timedelta(minutes=5)
PER_WINDOW = 5
WINDOW = timedelta(minutes=15)
"""At most PER_WINDOW links per person per WINDOW: enough for a mistyped try or two."""
PATH = "/hub/signin/link/"

State = Literal["open", "used", "expired", "unknown"]


@dataclass(frozen=True)
class Seen:
    """What a link leads to now; only an open link names its person."""

    state: State
    staff_id: int = 0
    name: str = ""
    link_id: int = 0


UNKNOWN = Seen("unknown")


def issue(ctx: Context) -> tuple[str, datetime]:
    """A new sign-in link for the person acting, and when it stops working."""
    staff_id = ctx.actor.staff_id
    if staff_id is None:
        raise UserError(
            "You are not in QI Hub's staff directory yet, so there is no account to sign in to."
        )
    if ctx.uow.hub.links_issued_since(staff_id, ctx.now - WINDOW) >= PER_WINDOW:
        raise UserError(
            f"You have asked for {PER_WINDOW} sign-in links in the last "
            f"{int(WINDOW.total_seconds() // 60)} minutes. Please wait a few minutes and ask "
            "again; the last link still works for five minutes after it was sent."
        )
    ctx.uow.hub.forget_links_before(ctx.now - WINDOW)  # spent or expired, and out of the count
    token = tokens.new_token()
    expires = ctx.now + LIFETIME
    ctx.uow.hub.add_link(tokens.digest(token), staff_id, ctx.now, expires)
    base = ctx.config.organisation.web_base_url.rstrip("/")
    return f"{base}{PATH}{token}", expires


def look(uow: UnitOfWork, raw: str, now: datetime) -> Seen:
    """What `raw` leads to at `now`, changing nothing (the GET a scanner makes)."""
    if not tokens.well_formed(raw):
        return UNKNOWN
    link = uow.hub.link(tokens.digest(raw))
    if link is None:
        return UNKNOWN
    staff = uow.staff.get(link.staff_id)
    if staff is None or not staff.active:
        return UNKNOWN
    if link.used_at is not None:
        return Seen("used")
    if now >= link.expires_at:
        return Seen("expired")
    return Seen("open", staff.id, staff.display_name, link.id)


def redeem(uow: UnitOfWork, raw: str, now: datetime) -> Seen:
    """Spend the link (the POST): `open` only for the one request that spent it."""
    seen = look(uow, raw, now)
    if seen.state != "open":
        return seen
    if not uow.hub.spend_link(seen.link_id, now):
        return Seen("used")
    return seen
