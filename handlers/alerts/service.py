"""Alert operations over the unit of work: draft, approve (four-eyes), send, acknowledge.

Lifecycle (docs/domain.md): draft → awaiting_approval → sending → live → closed. A rejection returns
the alert to draft with the reason; a discarded draft is kept (status discarded) for the audit
trail. Every change is audited in the same transaction as the change itself.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from handlers import cards, duties, people
from handlers.alerts import audience, broadcast, cas, reach, views
from handlers.audit import record
from handlers.context import Context
from handlers.duties import Decision
from handlers.errors import FieldProblem, NotFound, StaleCard, UserError
from handlers.permissions import allowed
from messages.templates import count_people, counted
from messages.view import Block, Button, Buttons, Notice, Reply, SmallPrint, Text
from store.models import Alert, AlertRecipient

SENT = ("sending", "live", "closed")
MAX_DEADLINE = timedelta(days=90)


def find(ctx: Context, ref: str) -> Alert:
    alert = ctx.uow.alerts.by_ref(ref) if ref.strip() else None
    if alert is None:
        raise NotFound(f"No alert {ref.strip() or '(none given)'}. /alert list shows recent ones.")
    return alert


def deadline_from(
    ctx: Context, severity: str, day: date | None, clock_time: str | None
) -> datetime:
    """The acknowledgement deadline: the severity's default, or the date (and time) given."""
    if day is None:
        if clock_time:
            raise FieldProblem("deadline_date", "give a date with the time, or leave both blank")
        found = ctx.config.alert_severities.get(severity)
        hours = found.default_deadline_hours if found else 24
        return ctx.now + timedelta(hours=hours)
    at = time(23, 59)
    if clock_time:
        try:
            hour, minute = (int(part) for part in clock_time.strip().split(":"))
            at = time(hour, minute)
        except ValueError:
            raise FieldProblem("deadline_time", "give the time as HH:MM, e.g. 17:00") from None
    local = datetime.combine(day, at, tzinfo=ctx.config.zone)
    if local <= ctx.now:
        raise FieldProblem("deadline_date", "the deadline must be in the future")
    if local - ctx.now > MAX_DEADLINE:
        raise FieldProblem("deadline_date", "the deadline must be within 90 days")
    return local


def _check_lesson(ctx: Context, ref: str | None) -> str | None:
    if ref and ctx.uow.lessons.by_ref(ref) is None:
        raise FieldProblem("lesson_ref", f"there is no lesson {ref}")
    return ref or None


def save_draft(
    ctx: Context,
    values: dict[str, Any],
    *,
    draft: Alert | None = None,
    corrects: Alert | None = None,
    kind: str = "alert",
) -> Alert:
    """Create (or edit) a draft from the form's values; nothing is sent."""
    assert ctx.actor.staff_id is not None
    if corrects is not None:
        who = audience.Audience(corrects.audience_kind, tuple(corrects.audience_values))
    else:
        try:
            who = audience.parse(values.get("audience") or [])
        except ValueError as exc:
            raise FieldProblem("audience", str(exc)) from None
    severity = values["severity"]
    deadline = deadline_from(
        ctx, severity, values.get("deadline_date"), values.get("deadline_time")
    )
    fields = {
        "title": values["title"],
        "instructions": values["instructions"],
        "severity": severity,
        "audience_kind": who.kind,
        "audience_values": list(who.values),
        "ack_deadline": deadline,
        "lesson_ref": _check_lesson(ctx, values.get("lesson_ref")),
        "cas_ref": (values.get("cas_ref") or "").strip() or None,
        "emergency": bool(values.get("emergency")),
    }
    if corrects is None and ctx.uow.alerts.count_audience(who.kind, who.values) == 0:
        raise FieldProblem("audience", "nobody in the staff directory is in this audience")
    repeated = cas.ask(
        ctx,
        fields["cas_ref"],
        kind=kind,
        draft=draft,
        confirmed=bool(values.get(cas.CONFIRM_FIELD)),
    )
    if draft is None:
        draft = Alert(
            ref=ctx.uow.refs.next_ref("ALERT", ctx.calendar.local(ctx.now).year),
            kind=kind,
            status="draft",
            publisher_id=ctx.actor.staff_id,
            corrects_id=corrects.id if corrects else None,
            created_at=ctx.now,
            updated_at=ctx.now,
            **fields,
        )
        ctx.uow.alerts.add(draft)
        record(
            ctx,
            entity_type="alert",
            entity_ref=draft.ref,
            action="drafted",
            after=fields_for_audit(draft),
        )
        cas.keep(ctx, draft, repeated)
        return draft
    check_own_draft(ctx, draft)
    before = fields_for_audit(draft)
    for name, value in fields.items():
        setattr(draft, name, value)
    draft.updated_at = ctx.now
    record(
        ctx,
        entity_type="alert",
        entity_ref=draft.ref,
        action="edited",
        before=before,
        after=fields_for_audit(draft),
    )
    cas.keep(ctx, draft, repeated)
    return draft


