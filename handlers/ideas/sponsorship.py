"""A Big Idea's sponsor: named with the business case, asked, and the only one who may answer.

A Big Idea goes nowhere until its sponsor accepts: one submitted as a Big Idea then goes to the
panel for screening, a promoted one back to the panel's review. A declined sponsorship returns
the idea to the panel as a Bright Idea, with the sponsor's reason, and the business case is kept
for a promotion with another sponsor. Nobody sponsors an idea they submitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers import cards
from handlers.audit import record
from handlers.context import Context
from handlers.errors import FieldProblem, UserError
from handlers.ideas.forms import CASE_FIELDS
from handlers.ideas.lifecycle import IdeaStatus
from handlers.ideas.views import idea_card, sponsor_outcome, sponsor_request
from messages.view import Reply
from store.models import Idea, Staff

ASKED = "asked"
ACCEPTED = "accepted"
DECLINED = "declined"


def accepted(idea: Idea) -> bool:
    """A Big Idea is approved only once its sponsor has accepted."""
    return idea.sponsor_state == ACCEPTED


def sponsor_named(ctx: Context, email: str, submitter_ids: set[int]) -> Staff:
    """The sponsor an email names: someone in the directory who is not a submitter."""
    sponsor = ctx.uow.staff.by_email(email)
    if sponsor is None or not sponsor.active:
        raise FieldProblem(
            "sponsor",
            f"{email} is not in the staff directory: check the spelling, or name someone who is.",
        )
    if sponsor.id in submitter_ids:
        raise FieldProblem(
            "sponsor",
            f"{sponsor.display_name} shares this idea, so cannot sponsor it: "
            "name a senior colleague who is not one of its submitters.",
        )
    return sponsor


def store_case(idea: Idea, values: Mapping[str, Any]) -> None:
    """The business case, as the form cleaned it (free text already past the patient-data
    guard)."""
    for name in CASE_FIELDS:
        setattr(idea, name, values.get(name))


def ask(ctx: Context, idea: Idea, sponsor: Staff) -> None:
    """Name `sponsor`, park the idea until they answer, and ask them (with Accept / Decline…)."""
    idea.sponsor_id = sponsor.id
    idea.sponsor_state = ASKED
    idea.sponsor_reason = None
    idea.sponsor_asked_at = ctx.now
    idea.status = IdeaStatus.AWAITING_SPONSOR.value
    idea.status_changed_at = ctx.now
    idea.updated_at = ctx.now
    request = sponsor_request(idea, ctx.config, sponsor.display_name, submitter_names(ctx, idea))
    ctx.enqueuer.to_person(
        sponsor.id,
        request,
        f"idea:{idea.ref}:sponsor:{ctx.now.isoformat()}",
        card=cards.key("idea", idea.ref),  # redrawn without Accept once answered or withdrawn
    )


def sponsor_name(ctx: Context, idea: Idea) -> str | None:
    person = ctx.uow.staff.get(idea.sponsor_id) if idea.sponsor_id is not None else None
    return person.display_name if person is not None else None


def check_sponsor_may_answer(ctx: Context, idea: Idea) -> None:
    """Only the named sponsor answers, and only while asked: the press carries only the
    reference, so who may answer is decided here, from the stored idea. (A sponsor is never a
    submitter: `sponsor_named` refused that when they were named.)"""
    if idea.status != IdeaStatus.AWAITING_SPONSOR or idea.sponsor_state != ASKED:
        raise UserError(
            f"{idea.ref} is no longer waiting for a sponsor (now: "
            f"{idea.status.replace('_', ' ')}), so nothing was changed."
        )
    if ctx.actor.staff_id is None or ctx.actor.staff_id != idea.sponsor_id:
        raise UserError(f"Only the sponsor named for {idea.ref} can accept or decline it.")


def accept(ctx: Context, idea: Idea) -> None:
    """The sponsor accepts: on to the panel (screening, or its review after a promotion)."""
    check_sponsor_may_answer(ctx, idea)
    target = IdeaStatus.PROMOTED if idea.promoted_at is not None else IdeaStatus.SUBMITTED
    _answer(ctx, idea, ACCEPTED, target, None)


def decline(ctx: Context, idea: Idea, reason: str) -> None:
    """The sponsor declines: back to the panel as a Bright Idea, with the reason."""
    check_sponsor_may_answer(ctx, idea)
    target = IdeaStatus.UNDER_REVIEW if idea.promoted_at is not None else IdeaStatus.SUBMITTED
    idea.kind = "bright"
    _answer(ctx, idea, DECLINED, target, reason)


def _answer(ctx: Context, idea: Idea, state: str, target: IdeaStatus, reason: str | None) -> None:
    before = {"status": idea.status, "sponsor_state": idea.sponsor_state}
    idea.sponsor_state = state
    idea.sponsor_reason = reason
    idea.status = target.value
    idea.status_changed_at = ctx.now
    idea.updated_at = ctx.now
    record(
        ctx,
        entity_type="idea",
        entity_ref=idea.ref,
        action=f"sponsor_{state}",
        before=before,
        after={"status": idea.status, "sponsor_state": state, "kind": idea.kind},
        reason=reason,
    )
    name = ctx.actor.name
    key = f"idea:{idea.ref}:sponsor_{state}:{ctx.now.isoformat()}"
    told = sponsor_outcome(idea, name, for_panel=False)
    ctx.enqueuer.to_people((s.staff_id for s in idea.submitters), told, key)
    panel = sponsor_outcome(idea, name, for_panel=True)
    card = idea_card(
        idea,
        ctx.config,
        submitter_names=submitter_names(ctx, idea),
        panel_buttons=True,
        sponsor_name=name,
    )
    ctx.enqueuer.to_channel(
        "ideas_panel", Reply(panel.summary, (*panel.blocks, *card)), key + ":panel"
    )


def submitter_names(ctx: Context, idea: Idea) -> list[str]:
    """Anonymous ideas have no submitter rows, so this is empty for them whatever the mode."""
    people = [ctx.uow.staff.get(s.staff_id) for s in idea.submitters]
    return [p.display_name for p in people if p is not None]


def tell_sponsor_withdrawn(ctx: Context, idea: Idea, reply: Reply) -> None:
    """A withdrawn idea no longer waits for its sponsor: say so, so they are not left asked."""
    if idea.sponsor_id is not None and idea.sponsor_state == ASKED:
        idea.sponsor_state = None
        ctx.enqueuer.to_person(idea.sponsor_id, reply, f"idea:{idea.ref}:sponsor_withdrawn")
