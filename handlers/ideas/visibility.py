"""Who may see an idea (docs/domain.md, Ideas: who sees an idea).

Most ideas, once screened, are for every member of staff to read and support. Two screening
outcomes are not: an idea the panel *redirected* (to PALS, HR, IT, incident reporting or Freedom
to Speak Up) was really a personal matter, a complaint or a concern, and one found *not
eligible* was never accepted as an idea for the scheme. Those are seen only by their submitters
(or whoever holds the receipt of an anonymous one) and by people with the ideas panel's rights:
the config's `idea.list`, `idea.decide` or `idea.see_confidential`. Nor is an idea the panel has
not yet screened (`submitted`, or a Big Idea awaiting its sponsor that was never promoted): its
text may be what the panel would redirect, or hold a patient's details the guard missed, so, as
an untriaged lesson, it is seen only by those same people and by its named sponsor (who must
read it to accept). Anyone else is answered as if the idea did not exist: references are
sequential, and "you may not see IDEA-2026-0042" would confirm that it does, and what kind of
outcome it had.

Every path that reads an idea by reference asks here: `/idea status`, the Open button, support,
the card drawn again for one viewer (service.find and cards.render), and the web's ideas board
and idea pages, through `idea_scope` for queries and `may_see` for one idea.
"""

from __future__ import annotations

from handlers.config import OrgConfig
from handlers.context import Actor, Context
from handlers.ideas.lifecycle import IdeaStatus
from handlers.permissions import allowed
from store.models import Idea
from store.repos.ideas import IdeaScope

PRIVATE_OUTCOMES = frozenset({IdeaStatus.REDIRECTED, IdeaStatus.NOT_ELIGIBLE})
"""Screening outcomes seen only by the submitters and the panel."""
UNSCREENED = frozenset({IdeaStatus.SUBMITTED, IdeaStatus.AWAITING_SPONSOR})
"""Not yet looked at by the panel (a Big Idea awaiting its sponsor before it was ever
screened, i.e. never promoted): its text may hold what a panel would redirect (a patient's
details, a grievance), so, as an untriaged lesson, it is seen only by its submitters, its
named sponsor and the panel until screened."""

PANEL_RIGHTS = ("idea.list", "idea.decide", "idea.see_confidential")
"""Permissions that let a role see every idea, whatever became of it."""


def sees_every_idea(config: OrgConfig, actor: Actor) -> bool:
    return any(allowed(config, actor.roles, right) for right in PANEL_RIGHTS)


def idea_scope(config: OrgConfig, actor: Actor) -> IdeaScope:
    """The ideas `actor` may see, as a scope the repository turns into a query."""
    if sees_every_idea(config, actor):
        return IdeaScope(everything=True)
    private = frozenset(s.value for s in PRIVATE_OUTCOMES)
    unscreened = frozenset(s.value for s in UNSCREENED)
    return IdeaScope(
        private_statuses=private, unscreened_statuses=unscreened, submitter_id=actor.staff_id
    )


def in_scope(scope: IdeaScope, idea: Idea) -> bool:
    """`scope`'s rule for one loaded idea (the same rule as `scope.where()` in a query)."""
    unscreened = idea.status in scope.unscreened_statuses and idea.promoted_at is None
    return (
        scope.everything
        or (idea.status not in scope.private_statuses and not unscreened)
        or (
            scope.submitter_id is not None
            and any(s.staff_id == scope.submitter_id for s in idea.submitters)
        )
        or (unscreened and scope.submitter_id is not None and idea.sponsor_id == scope.submitter_id)
    )


def may_see(ctx: Context, idea: Idea) -> bool:
    """True when the person acting may see `idea` by its reference."""
    return in_scope(idea_scope(ctx.config, ctx.actor), idea)


def visible(ctx: Context, idea: Idea | None) -> Idea | None:
    """`idea` when the person acting may see it, else None (as for a missing reference)."""
    return idea if idea is not None and may_see(ctx, idea) else None