def fields_for_audit(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "kind": alert.kind,
        "title": alert.title,
        "severity": alert.severity,
        "audience": [alert.audience_kind, *alert.audience_values],
        "deadline": alert.ack_deadline.isoformat(),
        "emergency": alert.emergency,
    }


def check_own_draft(ctx: Context, alert: Alert) -> None:
    if alert.publisher_id != ctx.actor.staff_id:
        raise UserError(f"{alert.ref} is another publisher's alert.")
    if alert.status != "draft":
        raise StaleCard(
            "alert",
            alert.ref,
            f"{alert.ref} is {views.STATUS_LABELS.get(alert.status, alert.status)}, "
            "so it can no longer be changed.",
        )


def recipients_planned(ctx: Context, alert: Alert) -> int:
    """How many people sending would reach now (the preview's count), reachable or not."""
    return ctx.uow.alerts.count_planned(alert, broadcast.original_of(ctx, alert))


def unreachable_blocks(ctx: Context, alert: Alert) -> list[Block]:
    return reach.before_sending(ctx, alert, broadcast.original_of(ctx, alert))


def _set_status(ctx: Context, alert: Alert, status: str, action: str, **extra: Any) -> None:
    before = alert.status
    alert.status = status
    alert.updated_at = ctx.now
    record(
        ctx,
        entity_type="alert",
        entity_ref=alert.ref,
        action=action,
        before={"status": before},
        after={"status": status, **extra},
        reason=extra.get("reason"),
    )


def approvers(ctx: Context, alert: Alert) -> list[int]:
    """Alert approvers other than the publisher (four-eyes)."""
    return [
        s
        for s in people.holders(ctx, "alert_approver")
        if not duties.barred(Decision.ALERT_APPROVAL, s, alert)
    ]


def request_approval(ctx: Context, alert: Alert) -> list[str]:
    """Ask every other approver; returns their names."""
    check_own_draft(ctx, alert)
    cas.check_before_sending(ctx, alert, by_publisher=True)
    chosen = approvers(ctx, alert)
    if not chosen:
        raise UserError(
            "No alert approver other than you is configured, so nobody can approve this. "
            "Ask an admin to add one (roles.alert_approver)."
        )
    _set_status(ctx, alert, "awaiting_approval", "approval_requested")
    alert.rejected_reason = None
    count = recipients_planned(ctx, alert)
    publisher = people.name_of(ctx, alert.publisher_id)
    blocks: list[Block] = [
        Notice(
            f"Approval needed: {publisher} wants to send {alert.ref} to {count_people(count)}.",
            "warning",
        ),
        *unreachable_blocks(ctx, alert),
        *cas.confirmed_blocks(ctx, alert),
        *broadcast_body(ctx, alert),
        Buttons(approval_buttons(alert)),
        SmallPrint("You cannot approve your own alert; the first approver's decision counts."),
    ]
    reply = Reply(summary=f"Approval needed: {alert.ref} {alert.title}", blocks=tuple(blocks))
    ctx.enqueuer.to_people(
        chosen,
        reply,
        f"alert:{alert.ref}:approve:{ctx.now.isoformat()}",
        urgent=True,
        card=cards.key("alert", alert.ref),
    )
    return [people.name_of(ctx, s) for s in chosen]


def broadcast_body(ctx: Context, alert: Alert) -> list[Block]:
    original = broadcast.original_of(ctx, alert)
    return views.body(
        ctx.config,
        ctx.calendar,
        alert,
        original_ref=original.ref if original else None,
        audience_text=f"Everyone {original.ref} was sent to" if original else "",
    )


