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
from handlers.ideas.lifecycle import BY_NAME, IDEA_OPEN, IdeaStatus, Transition
from handlers.ideas.views import decision_notice, idea_card
from handlers.permissions import allowed
from handlers.submission import among_submitters, find_by_ref_or_receipt, new_receipt, receipt_hash
from messages.view import Block, Notice, Reply, Text
from store.models import Idea, IdeaSubmitter


@dataclass(frozen=True)
class Submitted:
    idea: Idea
    receipt: str | None


def submit(ctx: Context, values: dict[str, Any], co_submitter_ids: list[int]) -> Submitted:
    """Store a new idea. Anonymous ideas record no identity, only a hash of the receipt code."""
    anonymous = values["mode"] == "anonymous"
    year = ctx.calendar.local(ctx.now).year
    ref = ctx.uow.refs.next_ref("IDEA", year)
    receipt = new_receipt() if anonymous else None
    idea = Idea(
        ref=ref,
        kind=values["kind"],
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
    ctx.uow.ideas.add(idea)
    record(
        ctx,
        entity_type="idea",
        entity_ref=ref,
        action="submitted",
        after={"status": idea.status, "kind": idea.kind, "mode": idea.mode},
        anonymous=anonymous,
    )
    names = [] if anonymous else submitter_names(ctx, idea)
    panel_card = idea_card(idea, ctx.config, submitter_names=names, panel_buttons=True)
    ctx.enqueuer.to_channel(
        "ideas_panel",
        Reply(summary=f"New {idea.kind} idea {ref}: {idea.title}", blocks=tuple(panel_card)),
        key=f"idea:{ref}:submitted",
        card=cards.key("idea", ref),
    )
    return Submitted(idea, receipt)


def find(ctx: Context, ref_or_receipt: str) -> Idea:
    return find_by_ref_or_receipt(
        ref_or_receipt,
        ctx.uow.ideas.by_ref,
        ctx.uow.ideas.by_receipt_hash,
        "an idea",
        "IDEA-2026-0001",
    )


def is_submitter(ctx: Context, idea: Idea) -> bool:
    return among_submitters(ctx, idea.submitters)


def may_see_confidential(ctx: Context) -> bool:
    return allowed(ctx.config, ctx.actor.roles, "idea.see_confidential")


def submitter_names(ctx: Context, idea: Idea) -> list[str]:
    people = [ctx.uow.staff.get(s.staff_id) for s in idea.submitters]
    return [p.display_name for p in people if p is not None]


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
    elif transition.name in ("approve", "promote"):
        sponsor_email = extra.get("sponsor")
        if sponsor_email:
            sponsor = ctx.uow.staff.by_email(sponsor_email)
            if sponsor is None:
                raise FieldProblem("sponsor", f"{sponsor_email} is not in the staff directory.")
            idea.sponsor_id = sponsor.id
        if transition.name == "approve" and idea.kind == "big" and idea.sponsor_id is None:
            raise FieldProblem(
                "sponsor", "A Big Idea needs a sponsor before it is approved: add their email."
            )
    if transition.name == "promote":
        idea.kind = "big"
    idea.status = transition.target.value
    idea.decision_reason = reason
    idea.status_changed_at = ctx.now
    idea.updated_at = ctx.now
    after: dict[str, Any] = {"status": idea.status}
    after.update({k: v for k, v in extra.items() if v and k != "sponsor"})
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
        ctx.enqueuer.to_channel("ideas_panel", notice_for_panel(idea, reason), key)


def notice_for_panel(idea: Idea, reason: str | None) -> Reply:
    text = f"{idea.ref} ('{idea.title}') was withdrawn by its submitter."
    blocks: list[Block] = [Notice(text, "info")]
    if reason:
        blocks.append(Text(f"Reason: {reason}"))
    return Reply(summary=text, blocks=tuple(blocks))


def support(ctx: Context, idea: Idea) -> int:
    """One support per person, never for your own idea, only while the idea is open."""
    assert ctx.actor.staff_id is not None
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
