"""Action operations: create per tier (enforcing the tier's rules), move along the lifecycle,
extensions and re-audits. Each change is audited and told to the people who must act next."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from handlers import cards, duties, people
from handlers.actions.lifecycle import ActionStatus, status_label
from handlers.actions.transitions import ActionStep
from handlers.actions.views import action_card
from handlers.audit import record
from handlers.context import Context
from handlers.duties import Decision
from handlers.errors import FieldProblem, NotFound, StaleCard, UserError
from handlers.lessons import service as lessons
from handlers.lessons.lifecycle import LessonStatus
from handlers.permissions import governs, sits_on
from messages.view import Button, Notice, Reply
from store.models import Action, ActionExtension, Lesson, Staff

A = ActionStatus
L = LessonStatus
ACCEPTS_ACTIONS = (L.DECIDED, L.IN_PROGRESS, L.AWAITING_ASSURANCE, L.MONITORING)


def find(ctx: Context, ref: str) -> Action:
    action = ctx.uow.actions.by_ref(ref) if ref.strip() else None
    if action is None:
        raise NotFound(f"No action matches {ref.strip()[:40]!r}.")
    return action


def today(ctx: Context) -> date:
    return ctx.calendar.local(ctx.now).date()


def _person(
    ctx: Context,
    field: str,
    email: str | None,
    *,
    required: bool = False,
    role: str | None = None,
    role_label: str = "",
) -> Staff | None:
    if not email:
        if required:
            raise FieldProblem(field, "This person is required.")
        return None
    person = ctx.uow.staff.by_email(email)
    if person is None or not person.active:
        raise FieldProblem(field, f"{email} is not in the staff directory.")
    if role is not None and role not in ctx.uow.staff.roles_of(person.id):
        raise FieldProblem(field, f"{person.display_name} is not {role_label}.")
    return person


def create(ctx: Context, lesson: Lesson, tier: int, values: dict[str, Any]) -> Action:
    """A new action for one of the tiers the committee chose; the tier's rules are enforced."""
    if lesson.status not in ACCEPTS_ACTIONS:
        raise UserError(f"{lesson.ref} needs the committee's decision before actions are added.")
    if tier not in lesson.tiers:
        raise UserError(f"The committee did not choose tier {tier} for {lesson.ref}.")
    due: date = values["due"]
    if due < today(ctx):
        raise FieldProblem("due", "The due date is in the past.")
    owner = _person(
        ctx,
        "owner",
        values["owner"],
        required=True,
        role="executive" if tier == 5 else None,
        role_label="an executive",
    )
    assert owner is not None
    verifier = _person(ctx, "verifier", values.get("verifier"))
    action = Action(
        ref=ctx.uow.refs.next_ref("ACT", ctx.calendar.local(ctx.now).year),
        lesson_id=lesson.id,
        committee=lesson.committee,
        tier=tier,
        description=values["description"],
        owner_id=owner.id,
        due_date=due,
        measure=values.get("measure"),
        has_measure=bool((values.get("measure") or "").strip()),
        verifier_id=verifier.id if verifier else None,
        status=A.ASSIGNED.value,
        created_at=ctx.now,
        updated_at=ctx.now,
        status_changed_at=ctx.now,
    )
    if verifier is not None and duties.barred(Decision.VERIFY, verifier.id, action):
        raise FieldProblem("verifier", "The verifier must be someone other than the owner.")
    if tier == 1:
        reaudit: date = values["reaudit_date"]
        if reaudit <= due:
            raise FieldProblem("reaudit_date", "The re-audit must come after the due date.")
        lead = _person(
            ctx,
            "audit_lead",
            values["audit_lead"],
            required=True,
            role="audit_lead",
            role_label="an audit lead",
        )
        assert lead is not None
        if duties.barred(Decision.REAUDIT, lead.id, action):
            raise FieldProblem("audit_lead", "The audit lead must be someone other than the owner.")
        action.change, action.reaudit_date, action.audit_lead_id = (
            values["change"],
            reaudit,
            lead.id,
        )
    elif tier == 2:
        action.audiences, action.comms_channel = values["audiences"], values["comms_channel"]
    elif tier == 3:
        action.process = values["process"]
    elif tier == 4:
        expert = _person(ctx, "expert", values["expert"], required=True)
        assert expert is not None
        action.expert_id, action.cognitive_aid = expert.id, values["cognitive_aid"]
    ctx.uow.actions.add(action)
    record(
        ctx,
        entity_type="action",
        entity_ref=action.ref,
        action="created",
        after={"status": action.status, "tier": tier, "lesson": lesson.ref, "due": due.isoformat()},
    )
    tell_owner(
        ctx, action, f"You own a new tier {tier} action for {lesson.ref}", ["accept", "decline"]
    )
    if lesson.status in (L.AWAITING_ASSURANCE, L.MONITORING):
        lessons.move(ctx, lesson, L.IN_PROGRESS, "in_progress")
    lessons.refresh_search(ctx, lesson)
    return action