def approval_buttons(alert: Alert) -> tuple[Button, Button]:
    """Approve and Reject, the same wherever an approver meets a pending alert."""
    return (
        Button("Approve and send", "alert.approve", {"ref": alert.ref}, "primary"),
        Button(
            "Reject…",
            "alert.reject",
            {"ref": alert.ref},
            "danger",
            f"Reject {alert.ref}? It goes back to its publisher as a draft.",
        ),
    )


def may_approve(ctx: Context, alert: Alert) -> bool:
    """The person could approve `alert` now: it is waiting, they hold the approver role and
    they did not publish it (the same checks the press makes again)."""
    return (
        alert.status == "awaiting_approval"
        and duties.permits(ctx, Decision.ALERT_APPROVAL, alert)
        and allowed(ctx.config, ctx.actor.roles, "alert.approve")
    )


def too_late_to_send(ctx: Context, alert: Alert) -> bool:
    """Its deadline has passed, or less than one reminder interval is left: sent now, nobody
    would have time to acknowledge it, and every line manager would be escalated at once."""
    found = ctx.config.alert_severities.get(alert.severity)
    margin = timedelta(minutes=found.remind_every_minutes if found else 30)
    return ctx.now + margin >= alert.ack_deadline


def move_deadline(ctx: Context, alert: Alert, deadline: datetime) -> None:
    """The approver's new deadline for an alert that waited too long (see too_late_to_send)."""
    before = alert.ack_deadline
    alert.ack_deadline = deadline
    alert.updated_at = ctx.now
    record(
        ctx,
        entity_type="alert",
        entity_ref=alert.ref,
        action="deadline_moved",
        before={"ack_deadline": before.isoformat()},
        after={"ack_deadline": deadline.isoformat()},
    )


def approve(ctx: Context, alert: Alert) -> int:
    """A second person approves, and the alert is sent at once. Returns the recipient count."""
    duties.check(ctx, Decision.ALERT_APPROVAL, alert, alert.ref)
    if alert.status == "awaiting_approval" and too_late_to_send(ctx, alert):
        raise UserError(
            f"{alert.ref}'s acknowledgement deadline has passed or is too close: approve it "
            "with a new deadline."
        )
    if alert.status != "awaiting_approval":
        state = views.STATUS_LABELS.get(alert.status, alert.status)
        if alert.approver_id:
            who = people.name_of(ctx, alert.approver_id)
            raise StaleCard(
                "alert", alert.ref, f"{alert.ref} was already approved by {who} (now {state})."
            )
        raise StaleCard(
            "alert", alert.ref, f"{alert.ref} is {state}, so there is nothing to approve."
        )
    cas.check_before_sending(ctx, alert, by_publisher=False)
    alert.approver_id = ctx.actor.staff_id
    alert.approved_at = ctx.now
    _set_status(ctx, alert, "awaiting_approval", "approved", approver_id=ctx.actor.staff_id)
    count = broadcast.send(ctx, alert)
    told = Reply(
        summary=f"{alert.ref} approved by {ctx.actor.name} and sent to {count_people(count)}",
        blocks=(
            Notice(
                f"{alert.ref} was approved by {ctx.actor.name} and sent to {count_people(count)}. "
                "Your status message below updates as acknowledgements arrive.",
                "success",
            ),
        ),
    )
    ctx.enqueuer.to_person(alert.publisher_id, told, f"alert:{alert.ref}:approved", urgent=True)
    return count


def reject(ctx: Context, alert: Alert, reason: str) -> None:
    duties.check(ctx, Decision.ALERT_APPROVAL, alert, alert.ref)
    if alert.status != "awaiting_approval":
        raise StaleCard(
            "alert",
            alert.ref,
            f"{alert.ref} is already {views.STATUS_LABELS.get(alert.status, alert.status)}.",
        )
    alert.rejected_reason = reason
    _set_status(ctx, alert, "draft", "rejected", reason=reason)
    text = f"{alert.ref} was not approved by {ctx.actor.name}. Reason: {reason}"
    reply = Reply(
        summary=text,
        blocks=(Notice(text, "warning"), *broadcast_body(ctx, alert), draft_buttons(alert)),
    )
    ctx.enqueuer.to_person(
        alert.publisher_id,
        reply,
        f"alert:{alert.ref}:rejected:{ctx.now.isoformat()}",
        urgent=True,
        card=cards.key("alert", alert.ref),
    )


