"""/qi mine and /qi actions: a person's open work, and a committee's actions, with RAG."""

from __future__ import annotations

from handlers import people, trend_commands
from handlers.actions.lifecycle import ACTION_OPEN, UNFINISHED, Rag
from handlers.actions.service import reassigners, today, verifiers
from handlers.actions.views import action_item, action_rag
from handlers.alerts.views import ack_button, when
from handlers.context import Context
from handlers.errors import UserError
from handlers.ideas.views import idea_items
from handlers.permissions import governs, sits_on
from handlers.registry import Invocation
from messages.view import Block, Heading, Item, Items, Reply, Response, SmallPrint
from store.models import Action

PAGE_SIZE = 15
RAG_ORDER = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.BLUE: 3, Rag.GREY: 4}


def mine(ctx: Context, _invocation: Invocation) -> Response:
    """The thirty-second view: what I owe, reddest first, and what waits on me."""
    assert ctx.actor.staff_id is not None
    day = today(ctx)
    owned = list(ctx.uow.actions.owned_by(ctx.actor.staff_id, [s.value for s in ACTION_OPEN]))
    to_verify = waiting_for_verification(ctx, ctx.actor.staff_id)
    reaudits = list(ctx.uow.actions.reaudits_led_by(ctx.actor.staff_id))
    pending = ctx.uow.actions.pending_extension_ids([a.id for a in owned])
    owned.sort(key=lambda a: (RAG_ORDER[action_rag(a, day, a.id in pending)], a.due_date))
    red = sum(action_rag(a, day, a.id in pending) == Rag.RED for a in owned)
    alerts = alerts_to_acknowledge(ctx, ctx.actor.staff_id)
    blocks: list[Block] = [ALERTS_HEADING, alerts] if alerts.items else []
    blocks += [
        Heading("Your actions"),
        Items(
            tuple(action_item(a, day, a.id in pending, owner=False) for a in owned),
            empty_text="No open actions: nothing is waiting on you.",
        ),
    ]
    if to_verify:
        blocks += [
            Heading("Waiting for your verification"),
            Items(tuple(action_item(a, day, False) for a in to_verify)),
        ]
    to_reassign = waiting_for_reassignment(ctx, ctx.actor.staff_id)
    if to_reassign:
        blocks += [
            Heading("Declined: waiting for you to reassign"),
            Items(tuple(action_item(a, day, False) for a in to_reassign)),
        ]
    if reaudits:
        blocks += [
            Heading("Re-audits you lead"),
            Items(tuple(action_item(a, day, False) for a in reaudits)),
        ]
    blocks += sponsorships_waiting(ctx, ctx.actor.staff_id)
    blocks += trend_commands.responses_led(ctx, ctx.actor.staff_id)
    summary = f"{len(owned)} open action{'s' if len(owned) != 1 else ''}"
    if red:
        summary += f", {red} overdue"
    blocks.append(
        SmallPrint("Open an action to update it, ask for more time or submit completion.")
    )
    return Reply(summary=summary, blocks=tuple(blocks))


ALERTS_HEADING = Heading("Critical alerts to acknowledge")
LIVE = ("sending", "live")
"""An alert's statuses in which its recipients are asked to acknowledge it."""


def alerts_to_acknowledge(ctx: Context, me: int, shown: int | None = None) -> Items:
    """Critical alerts waiting for `me` to acknowledge, soonest deadline first, each with its
    Acknowledge button: the same list in /qi mine, the home view and the web's my page."""
    waiting = ctx.uow.alerts.awaiting_ack_by(me, LIVE)[:shown]
    return Items(
        tuple(
            Item(
                title=alert.title,
                ref=alert.ref,
                detail=f"Acknowledge by {when(ctx.calendar, alert.ack_deadline)}",
                buttons=(ack_button(alert),),
            )
            for alert in waiting
        ),
        empty_text="None waiting for you.",
    )


def sponsorships_waiting(ctx: Context, me: int) -> list[Block]:
    """Big Ideas waiting for `me` to accept or decline sponsoring them (nothing if none)."""
    asked = ctx.uow.ideas.asked_to_sponsor(me)
    if not asked:
        return []
    return [Heading("Big Ideas asking you to sponsor them"), idea_items(asked, open_button=True)]


def waiting_for_verification(ctx: Context, me: int) -> list[Action]:
    """Completions waiting on `me` to verify, resolved as the verify step resolves them (a named
    verifier who has left, or owns it, falls back to the governance leads, then the chair)."""
    backstop = [
        code
        for code in ctx.config.committees
        if me in people.governance_leads(ctx, code) or me in people.chair(ctx, code)
    ]
    candidates = ctx.uow.actions.awaiting_verification(me, backstop)
    return [a for a in candidates if me in verifiers(ctx, a)]


def waiting_for_reassignment(ctx: Context, me: int) -> list[Action]:
    """Declined actions `me` may reassign: as a governance lead or chair of their committee,
    never as the owner who declined them."""
    mine = [
        code
        for code in ctx.config.committees
        if me in people.governance_leads(ctx, code) or me in people.chair(ctx, code)
    ]
    return [a for a in ctx.uow.actions.declined_in(mine) if me in reassigners(ctx, a)]


def committee_actions(ctx: Context, invocation: Invocation) -> Response:
    words = invocation.args.split()
    codes = [w.upper() for w in words if not w.isdecimal()]
    pages = [int(w) for w in words if w.isdecimal() and w.isascii()]
    if len(codes) != 1 or codes[0] not in ctx.config.committees:
        raise UserError("Which committee? Use /qi actions " + "|".join(ctx.config.committees))
    code = codes[0]
    roles = ctx.actor.roles
    if not (sits_on(roles, code) or governs(roles, code) or "admin" in roles):
        raise UserError(f"Only members of the {code} committee can list its actions.")
    page = max(pages[0] if pages else 1, 1)
    found, total = ctx.uow.actions.page_for_committee(
        code, [s.value for s in UNFINISHED], (page - 1) * PAGE_SIZE, PAGE_SIZE
    )
    day = today(ctx)
    pending = ctx.uow.actions.pending_extension_ids([a.id for a in found])
    last = max(1, -(-total // PAGE_SIZE))
    blocks: list[Block] = [
        Heading(f"{ctx.config.committees[code].name}: open actions"),
        Items(
            tuple(action_item(a, day, a.id in pending) for a in found),
            empty_text="No open actions.",
        ),
        SmallPrint(
            f"Page {page} of {last} · {total} open · soonest due first"
            + (f" · next: /qi actions {code} {page + 1}" if page < last else "")
        ),
    ]
    return Reply(summary=f"{total} open actions", blocks=tuple(blocks))