def card(ctx: Context, action: Action, buttons: list[Button]) -> Reply:
    pending = ctx.uow.actions.pending_extension(action.id) is not None
    ids = [action.verifier_id, action.audit_lead_id, action.expert_id]
    names = {i: people.name_of(ctx, i) for i in ids if i is not None}
    checkers = verifiers(ctx, action)
    if action.verifier_id is not None and checkers != [action.verifier_id]:
        names.pop(action.verifier_id, None)  # named, but left or became the owner
    blocks = action_card(
        action,
        ctx.config,
        today(ctx),
        pending=pending,
        names=names,
        verifier=fallback_label(ctx, action, checkers),
        buttons=buttons,
    )
    return Reply(summary=f"{action.ref}: {action.status}", blocks=tuple(blocks))


def fallback_label(ctx: Context, action: Action, checkers: list[int]) -> str:
    """Who verifies by fallback, by name and why, so an owner who is the only governance lead
    sees that the chair will verify rather than "the governance lead" (themselves)."""
    if not checkers:
        return "Nobody yet: the committee has no governance lead or chair other than the owner"
    who = ", ".join(people.name_of(ctx, i) for i in checkers)
    if set(checkers) & set(people.governance_leads(ctx, action.committee)):
        return f"{who} (the committee's governance lead)"
    return f"{who} (the committee's chair: the governance lead owns this action)"


def step_buttons(action: Action, names: list[str]) -> list[Button]:
    """Buttons for the steps in `names` that apply to the action's status now: a reminder about
    an action not yet accepted offers Accept, not Submit completion."""
    from handlers.actions.transitions import BY_NAME

    names = [n for n in names if action.status in BY_NAME[n].sources]
    return [
        Button(
            BY_NAME[n].button,
            "action.step",
            {"ref": action.ref, "step": n},
            BY_NAME[n].style,
            BY_NAME[n].confirm.format(ref=action.ref),
        )
        for n in names
    ]


def extension_buttons(action: Action, extension: ActionExtension) -> list[Button]:
    """Approve and Decline, the same wherever someone who may decide meets the request."""
    value = {"id": str(extension.id)}
    return [
        Button(
            "Approve extension…", "action.extension", {**value, "decision": "approve"}, "primary"
        ),
        Button(
            "Decline extension…",
            "action.extension",
            {**value, "decision": "decline"},
            "danger",
            f"Decline the extension of {action.ref}? It stays due "
            f"{extension.previous_due:%d %b %Y}.",
        ),
    ]


def tell_owner(
    ctx: Context, action: Action, headline: str, steps: list[str], reason: str | None = None
) -> None:
    reply = card(ctx, action, step_buttons(action, steps))
    summary = headline + (f": {reason}" if reason else ".")
    blocks = (Notice(summary, "info"), *reply.blocks)
    ctx.enqueuer.to_person(
        action.owner_id,
        Reply(summary, blocks),
        f"action:{action.ref}:{headline}:{ctx.now.isoformat()}",
        card=cards.key("action", action.ref),
    )


