"""Cards that show the truth: when a record changes, every message that shows it as a card is
drawn again for its own audience and replaced in place; a button pressed on a card that is
out of date explains what happened instead of acting.

A message is a card of a record when it is queued with `card="<kind>:<ref>"` (the outbox row's
`card` column). At the end of the unit of work that changed the record (any audit entry for it,
handlers/audit.py), `refresh` draws each of its newest cards again: for a person, as that
person may see it, with the buttons they may use now (their own roles and relation to the
record, so never a button they may not use); for a channel, as a shared place, with the
buttons of the role the channel serves. A card not yet sent is rewritten; one already sent
gets an update through the outbox (retried, never dropped), one per card and change.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from handlers.context import Actor, Context, actor_for
from handlers.registry import CardView
from messages.view import Notice, Reply, SmallPrint
from store.models import OutboxMessage

CARD_LIMIT = 20
"""The newest cards of one record updated per change. Older ones (a long-lived action's early
reminders) are left as they are; a press on one is answered as out of date (`stale_reply`)."""
CHANGED = "cards.changed"
"""ctx.memo key: the records changed in this unit of work, in order."""
SUPERSEDED = "withdrawn: a newer update of this card was queued"

VERBS = {
    "completion_submitted": "marked complete",
    "not_verified": "sent back as not verified",
    "reaudit_passed": "re-audited (passed)",
    "reaudit_failed": "re-audited (failed)",
    "extension_requested": "given an extension request",
    "extension_approved": "given its extension",
    "extension_declined": "refused its extension",
    "approval_requested": "sent for approval",
    "emergency_send": "sent as a tier-5 emergency",
    "progress_update": "updated",
    "unblocked": "unblocked",
}
"""Audit actions that do not read well after "was"; the rest read as they are ("verified")."""
FOLLOWS = frozenset({"sent"})
"""Moves that follow at once from the decision before them (an approved alert is sent)."""


class Entry(Protocol):
    """What an out-of-date press reads of an audit entry."""

    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def actor_id(self) -> int | None: ...
    @property
    def actor_label(self) -> str: ...
    @property
    def after(self) -> dict[str, Any] | None: ...


def key(kind: str, ref: str) -> str:
    """The outbox `card` value of a record's cards."""
    return f"{kind}:{ref}"


def changed(ctx: Context, kind: str, ref: str) -> None:
    """Note that a record changed: its cards are drawn again just before this unit of work
    commits, once, whatever else it changes after this."""
    if kind not in ctx.registry.cards:
        return
    ctx.memo.setdefault(CHANGED, {})[(kind, ref)] = None
    ctx.uow.before_commit(CHANGED, lambda: _refresh(ctx))


def _refresh(ctx: Context) -> None:
    refresh(ctx)


def refresh(ctx: Context) -> int:
    """Queue the update of every changed record's cards. Returns how many were queued."""
    done = 0
    for kind, ref in ctx.memo.pop(CHANGED, {}):
        done += refresh_record(ctx, kind, ref)
    return done


def refresh_record(ctx: Context, kind: str, ref: str) -> int:
    """Draw the newest cards of one record again, each for its own audience. Cards queued in
    this unit of work were drawn after the change and are left alone."""
    rows = [
        row
        for row in ctx.uow.outbox.cards_showing(key(kind, ref), CARD_LIMIT)
        if row.dedupe_key not in ctx.enqueuer.fresh_cards
    ]
    if not rows:
        return 0
    entries = ctx.uow.audit.for_entity(kind, ref)
    change = entries[-1].id if entries else 0
    queued = 0
    for row in rows:
        viewer = viewer_for(ctx, row)
        view = ctx.registry.cards[kind](viewer, ref, row.channel is not None) if viewer else None
        if view is None:
            continue
        payload = ctx.enqueuer.payload(updated(ctx, ref, row, view))
        if row.status == "pending" and ctx.uow.outbox.rewrite_pending(row.id, payload):
            continue
        queued += _queue_update(ctx, row, payload, change)
    return queued


def _queue_update(ctx: Context, row: OutboxMessage, payload: dict[str, object], change: int) -> int:
    """One update per card and change (the change is its latest audit entry); an older update
    still waiting is withdrawn, so a retried one never lands after a newer one."""
    prefix = f"card:{row.id}:"
    ctx.uow.outbox.withdraw_pending([prefix], SUPERSEDED)
    queued = ctx.uow.outbox.enqueue(
        dedupe_key=f"{prefix}a{change}",
        payload={**payload, "update": {"row": row.id}},
        now=ctx.now,
        recipient_id=row.recipient_id,
        channel=row.channel,
    )
    return int(queued)


