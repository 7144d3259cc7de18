"""The /alert command, its forms and buttons: thin functions from requests to service calls."""

from __future__ import annotations

from typing import Any

from handlers import duties
from handlers.alerts import audience, broadcast, service, views
from handlers.alerts.forms import COMPOSE, CORRECT, NEW_DEADLINE, REJECT, RETRACT
from handlers.context import Context
from handlers.duties import Decision
from handlers.errors import FieldProblem, StaleCard
from handlers.forms import typed_title
from handlers.registry import Invocation, Press, Submission
from messages.templates import count_people
from messages.view import (
    Block,
    Button,
    Buttons,
    FormErrors,
    Heading,
    Items,
    Notice,
    OpenForm,
    Reply,
    Response,
    SmallPrint,
    Text,
)
from store.models import Alert

NAMES_SHOWN = 50


def _notice(text: str, tone: Any = "success", *, replace: bool = False) -> Reply:
    return Reply(summary=text, blocks=(Notice(text, tone),), replace_original=replace)


def _prefill(ctx: Context, alert: Alert) -> dict[str, Any]:
    local = ctx.calendar.local(alert.ack_deadline)
    return {
        "title": alert.title,
        "instructions": alert.instructions,
        "severity": alert.severity,
        "audience": audience.as_choices(
            audience.Audience(alert.audience_kind, tuple(alert.audience_values))
        ),
        "deadline_date": local.date().isoformat() if local > ctx.now else None,
        "deadline_time": f"{local:%H:%M}" if local > ctx.now else None,
        "lesson_ref": alert.lesson_ref,
        "cas_ref": alert.cas_ref,
        "cas_new_issue": "yes" if alert.cas_new_issue_of else "no",
        "emergency": "yes" if alert.emergency else "no",
    }


# ------------------------------------------------------------------ compose, edit, preview
def open_compose(ctx: Context, invocation: Invocation) -> Response:
    title, shortened = typed_title(invocation.args)
    return OpenForm(COMPOSE, {"title": title} if title else {}, errors=shortened)


def on_compose(ctx: Context, submission: Submission) -> Response:
    return _save_and_preview(ctx, dict(submission.values), _draft(ctx, submission))


def on_correct(ctx: Context, submission: Submission) -> Response:
    original, draft = _replacing(ctx, submission)
    return _save_and_preview(
        ctx, dict(submission.values), draft, corrects=original, kind="correction"
    )


def on_retract(ctx: Context, submission: Submission) -> Response:
    original, draft = _replacing(ctx, submission)
    values = {
        "title": f"Withdrawn: {original.title}"[:150],
        "instructions": submission.values["reason"],
        "severity": original.severity,
        "emergency": submission.values.get("emergency"),
    }
    return _save_and_preview(
        ctx, values, draft, corrects=original, kind="retraction", problem_field="reason"
    )


def _draft(ctx: Context, submission: Submission) -> Alert | None:
    """The draft being edited (the form came back from a preview's Edit), if any."""
    ref = submission.context.get("ref")
    return service.find(ctx, ref) if ref else None


def _replacing(ctx: Context, submission: Submission) -> tuple[Alert, Alert | None]:
    """The alert a correction or retraction replaces, and the draft being edited; a new
    draft may only replace an alert that can still be corrected."""
    original = service.find(ctx, submission.context.get("corrects", ""))
    draft = _draft(ctx, submission)
    if draft is None:
        service.check_correctable(ctx, original)
    return original, draft


def _save_and_preview(
    ctx: Context,
    values: dict[str, Any],
    draft: Alert | None,
    *,
    problem_field: str | None = None,
    **kind: Any,
) -> Response:
    """Save the draft and show its preview; a problem goes back to the form, on its own field
    (or on `problem_field`, for a form that does not have the alert's fields)."""
    try:
        alert = service.save_draft(ctx, values, draft=draft, **kind)
    except FieldProblem as exc:
        return FormErrors({problem_field or exc.field: str(exc)})
    return service.preview(ctx, alert, replace=draft is not None)


def _which(ctx: Context, verb: str) -> Reply:
    sent = [a for a in ctx.uow.alerts.recent(20) if a.status in service.SENT]
    shares = ctx.uow.alerts.acked_share([a.id for a in sent])
    items = tuple(views.alert_item(a, ctx.calendar, *shares.get(a.id, (0, 0))) for a in sent)
    text = f"Say which alert: /alert {verb} ALERT-…"
    return Reply(
        summary=text,
        blocks=(Notice(text, "warning"), Items(items, empty_text="No alert has been sent yet.")),
    )