def tell(
    ctx: Context,
    staff_ids: list[int],
    action: Action,
    headline: str,
    buttons: list[Button],
    *,
    channel: bool = False,
) -> None:
    reply = card(ctx, action, buttons)
    message = Reply(headline, (Notice(headline, "info"), *reply.blocks))
    key = f"action:{action.ref}:{headline}:{ctx.now.isoformat()}"
    shows = cards.key("action", action.ref)
    ctx.enqueuer.to_people(staff_ids, message, key, card=shows)
    committee_channel = people.channel_of(ctx, action.committee)
    if channel and committee_channel:
        ctx.enqueuer.to_channel(committee_channel, message, key, card=shows)


def verifiers(ctx: Context, action: Action) -> list[int]:
    """Who verifies `action`, never its owner (docs/domain.md, separation of duties): the named
    verifier; if none is named, or they have left the directory or own the action, the
    committee's governance leads; if none of them can, the committee's chair."""
    named = ctx.uow.staff.get(action.verifier_id) if action.verifier_id is not None else None
    if named is not None and named.active and not duties.barred(Decision.VERIFY, named.id, action):
        return [named.id]
    for group in (
        people.governance_leads(ctx, action.committee),
        people.chair(ctx, action.committee),
    ):
        found = [p for p in group if not duties.barred(Decision.VERIFY, p, action)]
        if found:
            return found
    return []


def reassigners(ctx: Context, action: Action) -> list[int]:
    """Who may reassign a declined `action`: the committee's governance leads and its chair,
    never the owner who declined it (docs/domain.md: every open item has someone who can act)."""
    found = [*people.governance_leads(ctx, action.committee), *people.chair(ctx, action.committee)]
    return [p for p in dict.fromkeys(found) if not duties.barred(Decision.REASSIGN, p, action)]


def may(ctx: Context, action: Action, step: ActionStep) -> bool:
    """Whether this person is one who takes `step`; the separation-of-duties table
    (handlers/duties.py) is asked separately, in `refusal`."""
    me = ctx.actor.staff_id
    roles = ctx.actor.roles
    match step.who:
        case "owner":
            return me == action.owner_id
        case "verifier":
            return me is not None and me in verifiers(ctx, action)
        case "audit_lead":
            return me == action.audit_lead_id or "audit_lead" in roles
        case "chair_or_lead":
            return governs(roles, action.committee) or (
                me is not None and me in people.chair(ctx, action.committee)
            )
        case "reassigner":
            return me is not None and me in reassigners(ctx, action)
    return False


def undo_closes(ctx: Context, action: Action) -> datetime:
    """When "Undo cancel" stops working for a cancelled action (actions.cancel_undo_days)."""
    return action.status_changed_at + timedelta(days=ctx.config.actions.cancel_undo_days)


WHO_TAKES = {
    "owner": "its owner",
    "verifier": "its verifier (never the owner)",
    "audit_lead": "an audit lead",
    "chair_or_lead": "the committee's chair or a governance lead",
    "reassigner": "its committee's governance lead or chair (not who declined it)",
}


def refusal(ctx: Context, action: Action, step: ActionStep) -> str | None:
    """Why this person cannot take `step` on `action` now, in a sentence; None if they can."""
    if action.status not in step.sources:
        return (
            f"{action.ref} is now '{action.status.replace('_', ' ')}'; that step "
            "no longer applies. Open it again to see what can be done."
        )
    if step.duty is not None and not duties.permits(ctx, step.duty, action):
        return duties.BY_DECISION[step.duty].refusal.format(ref=action.ref)
    if not may(ctx, action, step):
        return f"Only {WHO_TAKES[step.who]} can do that on {action.ref}."
    if step.name == "undo_cancel":
        closes = ctx.calendar.local(undo_closes(ctx, action))
        if ctx.now > closes:
            return (
                f"{action.ref} was cancelled more than {ctx.config.actions.cancel_undo_days} "
                f"days ago (undo closed {closes:%d %b %Y %H:%M}), so it stays cancelled: "
                "add a new action to the lesson instead."
            )
        if action.cancelled_from is None:
            return f"{action.ref} was cancelled before QI Hub kept its previous status."
    return None


