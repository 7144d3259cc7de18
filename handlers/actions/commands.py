"""Action buttons and forms: open a card, take a step, decide an extension."""

from __future__ import annotations

from handlers import duties
from handlers.actions import service
from handlers.actions.forms import EXTENSION_APPROVE, EXTENSION_DECLINE, step_form_id
from handlers.actions.transitions import BY_NAME, STEPS, ActionStep
from handlers.actions.views import short
from handlers.context import Context
from handlers.duties import Decision
from handlers.errors import FieldProblem, StaleCard, UserError
from handlers.permissions import allowed, governs, sits_on
from handlers.registry import Press, Submission
from messages.view import Button, FormErrors, Notice, OpenForm, Reply, Response
from store.models import Action

STEP_PERMISSIONS = {
    "owner": "action.work",
    "verifier": "action.verify",
    "audit_lead": "action.reaudit",
    "chair_or_lead": "action.manage",
    "reassigner": "action.manage",
}


def _permitted(ctx: Context, action: Action, step: ActionStep) -> bool:
    return (
        allowed(ctx.config, ctx.actor.roles, STEP_PERMISSIONS[step.who])
        and service.refusal(ctx, action, step) is None
    )


def viewer_buttons(ctx: Context, action: Action) -> list[Button]:
    """What this person may do next (in the one order of handlers/button_order.py)."""
    buttons = service.step_buttons(action, [s.name for s in STEPS if _permitted(ctx, action, s)])
    pending = ctx.uow.actions.pending_extension(action.id)
    member = sits_on(ctx.actor.roles, action.committee) or governs(
        ctx.actor.roles, action.committee
    )
    if pending is not None and member and duties.permits(ctx, Decision.EXTENSION, pending):
        buttons += service.extension_buttons(action, pending)
    return buttons


def card(ctx: Context, action: Action, notice: str | None = None) -> Reply:
    reply = service.card(ctx, action, viewer_buttons(ctx, action))
    if notice is None:
        return reply
    return Reply(reply.summary, (Notice(notice, "success"), *reply.blocks), replace_original=True)


def about(action: Action) -> str:
    """What a step or extension form says first, so nobody acts on the wrong action."""
    return f"{action.ref}: {short(action.description)}"


def show(ctx: Context, press: Press) -> Response:
    return card(ctx, service.find(ctx, press.value.get("ref", "")))


def step_button(ctx: Context, press: Press) -> Response:
    action = service.find(ctx, press.value.get("ref", ""))
    step = BY_NAME.get(press.value.get("step", ""))
    if step is None:
        raise UserError("That button no longer does anything.")
    if not allowed(ctx.config, ctx.actor.roles, STEP_PERMISSIONS[step.who]):
        raise UserError("Sorry, your role does not allow that step.")
    if step.form:
        service.check_step(ctx, action, step)
        return OpenForm(
            step_form_id(step.name),
            {},
            {"ref": action.ref, "step": step.name},
            about=_about(action, step),
        )
    done = service.apply(ctx, action, step, {})
    return card(ctx, action, done)


def _about(action: Action, step: ActionStep) -> str:
    """The record a step's form acts on; a reassignment's also says who declined it and why."""
    if step.name != "reassign":
        return about(action)
    why = f": {action.status_reason}" if action.status_reason else ""
    return (
        f"{action.ref}: {short(action.description)}. Declined by {action.owner.display_name}{why}"
    )


def on_step(ctx: Context, submission: Submission) -> Response:
    action = service.find(ctx, submission.context.get("ref", ""))
    step = BY_NAME.get(submission.context.get("step", ""))
    if step is None:
        raise UserError("That form is no longer available.")
    if not allowed(ctx.config, ctx.actor.roles, STEP_PERMISSIONS[step.who]):
        raise UserError("Sorry, your role does not allow that step.")
    try:
        done = service.apply(ctx, action, step, dict(submission.values))
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    return card(ctx, action, done)


def extension_button(ctx: Context, press: Press) -> Response:
    extension_id = press.value.get("id", "")
    extension = ctx.uow.actions.extension(int(extension_id)) if extension_id.isdecimal() else None
    if extension is None:
        raise UserError("That extension request no longer exists.")
    if extension.status != "pending":
        raise StaleCard(
            "action",
            extension.action.ref,
            f"That extension request was already {extension.status}.",
        )
    duties.check(ctx, Decision.EXTENSION, extension, extension.action.ref)
    form = EXTENSION_APPROVE if press.value.get("decision") == "approve" else EXTENSION_DECLINE
    return OpenForm(form, {}, {"id": extension_id}, about=about(extension.action))


def on_extension(ctx: Context, submission: Submission) -> Response:
    extension_id = submission.context.get("id", "")
    extension = ctx.uow.actions.extension(int(extension_id)) if extension_id.isdecimal() else None
    if extension is None:
        raise UserError("That extension request no longer exists.")
    approve = submission.form_id == EXTENSION_APPROVE
    words = submission.values.get("note") if approve else submission.values.get("reason")
    done = service.decide_extension(ctx, extension, approve, words)
    return card(ctx, extension.action, done)