def viewer_for(ctx: Context, row: OutboxMessage) -> Context | None:
    """Who sees this card: the person it was sent to (as they are now, with their roles), or
    the role a channel serves. None for someone who has left the directory."""
    if row.recipient_id is not None:
        staff = ctx.uow.staff.get(row.recipient_id)
        if staff is None or not staff.active:
            return None
        return as_viewer(ctx, actor_for(ctx.uow, staff))
    assert row.channel is not None
    return as_viewer(ctx, channel_actor(ctx, row.channel))


def channel_actor(ctx: Context, channel: str) -> Actor:
    """A channel seen as the people it serves: a committee's channel its members and
    governance leads, a channel named after a role (ideas_panel) that role. Nobody in
    particular, so no button that belongs to one person (owner, verifier, submitter)."""
    roles = {"staff", channel}
    for code, committee in ctx.config.committees.items():
        if committee.channel == channel:
            roles |= {"committee_member", f"committee:{code}"}
            roles |= {"governance_lead", f"governance:{code}"}
    return Actor(staff_id=None, email="", name=channel, roles=frozenset(roles))


def as_viewer(ctx: Context, actor: Actor) -> Context:
    """`ctx` as `actor` sees it: the same unit of work and instant."""
    viewer = Context(ctx.services, ctx.uow, actor, ctx.platform)
    viewer.__dict__["now"] = ctx.now  # the cached_property: one instant per unit of work
    return viewer


def updated(ctx: Context, ref: str, row: OutboxMessage, view: CardView) -> Reply:
    """The card drawn again: what it was first sent about, then the record as it is now."""
    summary = str(row.payload.get("reply", {}).get("summary", ref))
    at = ctx.calendar.local(ctx.now).strftime("%H:%M on %d %b")
    return Reply(
        summary=summary,
        blocks=(
            Notice(summary, "info"),
            SmallPrint(f"Updated at {at}: this card shows {ref} as it is now."),
            *view.blocks,
        ),
    )


# ------------------------------------------------------------------ out-of-date presses
def stale_reply(ctx: Context, kind: str, ref: str) -> Reply | None:
    """The answer to a button pressed on an out-of-date card: what happened, by whom and
    when (from the audit trail), and the card as it is now for the person who pressed,
    drawn as for a shared place (it replaces the pressed message, which may be in a
    channel). None when the record cannot be drawn for them."""
    render = ctx.registry.cards.get(kind)
    view = render(ctx, ref, True) if render is not None else None
    if view is None:
        return None
    text = (
        f"{what_happened(ctx, kind, ref, view.hidden)}; "
        "this card was out of date and has been refreshed. Nothing was changed."
    )
    return Reply(
        summary=text,
        blocks=(Notice(text, "warning"), *view.blocks),
        replace_original=True,
    )


def what_happened(ctx: Context, kind: str, ref: str, hidden: frozenset[int]) -> str:
    """ "ACT-2026-0003 was verified by Sam Patel at 14:02": the record's latest change of
    status, else its latest entry."""
    entries = ctx.uow.audit.for_entity(kind, ref)
    entry = _latest_move(entries)
    if entry is None:
        return f"{ref} has moved on"
    return f"{ref} {_verb(entry)} by {_who(ctx, entry, hidden)} at {_when(ctx, entry)}"


def _latest_move(entries: Sequence[Entry]) -> Entry | None:
    """The latest move, or the decision just before it when it only followed from that
    decision ("approved", not the "sent" that approving does at once)."""
    moves = [e for e in entries if isinstance(e.after, dict) and "status" in e.after]
    found = moves or list(entries)
    if len(found) > 1 and found[-1].action in FOLLOWS:
        return found[-2]
    return found[-1] if found else None


def _verb(entry: Entry) -> str:
    """'was verified', or "moved to 'not eligible'" where the audit's word is not a verb."""
    word = VERBS.get(entry.action, entry.action.replace("_", " "))
    if word.endswith("ed") or entry.action in VERBS:
        return f"was {word}"
    status = entry.after.get("status") if isinstance(entry.after, dict) else None
    return f"moved to '{str(status).replace('_', ' ')}'" if status else "was changed"


def _who(ctx: Context, entry: Entry, hidden: frozenset[int]) -> str:
    if entry.actor_label == "anonymous" or entry.actor_id in hidden:
        return "its submitter"
    if entry.actor_id is None:
        return "QI Hub"
    if entry.actor_id == ctx.actor.staff_id:
        return "you"
    person = ctx.uow.staff.get(entry.actor_id)
    return person.display_name if person is not None else "someone who has left"


def _when(ctx: Context, entry: Entry) -> str:
    local = ctx.calendar.local(entry.at)
    if local.date() == ctx.calendar.local(ctx.now).date():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local:%d %b}"
