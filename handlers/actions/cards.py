"""An action's card drawn again for one viewer (handlers/cards.py): the card `/action` shows
them, with only the steps they may take now."""

from __future__ import annotations

from handlers.actions.commands import card
from handlers.context import Context
from handlers.registry import CardView


def render(ctx: Context, ref: str, _shared: bool) -> CardView | None:
    """An action names no confidential submitter, so a shared place sees the same card."""
    action = ctx.uow.actions.by_ref(ref)
    if action is None:
        return None
    return CardView(card(ctx, action).blocks)
