"""What one viewer sees of one idea, decided once for the chat's card (`/idea status`, Open)
and the web's idea page: whether they are offered support, whether a confidential submitter
is named to them, and the idea's history with the reason of every decision."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from handlers.context import Context
from handlers.ideas import service, sponsorship
from handlers.ideas.forms import KIND_LABELS
from handlers.ideas.lifecycle import IDEA_OPEN, status_label
from handlers.ideas.views import case_parts, idea_facts
from handlers.permissions import allowed
from messages.view import Fact
from store.models import Idea

ANONYMOUS_NOTE = (
    "Anonymous ideas are not listed (we keep no link to you): "
    "use /idea status with your receipt code."
)
"""Said under "your ideas" in chat and on the web: nothing links an anonymous idea to you."""


def knows_confidential(ctx: Context, idea: Idea) -> bool:
    """A confidential submitter is named to themselves and to roles with
    `idea.see_confidential`; an anonymous one to nobody (there is no name to show)."""
    return service.may_see_confidential(ctx) or service.is_submitter(ctx, idea)


def offers_support(ctx: Context, idea: Idea, *, receipt: str | None = None) -> bool:
    """Whether the viewer is offered "Support this idea": an open idea that is not theirs
    (nor followed by its receipt), with the permission, not yet supported by them. Pressing
    it checks all of this again (service.support)."""
    return (
        idea.status in IDEA_OPEN
        and not receipt
        and ctx.actor.staff_id is not None
        and not service.is_submitter(ctx, idea)
        and allowed(ctx.config, ctx.actor.roles, "idea.support")
        and not ctx.uow.ideas.has_support(idea.id, ctx.actor.staff_id)
    )


@dataclass(frozen=True)
class Step:
    """One entry of an idea's history: what happened on which day, and the reason given."""

    on: date
    what: str
    reason: str | None


def history(ctx: Context, idea: Idea) -> list[Step]:
    """The idea's audit trail in order, without who acted (a confidential or anonymous
    submitter is among them)."""
    return [
        Step(ctx.calendar.local(e.at).date(), e.action.replace("_", " "), e.reason)
        for e in ctx.uow.audit.for_entity("idea", idea.ref)
    ]


@dataclass(frozen=True)
class IdeaPage:
    """One idea as the web's idea page shows it to one viewer (the chat card's content)."""

    ref: str
    kind: str
    title: str
    status: str
    status_label: str
    facts: list[Fact]
    problem: str
    proposed_change: str
    benefit_detail: str | None
    case: list[tuple[str, str]]
    sponsor_declined: str | None
    latest_reason: str | None
    history: list[Step]
    may_support: bool


def idea_page(ctx: Context, idea: Idea) -> IdeaPage:
    """`idea` as the person acting may see it; the caller found it through service.find, so
    they may see it at all."""
    facts = idea_facts(
        idea,
        ctx.config,
        submitter_names=sponsorship.submitter_names(ctx, idea),
        may_see_confidential=knows_confidential(ctx, idea),
        sponsor_name=sponsorship.sponsor_name(ctx, idea),
    )
    declined = idea.sponsor_reason if idea.sponsor_state == sponsorship.DECLINED else None
    return IdeaPage(
        ref=idea.ref,
        kind=KIND_LABELS.get(idea.kind, idea.kind),
        title=idea.title,
        status=idea.status,
        status_label=status_label(idea.status),
        facts=facts,
        problem=idea.problem,
        proposed_change=idea.proposed_change,
        benefit_detail=idea.benefit_detail,
        case=case_parts(idea),
        sponsor_declined=declined,
        latest_reason=idea.decision_reason,
        history=history(ctx, idea),
        may_support=offers_support(ctx, idea),
    )