def correct_command(ctx: Context, invocation: Invocation) -> Response:
    if not invocation.args.strip():
        return _which(ctx, "correct")
    original = service.find(ctx, invocation.args)
    service.check_correctable(ctx, original)
    return OpenForm(CORRECT, _prefill(ctx, original), {"corrects": original.ref})


def retract_command(ctx: Context, invocation: Invocation) -> Response:
    if not invocation.args.strip():
        return _which(ctx, "retract")
    original = service.find(ctx, invocation.args)
    service.check_correctable(ctx, original)
    return OpenForm(RETRACT, {}, {"corrects": original.ref})


def edit_button(ctx: Context, press: Press) -> Response:
    alert = service.find(ctx, press.value.get("ref", ""))
    service.check_own_draft(ctx, alert)
    original = broadcast.original_of(ctx, alert)
    context = {"ref": alert.ref, **({"corrects": original.ref} if original else {})}
    if alert.kind == "retraction":
        return OpenForm(RETRACT, {"reason": alert.instructions}, context)
    form = CORRECT if alert.kind == "correction" else COMPOSE
    return OpenForm(form, _prefill(ctx, alert), context)


def discard_button(ctx: Context, press: Press) -> Response:
    alert = service.find(ctx, press.value.get("ref", ""))
    service.discard(ctx, alert)
    return _notice(f"{alert.ref} discarded: nothing was sent.", "info", replace=True)


# ------------------------------------------------------------------ approval and sending
def submit_button(ctx: Context, press: Press) -> Response:
    alert = service.find(ctx, press.value.get("ref", ""))
    names = service.request_approval(ctx, alert)
    text = (
        f"{alert.ref} is waiting for approval by {', '.join(names)}. You will be told as "
        "soon as one of them approves or rejects it."
    )
    return Reply(
        summary=text,
        blocks=(Notice(text, "success"), *service.broadcast_body(ctx, alert)),
        replace_original=True,
    )


def send_button(ctx: Context, press: Press) -> Response:
    alert = service.find(ctx, press.value.get("ref", ""))
    count = service.send_now(ctx, alert)
    return _notice(
        f"{alert.ref} sent to {count_people(count)} as a tier-5 emergency. The alert approvers "
        "have been told. Your status message updates as acknowledgements arrive.",
        replace=True,
    )


def approve_button(ctx: Context, press: Press) -> Response:
    alert = service.find(ctx, press.value.get("ref", ""))
    if (
        alert.status == "awaiting_approval"
        and duties.permits(ctx, Decision.ALERT_APPROVAL, alert)
        and service.too_late_to_send(ctx, alert)
    ):
        return OpenForm(NEW_DEADLINE, {}, {"ref": alert.ref})
    count = service.approve(ctx, alert)
    return _notice(
        f"You approved {alert.ref}: it was sent to {count_people(count)}. "
        "The publisher has been told.",
        replace=True,
    )


def reject_button(ctx: Context, press: Press) -> Response:
    alert = service.find(ctx, press.value.get("ref", ""))
    duties.check(ctx, Decision.ALERT_APPROVAL, alert, alert.ref)
    if alert.status != "awaiting_approval":
        raise StaleCard(
            "alert",
            alert.ref,
            f"{alert.ref} is already {views.STATUS_LABELS.get(alert.status, alert.status)}.",
        )
    return OpenForm(REJECT, {}, {"ref": alert.ref})


def on_new_deadline(ctx: Context, submission: Submission) -> Response:
    """Approve an alert that waited too long, with the deadline the approver gives now."""
    alert = service.find(ctx, submission.context.get("ref", ""))
    values = submission.values
    try:
        deadline = service.deadline_from(
            ctx, alert.severity, values.get("deadline_date"), values.get("deadline_time")
        )
    except FieldProblem as exc:
        return FormErrors({exc.field: str(exc)})
    if alert.status == "awaiting_approval":  # approve() refuses its publisher: all rolls back
        service.move_deadline(ctx, alert, deadline)
    count = service.approve(ctx, alert)
    return _notice(
        f"You approved {alert.ref} with a new deadline: it was sent to {count_people(count)}. "
        "The publisher has been told.",
        replace=True,
    )


def on_reject(ctx: Context, submission: Submission) -> Response:
    alert = service.find(ctx, submission.context.get("ref", ""))
    service.reject(ctx, alert, submission.values["reason"])
    return _notice(f"{alert.ref} was not approved; the publisher has been told why.", replace=True)