def _move(
    ctx: Context,
    action: Action,
    status: ActionStatus,
    name: str,
    reason: str | None = None,
    **after: Any,
) -> None:
    before = {"status": action.status}
    action.status = status.value
    action.status_changed_at = action.updated_at = ctx.now
    if reason is not None:
        action.status_reason = reason
    record(
        ctx,
        entity_type="action",
        entity_ref=action.ref,
        action=name,
        before=before,
        after={"status": action.status, **after},
        reason=reason,
    )


def check_step(ctx: Context, action: Action, step: ActionStep) -> None:
    """Raise a UserError saying why this person cannot take `step` now (if they cannot)."""
    said = refusal(ctx, action, step)
    if said is None:
        return
    if action.status not in step.sources:  # the card it was pressed on is out of date
        raise StaleCard("action", action.ref, said)
    raise UserError(said)


def apply(ctx: Context, action: Action, step: ActionStep, values: dict[str, Any]) -> str:
    """Carry out `step`; returns what happened, in a sentence for the person who did it."""
    check_step(ctx, action, step)
    lesson = action.lesson
    leads = people.governance_leads(ctx, action.committee)
    match step.name:
        case "accept":
            _move(ctx, action, A.IN_PROGRESS, "accepted", reason="")
            done = f"You have accepted {action.ref}. Thank you."
        case "decline":
            _move(ctx, action, A.DECLINED, "declined", values["reason"])
            able = reassigners(ctx, action)
            tell(
                ctx,
                able,
                action,
                f"{action.ref} was declined by its owner: reassign it",
                step_buttons(action, ["reassign"]),
                channel=True,
            )
            done = (
                f"{action.ref} goes back to the governance lead to reassign."
                if able
                else f"{action.ref} is declined. Nobody can reassign it yet, so the committee's "
                "digest lists it as stuck."
            )
        case "reassign":
            done = reassign(ctx, action, values)
        case "update":
            record(
                ctx,
                entity_type="action",
                entity_ref=action.ref,
                action="progress_update",
                reason=values["note"],
            )
            action.status_reason, action.updated_at = values["note"], ctx.now
            done = f"Progress on {action.ref} recorded."
        case "block":
            _move(ctx, action, A.BLOCKED, "blocked", values["reason"])
            tell(ctx, leads, action, f"{action.ref} is blocked", [])
            done = f"{action.ref} is marked blocked; the governance lead has been told."
        case "resume":
            _move(ctx, action, A.IN_PROGRESS, "unblocked", reason="")
            done = f"{action.ref} is back in progress."
        case "extend":
            done = request_extension(ctx, action, values["new_due"], values["reason"])
        case "complete":
            action.evidence, action.completed_at = values["evidence"], ctx.now
            _move(ctx, action, A.COMPLETION_SUBMITTED, "completion_submitted", reason="")
            tell(
                ctx,
                verifiers(ctx, action),
                action,
                f"{action.ref} is complete: please verify the evidence",
                step_buttons(action, ["verify", "return"]),
            )
            done = f"Completion of {action.ref} submitted for verification."
        case "verify":
            action.verified_at, action.verified_by_id = ctx.now, ctx.actor.staff_id
            if action.tier == 1:
                _move(
                    ctx,
                    action,
                    A.REAUDIT_SCHEDULED,
                    "verified",
                    values.get("note"),
                    reaudit_date=str(action.reaudit_date),
                )
                if action.audit_lead_id:
                    tell(
                        ctx,
                        [action.audit_lead_id],
                        action,
                        f"{action.ref} is verified; the re-audit is due "
                        f"{action.reaudit_date:%d %b %Y}",
                        [],
                    )
            else:
                _move(ctx, action, A.VERIFIED, "verified", values.get("note"))
            tell_owner(ctx, action, f"{action.ref} has been verified", [])
            done = f"{action.ref} verified."
        case "return":
            _move(ctx, action, A.IN_PROGRESS, "not_verified", values["reason"])
            tell_owner(
                ctx,
                action,
                f"{action.ref} was not verified",
                ["complete", "update"],
                values["reason"],
            )
            done = f"{action.ref} sent back to its owner."
        case "reaudit":
            done = record_reaudit(ctx, action, values["result"], values["notes"])
        case "cancel" | "undo_cancel":
            done = (
                cancel(ctx, action, values["reason"])
                if step.name == "cancel"
                else undo_cancel(ctx, action)
            )
        case _:
            raise UserError("Unknown step.")
    lessons.refresh_progress(ctx, lesson)
    return done


