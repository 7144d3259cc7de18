"""Idea operations over the unit of work: submit, decide, support, withdraw, look up.

Each operation checks its own rules, changes state, appends to the audit log and queues the
notifications, all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import cards
from handlers.audit import record
from handlers.context import Context
from handlers.errors import FieldProblem, StaleCard, UserError
from handlers.ideas import sponsorship, visibility
from handlers.ideas.forms import CASE_FIELDS
from handlers.ideas.lifecycle import BY_NAME, IDEA_OPEN, IdeaStatus, Transition
from handlers.ideas.sponsorship import submitter_names
from handlers.ideas.views import decision_notice, idea_card
from handlers.permissions import allowed
from handlers.submission import among_submitters, find_by_ref_or_receipt, new_receipt, receipt_hash
from messages.view import Block, Notice, Reply, Text
from store.models import Idea, IdeaSubmitter


@dataclass(frozen=True)
class Submitted:
    idea: Idea
    receipt: str | None


def submit(
    ctx: Context, values: dict[str, Any], co_submitter_ids: list[int], kind: str = "bright"
) -> Submitted:
    """Store a new idea. Anonymous ideas record no identity, only a hash of the receipt code.

    A Big Idea's sponsor is checked against the person submitting (even an anonymous one, who
    is known for this one request and never stored) and is asked before the panel sees it."""
    anonymous = values["mode"] == "anonymous"
    sponsor = None
    if kind == "big":
        assert ctx.actor.staff_id is not None
        sharing = {ctx.actor.staff_id, *co_submitter_ids}
        sponsor = sponsorship.sponsor_named(ctx, values["sponsor"], sharing)
    year = ctx.calendar.local(ctx.now).year
    ref = ctx.uow.refs.next_ref("IDEA", year)
    receipt = new_receipt() if anonymous else None
    idea = Idea(
        ref=ref,
        kind=kind,
        title=values["title"],
        problem=values["problem"],
        proposed_change=values["proposed_change"],
        expected_benefits=values["benefits"] or [],
        benefit_detail=values["benefit_detail"],
        area=values["area"],
        srg=values["srg"],
        mode=values["mode"],
        credit_consent=bool(values["credit"]) and not anonymous,
        status=IdeaStatus.SUBMITTED.value,
        receipt_hash=receipt_hash(receipt) if receipt else None,
        created_at=ctx.now,
        updated_at=ctx.now,
        status_changed_at=ctx.now,
    )
    if not anonymous:
        assert ctx.actor.staff_id is not None
        idea.submitters.append(IdeaSubmitter(staff_id=ctx.actor.staff_id, is_lead=True))
        for staff_id in co_submitter_ids:
            if staff_id != ctx.actor.staff_id:
                idea.submitters.append(IdeaSubmitter(staff_id=staff_id, is_lead=False))
    if sponsor is not None:
        sponsorship.store_case(idea, values)
    ctx.uow.ideas.add(idea)
    if sponsor is not None:
        sponsorship.ask(ctx, idea, sponsor)  # its first status: waiting for the sponsor
    record(
        ctx,
        entity_type="idea",
        entity_ref=ref,
        action="submitted",
        after={"status": idea.status, "kind": idea.kind, "mode": idea.mode},
        anonymous=anonymous,
    )
    names = [] if anonymous else submitter_names(ctx, idea)
    panel_card = idea_card(
        idea,
        ctx.config,
        submitter_names=names,
        panel_buttons=True,
        sponsor_name=sponsor.display_name if sponsor else None,
    )
    ctx.enqueuer.to_channel(
        "ideas_panel",
        Reply(summary=f"New {idea.kind} idea {ref}: {idea.title}", blocks=tuple(panel_card)),
        key=f"idea:{ref}:submitted",
        card=cards.key("idea", ref),
    )
    return Submitted(idea, receipt)


def find(ctx: Context, ref_or_receipt: str) -> Idea:
    """The idea by reference (if this person may see it: handlers/ideas/visibility.py) or by
    receipt (whoever holds the receipt submitted it). One they may not see is answered as one
    that does not exist."""
    return find_by_ref_or_receipt(
        ref_or_receipt,
        lambda ref: visibility.visible(ctx, ctx.uow.ideas.by_ref(ref)),
        ctx.uow.ideas.by_receipt_hash,
        "an idea",
        "IDEA-2026-0001",
    )


def is_submitter(ctx: Context, idea: Idea) -> bool:
    return among_submitters(ctx, idea.submitters)


def may_see_confidential(ctx: Context) -> bool:
    return allowed(ctx.config, ctx.actor.roles, "idea.see_confidential")


def apply_transition(
    ctx: Context,
    idea: Idea,
    transition: Transition,
    reason: str | None,
    extra: dict[str, Any],
    *,
    via_receipt: bool = False,
) -> None:
    """Move `idea` along `transition`; the caller has checked who may. Notifies the submitters."""
    if idea.status not in transition.sources:
        raise StaleCard(
            "idea",
            idea.ref,
            f"{idea.ref} is now '{idea.status.replace('_', ' ')}', so it cannot be "
            f"{transition.button.rstrip('…').lower()}ed any more. Nothing was changed.",
        )
    before = {"status": idea.status}
    how = ""
    if transition.name == "duplicate":
        original = ctx.uow.ideas.by_ref(extra["duplicate_of"])
        if original is None or original.id == idea.id:
            raise FieldProblem("duplicate_of", "Give the reference of another, existing idea.")
        idea.duplicate_of_id = original.id
        how = (
            f"The original is {original.ref} ('{original.title}'): "
            f"support it with /idea support {original.ref}."
        )
    elif transition.name == "redirect":
        target = ctx.config.redirects[extra["redirect_to"]]
        idea.redirected_to = extra["redirect_to"]
        how = f"Please take it to {target.label}: {target.how}"
    elif transition.name == "approve" and idea.kind == "big" and not sponsorship.accepted(idea):
        raise UserError(
            f"{idea.ref} is a Big Idea without a sponsor who has accepted, so it cannot be "
            "approved yet: promote it with a sponsor, who is asked to accept."
        )
    sponsor = None
    if transition.name == "promote":
        sharing = {s.staff_id for s in idea.submitters}
        sponsor = sponsorship.sponsor_named(ctx, extra["sponsor"], sharing)
        sponsorship.store_case(idea, extra)
        idea.kind = "big"
        idea.promoted_at = ctx.now
    idea.status = transition.target.value
    idea.decision_reason = reason
    idea.status_changed_at = ctx.now
    idea.updated_at = ctx.now
    after: dict[str, Any] = {"status": idea.status}
    after.update({k: v for k, v in extra.items() if v and k not in CASE_FIELDS})
    if sponsor is not None:
        sponsorship.ask(ctx, idea, sponsor)
    record(
        ctx,
        entity_type="idea",
        entity_ref=idea.ref,
        action=transition.name,
        before=before,
        after=after,
        reason=reason,
        anonymous=via_receipt,
    )
    notice = decision_notice(idea, transition, reason, how)
    key = f"idea:{idea.ref}:{idea.status}:{ctx.now.isoformat()}"
    ctx.enqueuer.to_people((s.staff_id for s in idea.submitters), notice, key)
    if transition.by == "submitter":
        told = notice_for_panel(idea, reason)
        ctx.enqueuer.to_channel("ideas_panel", told, key)
        sponsorship.tell_sponsor_withdrawn(ctx, idea, told)


def notice_for_panel(idea: Idea, reason: str | None) -> Reply:
    text = f"{idea.ref} ('{idea.title}') was withdrawn by its submitter."
    blocks: list[Block] = [Notice(text, "info")]
    if reason:
        blocks.append(Text(f"Reason: {reason}"))
    return Reply(summary=text, blocks=tuple(blocks))


def support(ctx: Context, idea: Idea) -> int:
    """One support per person, never for your own idea, only while the idea is open.

    The idea's row is locked first, so two presses at once (chat and web, two devices) take
    turns: the second is told "already", not refused by the database's one-row-per-supporter
    key, and no supporter is lost from the count."""
    assert ctx.actor.staff_id is not None
    ctx.uow.ideas.lock(idea)
    if is_submitter(ctx, idea):
        raise UserError("You can't support your own idea, but you can ask colleagues to.")
    if idea.status not in IDEA_OPEN:
        raise UserError(f"{idea.ref} is closed, so it can no longer be supported.")
    if ctx.uow.ideas.has_support(idea.id, ctx.actor.staff_id):
        raise UserError(f"You already support {idea.ref}: one support per person.")
    ctx.uow.ideas.add_support(idea, ctx.actor.staff_id, ctx.now)
    record(
        ctx,
        entity_type="idea",
        entity_ref=idea.ref,
        action="supported",
        after={"support_count": idea.support_count},
    )
    return idea.support_count


def transition_named(name: str) -> Transition:
    try:
        return BY_NAME[name]
    except KeyError:
        raise UserError(f"Unknown decision {name!r}.") from None