def send_now(ctx: Context, alert: Alert) -> int:
    """A tier-5 emergency: the publisher sends without a second approver; approvers are told."""
    check_own_draft(ctx, alert)
    if not alert.emergency:
        raise UserError(f"{alert.ref} is not marked as a tier-5 emergency: send it for approval.")
    cas.check_before_sending(ctx, alert, by_publisher=True)
    _set_status(ctx, alert, "draft", "emergency_send")
    count = broadcast.send(ctx, alert)
    text = (
        f"Tier-5 emergency: {ctx.actor.name} sent {alert.ref} to {count_people(count)} without a "
        "second approver."
    )
    reply = Reply(summary=text, blocks=(Notice(text, "warning"), *broadcast_body(ctx, alert)))
    ctx.enqueuer.to_people(
        approvers(ctx, alert), reply, f"alert:{alert.ref}:emergency", urgent=True
    )
    return count


def discard(ctx: Context, alert: Alert) -> None:
    check_own_draft(ctx, alert)
    _set_status(ctx, alert, "discarded", "discarded")


def draft_buttons(alert: Alert) -> Buttons:
    send = (
        Button("Send now", "alert.send", {"ref": alert.ref}, "danger")
        if alert.emergency
        else Button("Send for approval", "alert.submit", {"ref": alert.ref}, "primary")
    )
    return Buttons(
        (
            send,
            Button("Edit", "alert.edit", {"ref": alert.ref}),
            Button(
                "Discard",
                "alert.discard",
                {"ref": alert.ref},
                confirm=f"Discard {alert.ref}? The draft cannot be sent afterwards.",
            ),
        )
    )


def preview(ctx: Context, alert: Alert, *, replace: bool = False) -> Reply:
    """What the publisher sees before sending: the message as recipients will, and the count."""
    count = recipients_planned(ctx, alert)
    how = (
        "Tier-5 emergency: Send now sends it at once, without a second approver."
        if alert.emergency
        else "An alert approver other than you must approve it before it is sent."
    )
    blocks: list[Block] = [
        Notice(f"Preview of {alert.ref}: it will reach {count_people(count)}.", "success"),
        *unreachable_blocks(ctx, alert),
        *cas.confirmed_blocks(ctx, alert),
        *broadcast_body(ctx, alert),
        Text(how),
        draft_buttons(alert),
    ]
    return Reply(
        summary=f"Preview of {alert.ref}: {counted(count, 'recipient')}",
        blocks=tuple(blocks),
        replace_original=replace,
    )


def acknowledge(ctx: Context, alert: Alert) -> tuple[AlertRecipient | None, bool]:
    """Record the actor's acknowledgement (once), on whichever channel they pressed
    (`ctx.platform`). Returns (their row, whether it is new).

    One conditional UPDATE decides "first": presses arriving together on chat and a link, or
    on two replicas, record it once, and only the first is audited. The person's texts and
    emails for the alert still waiting in the outbox are withdrawn (one a sender has already
    taken goes out: Notify cannot take it back)."""
    assert ctx.actor.staff_id is not None
    if alert.status not in SENT:
        raise UserError(f"{alert.ref} has not been sent.")
    new = ctx.uow.alerts.acknowledge(alert.id, ctx.actor.staff_id, ctx.now, ctx.platform)
    row = ctx.uow.alerts.recipient_now(alert.id, ctx.actor.staff_id)
    if row is None:
        return None, False
    if new:
        # Their texts and emails still queued would only tell them again: never sent.
        ctx.uow.attempts.withdraw_queued(
            alert.id,
            ctx.actor.staff_id,
            f"withdrawn: acknowledged on {ctx.platform} before it was sent",
            ctx.now,
        )
        record(
            ctx,
            entity_type="alert",
            entity_ref=alert.ref,
            action="acknowledged",
            after={"late": ctx.now > alert.ack_deadline, "via": ctx.platform},
            redraws=False,  # an alert's cards show its status, not who acknowledged it
        )
    return row, new


def check_correctable(ctx: Context, alert: Alert) -> None:
    if alert.status not in SENT or alert.kind == "retraction":
        raise UserError(f"Only a sent alert can be corrected or retracted; {alert.ref} is not.")
    later = ctx.uow.alerts.replaced_by(alert.id, SENT)
    if later is not None:
        raise UserError(
            f"{alert.ref} was already replaced by {later.ref}: correct that one instead."
        )