# ------------------------------------------------------------------ acknowledgement
def ack_button(ctx: Context, press: Press) -> Response:
    """Record the presser's acknowledgement; the message they pressed becomes "Acknowledged"."""
    alert = service.find(ctx, press.value.get("ref", ""))
    row, new = service.acknowledge(ctx, alert)
    in_channel = press.value.get("via") == "channel"
    replaced = ctx.uow.alerts.replaced_by(alert.id, service.SENT)
    extra: tuple[Block, ...] = (
        (
            Notice(
                f"{alert.ref} has since been replaced by {replaced.ref}: read that one.", "warning"
            ),
        )
        if replaced
        else ()
    )
    if row is None:
        text = f"{alert.ref} was not sent to you, so there is nothing to acknowledge."
        return Reply(summary=text, blocks=(Notice(text, "info"),), ephemeral=True)
    assert row.acked_at is not None
    at = ctx.calendar.local(row.acked_at)
    if not new:
        text = f"You already acknowledged {alert.ref} at {at:%H:%M on %a %d %b}."
        return Reply(summary=text, blocks=(Notice(text, "info"), *extra), ephemeral=True)
    if in_channel:
        text = f"Acknowledged {alert.ref} at {at:%H:%M}. Thank you."
        return Reply(summary=text, blocks=(Notice(text, "success"), *extra), ephemeral=True)
    card = views.acknowledged_card(ctx.config, ctx.calendar, alert, row.acked_at)
    return Reply(card.summary, (*card.blocks, *extra), replace_original=True)


def team_button(ctx: Context, press: Press) -> Response:
    """A line manager's own people who have not acknowledged (nobody else's)."""
    alert = service.find(ctx, press.value.get("ref", ""))
    assert ctx.actor.staff_id is not None
    names, count = ctx.uow.alerts.not_acked_names(
        alert.id, NAMES_SHOWN, manager_id=ctx.actor.staff_id
    )
    if not names:
        text = f"Everyone you manage has acknowledged {alert.ref}."
        return Reply(summary=text, blocks=(Notice(text, "success"),), ephemeral=True)
    more = f" and {count - len(names)} more" if count > len(names) else ""
    text = f"Not acknowledged {alert.ref} yet, of the people you manage: {count}."
    return Reply(
        summary=text,
        blocks=(
            Heading(alert.title),
            Notice(text, "warning"),
            Text(f"{', '.join(names)}{more}."),
            Text(f"What they must do: {alert.instructions}"),
        ),
        ephemeral=True,
    )


# ------------------------------------------------------------------ following an alert
def _status(ctx: Context, alert: Alert) -> Reply:
    ctx.uow.alerts.sync_deliveries(alert.id)
    reply = broadcast.status_reply(ctx, alert)
    blocks = list(reply.blocks)
    deadline_passed = ctx.now >= alert.ack_deadline or alert.status == "closed"
    if alert.status in service.SENT and deadline_passed:
        names, count = ctx.uow.alerts.not_acked_names(alert.id, NAMES_SHOWN)
        if names:
            more = f" and {count - len(names)} more" if count > len(names) else ""
            blocks.append(
                Text(f"Still not acknowledged after the deadline: {', '.join(names)}{more}.")
            )
    elif alert.status not in service.SENT:
        blocks.append(Text(f"Would reach {count_people(service.recipients_planned(ctx, alert))}."))
        blocks += service.unreachable_blocks(ctx, alert)
    replaced = ctx.uow.alerts.replaced_by(alert.id, service.SENT)
    if replaced is not None:
        blocks.append(Notice(f"Replaced by {replaced.ref} ({replaced.kind}).", "warning"))
    if alert.status in service.SENT:
        blocks.append(SmallPrint(views.EXPORT_HINT.format(ref=alert.ref)))
    refresh = Button("Refresh", "alert.status", {"ref": alert.ref})
    approval = service.approval_buttons(alert) if service.may_approve(ctx, alert) else ()
    blocks.append(Buttons((*approval, refresh)))
    return Reply(summary=reply.summary, blocks=tuple(blocks))


def status_command(ctx: Context, invocation: Invocation) -> Response:
    if not invocation.args.strip():
        return list_command(ctx, invocation)
    return _status(ctx, service.find(ctx, invocation.args))


def status_button(ctx: Context, press: Press) -> Response:
    reply = _status(ctx, service.find(ctx, press.value.get("ref", "")))
    return Reply(reply.summary, reply.blocks, replace_original=True)


def list_command(ctx: Context, _invocation: Invocation) -> Response:
    alerts = ctx.uow.alerts.recent(20)
    shares = ctx.uow.alerts.acked_share([a.id for a in alerts])
    items = tuple(
        views.alert_item(
            a,
            ctx.calendar,
            *shares.get(a.id, (0, 0)),
            approval=service.approval_buttons(a) if service.may_approve(ctx, a) else (),
        )
        for a in alerts
    )
    return Reply(
        summary=f"{len(alerts)} recent alerts",
        blocks=(
            Heading("Critical alerts"),
            Items(items, empty_text="No alerts yet. /alert [title] composes one."),
        ),
    )