def _told_of_cancelling(ctx: Context, action: Action) -> list[int]:
    """The governance leads told of a cancellation or its undoing (the owner is told apart)."""
    leads = people.governance_leads(ctx, action.committee)
    return [p for p in leads if p != action.owner_id]


def cancel(ctx: Context, action: Action, reason: str) -> str:
    """A second person cancels, with a reason; the owner, the committee's channel and its
    governance leads are told, and it can be undone until `undo_closes`."""
    action.cancelled_from = action.status
    _move(ctx, action, A.CANCELLED, "cancelled", reason)
    closes = ctx.calendar.local(undo_closes(ctx, action))
    by = f"{action.ref} was cancelled by {ctx.actor.name}"
    tell_owner(ctx, action, by, [], reason)
    tell(
        ctx,
        _told_of_cancelling(ctx, action),
        action,
        f"{by}: {reason}",
        step_buttons(action, ["undo_cancel"]),
        channel=True,
    )
    return (
        f"{action.ref} cancelled. Its owner, the committee and its governance leads have been "
        f"told. Undo cancel restores it until {closes:%d %b %Y %H:%M}."
    )


def undo_cancel(ctx: Context, action: Action) -> str:
    """Restore the status a cancelled action had (refusal() has checked the window)."""
    assert action.cancelled_from is not None
    restored = ActionStatus(action.cancelled_from)
    action.cancelled_from = None
    _move(
        ctx,
        action,
        restored,
        "cancel_undone",
        f"The cancellation was undone by {ctx.actor.name}.",
    )
    headline = f"{action.ref}'s cancellation was undone by {ctx.actor.name}"
    tell_owner(ctx, action, headline, [])
    tell(ctx, _told_of_cancelling(ctx, action), action, headline, [], channel=True)
    return (
        f"{action.ref} is back to '{status_label(restored)}'. Its owner, the committee and its "
        "governance leads have been told."
    )


def reassign(ctx: Context, action: Action, values: dict[str, Any]) -> str:
    """A declined action goes to a new owner (never the one who declined it), who is asked to
    accept it; the reminders start again for them."""
    previous = action.owner
    owner = _person(
        ctx,
        "owner",
        values["owner"],
        required=True,
        role="executive" if action.tier == 5 else None,
        role_label="an executive",
    )
    assert owner is not None
    if owner.id == previous.id:
        raise FieldProblem("owner", f"{owner.display_name} declined it: choose someone else.")
    if owner.id == action.verifier_id:
        raise FieldProblem("owner", f"{owner.display_name} verifies it: choose someone else.")
    due: date = values.get("due") or action.due_date
    if due < today(ctx):
        raise FieldProblem("due", f"The due date ({due:%d %b %Y}) has passed: give a new one.")
    note = (values.get("note") or "").strip()
    before = {
        "status": action.status,
        "owner": previous.display_name,
        "due": action.due_date.isoformat(),
    }
    action.owner_id, action.owner = owner.id, owner
    action.due_date = due
    action.due_version += 1  # a new owner: the reminder sequences start again for them
    action.status, action.status_reason = A.ASSIGNED.value, note
    action.status_changed_at = action.updated_at = ctx.now
    record(
        ctx,
        entity_type="action",
        entity_ref=action.ref,
        action="reassigned",
        before=before,
        after={"status": action.status, "owner": owner.display_name, "due": due.isoformat()},
        reason=note or None,
    )
    tell_owner(
        ctx,
        action,
        f"You own a reassigned tier {action.tier} action for {action.lesson.ref}",
        ["accept", "decline"],
        note or None,
    )
    tell(ctx, [previous.id], action, f"{action.ref} was reassigned to {owner.display_name}", [])
    leads = [p for p in people.governance_leads(ctx, action.committee) if p != ctx.actor.staff_id]
    tell(
        ctx,
        leads,
        action,
        f"{action.ref} was reassigned to {owner.display_name} by {ctx.actor.name}",
        [],
    )
    return f"{action.ref} is reassigned to {owner.display_name}, who has been asked to accept it."


