"""An alert's approval and draft cards drawn again for one viewer (handlers/cards.py).

Only the cards sent to one person (the approvers' "approval needed", the publisher's
rejected draft) are kept true this way. The Acknowledge cards of a broadcast (every member
of staff, and the all-staff post) are not: an alert's own paths replace those (corrections and
retractions, handlers/alerts/broadcast.py) and the publisher's status message follows the
acknowledgements. Those are never queued as cards, so never drawn here."""

from __future__ import annotations

from handlers.alerts import service, views
from handlers.context import Context
from handlers.registry import CardView
from messages.view import Block, Buttons, Notice


def render(ctx: Context, ref: str, _shared: bool) -> CardView | None:
    """The same for a shared place: an alert's card names nobody who may not be named."""
    alert = ctx.uow.alerts.by_ref(ref)
    if alert is None:
        return None
    status = views.STATUS_LABELS.get(alert.status, alert.status)
    blocks: list[Block] = [
        Notice(f"Now: {status}.", "info"),
        *service.broadcast_body(ctx, alert),
    ]
    if service.may_approve(ctx, alert):
        blocks.append(Buttons(service.approval_buttons(alert)))
    elif alert.status == "draft" and alert.publisher_id == ctx.actor.staff_id:
        blocks.append(service.draft_buttons(alert))
    return CardView(tuple(blocks))
