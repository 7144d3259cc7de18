"""Personal acknowledgement links: `/ack/{token}` in a text or email, one per message.

Staff who are not on Slack or Teams acknowledge a critical alert from the link in their text
or email. The link is the credential, so:

- the token is 144 random bits (`secrets`), and only its SHA-256 is stored: a database dump
  yields no working link (a plain hash is enough: nobody can search 2**144 tokens);
- it is bound to one alert and one person (the row says which; it can acknowledge for no one
  else) and is spent by the first press;
- it expires with the alert: at its acknowledgement deadline, when it is closed, or when a
  correction or retraction replaces it;
- opening it (GET) never acknowledges, because mail gateways' link scanners open links; only
  the page's button (a POST) does.

Every message gets a new link, so no two texts are identical (Notify limits identical messages).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from handlers.alerts import service
from handlers.context import Context, actor_for
from handlers.permissions import allowed
from store.models import Alert
from store.uow import UnitOfWork

TOKEN_BYTES = 18
"""144 bits: at least 128, and a multiple of three so the token has no padding (24 characters,
which keeps a text to one fragment)."""
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{24}")
AGAIN = timedelta(minutes=10)
"""A spent link pressed again this soon (a double press, a reload) shows the acknowledgement
again; later it is refused like any used link."""

State = Literal["open", "acknowledged", "used", "expired", "replaced", "denied", "unknown"]


@dataclass(frozen=True)
class Seen:
    """What a link leads to now. Only `open`, `acknowledged`, `expired` and `replaced` carry the
    alert: a used or unknown link says nothing about any alert."""

    state: State
    alert: Alert | None = None
    name: str = ""
    acked_at: datetime | None = None
    replaced_by: str = ""
    original_ref: str | None = None
    """The alert a correction or retraction replaces (for its headline)."""
    new: bool = False
    """This request recorded the acknowledgement (the first press)."""
    link_id: int = 0
    staff_id: int = 0
    channel: str = ""
    """The channel whose message carried the link ("sms"/"email"; empty when not known)."""


UNKNOWN = Seen("unknown")


def digest(token: str) -> str:
    """What is stored for a token (and looked up when it comes back)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def ack_link(ctx: Context, alert: Alert, staff_id: int, channel: str | None = None) -> str:
    """A new personal link for `staff_id` to acknowledge `alert` (a new one on every call),
    for a message on `channel`, which an acknowledgement by it is then recorded as."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    ctx.uow.alerts.add_ack_link(digest(token), alert.id, staff_id, ctx.now, channel)
    return f"{ctx.config.organisation.web_base_url.rstrip('/')}/ack/{token}"


def look(uow: UnitOfWork, raw: str, now: datetime) -> Seen:
    """What the link `raw` leads to at `now`, without changing anything (a GET)."""
    if not TOKEN_SHAPE.fullmatch(raw):
        return UNKNOWN  # no query for what cannot be a token (a stored hash is 64 characters)
    link = uow.alerts.ack_link(digest(raw))
    if link is None:
        return UNKNOWN
    alert = uow.alerts.get(link.alert_id)
    staff = uow.staff.get(link.staff_id)
    row = uow.alerts.recipient_now(link.alert_id, link.staff_id)
    if alert is None or staff is None or not staff.active or row is None:
        return UNKNOWN
    if alert.status not in service.SENT:
        return UNKNOWN
    original = uow.alerts.get(alert.corrects_id) if alert.corrects_id else None
    seen = Seen(
        "open",
        alert,
        staff.display_name,
        row.acked_at,
        original_ref=original.ref if original else None,
        link_id=link.id,
        staff_id=staff.id,
        channel=link.channel or "",
    )
    if link.used_at is not None:
        recent = now - link.used_at <= AGAIN and row.acked_at is not None
        return replace(seen, state="acknowledged") if recent else Seen("used")
    later = uow.alerts.replaced_by(alert.id, service.SENT)
    if later is not None:
        return replace(seen, state="replaced", replaced_by=later.ref)
    if alert.status == "closed" or now >= alert.ack_deadline:
        return replace(seen, state="expired")
    if row.acked_at is not None:  # on chat, or by another of their links
        return replace(seen, state="acknowledged")
    return seen


def redeem(ctx: Context, raw: str) -> Seen:
    """The Acknowledge button on the link's page (a POST): spend the link and record the
    acknowledgement for the person it was sent to, once. `ctx.actor` is not used: possession of
    the link is the credential, and it acts only as the person it is bound to."""
    seen = look(ctx.uow, raw, ctx.now)
    if seen.state != "open" or seen.alert is None:
        return seen
    staff = ctx.uow.staff.get(seen.staff_id)
    assert staff is not None
    person = replace(ctx, actor=actor_for(ctx.uow, staff), platform=seen.channel or ctx.platform)
    if not allowed(ctx.config, person.actor.roles, "alert.ack"):
        return Seen("denied")
    ctx.uow.alerts.spend_ack_link(seen.link_id, ctx.now)
    row, new = service.acknowledge(person, seen.alert)
    if row is None:
        return UNKNOWN
    return replace(seen, state="acknowledged", acked_at=row.acked_at, new=new)