def request_extension(ctx: Context, action: Action, new_due: date, reason: str) -> str:
    if ctx.uow.actions.pending_extension(action.id) is not None:
        raise UserError(f"{action.ref} already has an extension request waiting.")
    if new_due <= action.due_date:
        raise FieldProblem(
            "new_due", f"Choose a date after the current due date ({action.due_date:%d %b %Y})."
        )
    extension = ActionExtension(
        action_id=action.id,
        committee=action.committee,
        requested_until=new_due,
        previous_due=action.due_date,
        reason=reason,
        status="pending",
        created_at=ctx.now,
    )
    action.extensions.append(extension)
    ctx.uow.flush()
    record(
        ctx,
        entity_type="action",
        entity_ref=action.ref,
        action="extension_requested",
        after={"requested_until": new_due.isoformat()},
        reason=reason,
    )
    deciders: list[int] = []
    for group in (
        people.chair(ctx, action.committee),
        people.governance_leads(ctx, action.committee),
    ):
        deciders = deciders or [
            p for p in group if not duties.barred(Decision.EXTENSION, p, extension)
        ]
    tell(
        ctx,
        deciders,
        action,
        f"{action.ref}: extension requested to {new_due:%d %b %Y}",
        extension_buttons(action, extension),
        channel=True,
    )
    return f"Extension to {new_due:%d %b %Y} requested; the committee will decide."


def decide_extension(
    ctx: Context, extension: ActionExtension, approve: bool, words: str | None
) -> str:
    action = extension.action
    if extension.status != "pending":
        raise StaleCard(
            "action", action.ref, f"That extension request was already {extension.status}."
        )
    if not (
        sits_on(ctx.actor.roles, action.committee) or governs(ctx.actor.roles, action.committee)
    ):
        raise UserError(f"Only the {action.committee} committee can decide this extension.")
    duties.check(ctx, Decision.EXTENSION, extension, action.ref)
    extension.status = "approved" if approve else "declined"
    extension.decided_by_id, extension.decided_at = ctx.actor.staff_id, ctx.now
    extension.decision_reason = words
    if approve:
        action.due_date = extension.requested_until
        action.due_version += 1
        action.extension_count += 1
        action.updated_at = ctx.now
    record(
        ctx,
        entity_type="action",
        entity_ref=action.ref,
        action=f"extension_{extension.status}",
        reason=words,
        before={"due": extension.previous_due.isoformat()},
        after={"due": action.due_date.isoformat()},
    )
    verdict = "approved" if approve else "declined"
    tell_owner(ctx, action, f"Your extension for {action.ref} was {verdict}", [], words)
    return f"Extension for {action.ref} {verdict}."


def record_reaudit(ctx: Context, action: Action, result: str, notes: str) -> str:
    action.reaudit_result, action.reaudit_notes = result, notes
    lesson = action.lesson
    if result == "pass":
        _move(ctx, action, A.CLOSED, "reaudit_passed", notes)
        tell_owner(ctx, action, f"The re-audit of {action.ref} passed: the change works", [])
        return f"Re-audit passed: {action.ref} is closed as effective."
    _move(ctx, action, A.REAUDIT_FAILED, "reaudit_failed", notes)
    tell_owner(ctx, action, f"The re-audit of {action.ref} failed", [], notes)
    lessons.reopen(ctx, lesson, f"the re-audit of {action.ref} failed: {notes}")
    return f"Re-audit failed: {lesson.ref} is back before its committee."
