"""An idea's card drawn again for one viewer (handlers/cards.py)."""

from __future__ import annotations

from handlers.context import Context
from handlers.ideas import commands, service, sponsorship, visibility
from handlers.ideas.views import idea_card
from handlers.permissions import allowed
from handlers.registry import CardView


def render(ctx: Context, ref: str, shared: bool) -> CardView | None:
    """In a shared place (the panel's channel) the card as it was posted, with the panel's
    decisions when the viewer may decide; for one person, the card `/idea status` shows them.
    A confidential or anonymous submitter is never named to someone who may not know them,
    and an idea they may not see (handlers/ideas/visibility.py) is not drawn for them at all."""
    idea = visibility.visible(ctx, ctx.uow.ideas.by_ref(ref))
    if idea is None:
        return None
    mine = service.is_submitter(ctx, idea)
    knows = idea.mode == "named" or (not shared and (mine or service.may_see_confidential(ctx)))
    hidden = frozenset() if knows else frozenset(s.staff_id for s in idea.submitters)
    if not shared:
        return CardView(tuple(commands._viewer_card(ctx, idea)), hidden)
    may_decide = allowed(ctx.config, ctx.actor.roles, "idea.decide") and not mine
    names = [] if idea.mode == "anonymous" else sponsorship.submitter_names(ctx, idea)
    blocks = idea_card(idea, ctx.config, submitter_names=names, panel_buttons=may_decide)
    return CardView(tuple(blocks), hidden)
