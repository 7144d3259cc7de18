"""The alert rules from docs/domain.md, on the shared reminder ledger (so each occasion fires
once, catches up after downtime and never doubles with two clocks):

- alert_not_acknowledged: every `remind_every_minutes` of the alert's severity until the
  deadline, the people who have not acknowledged get the alert again. Occasion n is "n
  intervals since sending"; after downtime only the current interval fires, not every missed
  one. The same pass copies delivery results into the ledger and, when the figures changed,
  replaces the publisher's status message (an occasion per distinct set of figures, so the
  status is rewritten at most once per tick, i.e. once a minute, and only on change).
- alert_deadline_passed: at the deadline, each non-acknowledger's line manager is told (a
  button lists their own people), the publisher gets the list (with those who have no line
  manager on record) and the alert closes. Acknowledgements after that are still recorded
  (and marked late in the audit trail).
- alert_approval_pending: while an alert awaits approval, every `remind_every_minutes` of its
  severity the approvers are asked again, with Approve and Reject; once its deadline is within
  one interval, the publisher is told (once) that it is still waiting. Occasion n is "n
  intervals since approval was asked" (after downtime only the current one fires), and belongs to
  one request, so a rejected alert sent for approval again is chased afresh.

All are urgent: alerts ignore quiet hours. Messages to non-acknowledgers and managers are
queued by INSERT … SELECT (Due.fan_out), so 100,000 people are never listed in memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from handlers import people
from handlers.alerts import broadcast, service, views
from handlers.alerts.policy import PolicyStepDue
from handlers.audit import record
from handlers.config import Rule
from handlers.context import Context
from handlers.reminders import Due
from messages.templates import count_people
from messages.view import (
    Block,
    Button,
    Buttons,
    Heading,
    Notice,
    Reply,
    SmallPrint,
    Text,
)
from store.models import Alert

NAMES_SHOWN = 50


def _renotify(alert: Alert, reply: Reply, ctx: Context, key: str) -> None:
    ctx.uow.outbox.enqueue_from_select(
        ctx.uow.alerts.not_acked(alert.id),
        key=key,
        payload=ctx.enqueuer.payload(reply),
        now=ctx.now,
        urgent=True,
    )
    ctx.uow.alerts.mark_notified(alert.id, ctx.now)


def _refresh(alert: Alert, ctx: Context, key: str) -> None:
    broadcast.refresh_status_message(ctx, alert, key)


@dataclass(frozen=True)
class NotAcknowledged:
    name: str = "alert_not_acknowledged"
    urgent: bool = True

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        """Live alerts are few: each tick looks at every one (`since` is not needed)."""
        for alert in ctx.uow.alerts.with_status("live"):
            if alert.corrects_id is not None:
                broadcast.replace_late_deliveries(ctx, alert)
            ctx.uow.alerts.sync_deliveries(alert.id)
            tally = ctx.uow.alerts.tally(alert.id)
            ctx.uow.attempts.sync(alert.id)
            texts_failed = sum(ctx.uow.attempts.failures_by_site(alert.id).values())
            figures = f"s{tally.delivered}.{tally.acked}.{tally.failed}.{texts_failed}"
            yield Due(
                alert.ref,
                figures,
                Reply(summary=f"{alert.ref} status"),
                fan_out=partial(_refresh, alert),
            )
            if alert.sent_at is None or ctx.now >= alert.ack_deadline:
                continue
            severity = ctx.config.alert_severities.get(alert.severity)
            minutes = rule.every_minutes or (severity.remind_every_minutes if severity else 30)
            intervals = int((ctx.now - alert.sent_at).total_seconds() // (minutes * 60))
            if intervals < 1 or tally.acked >= tally.total:
                continue
            reply = broadcast.recipient_card(ctx, alert, reminder=intervals)
            yield Due(alert.ref, f"r{intervals}", reply, fan_out=partial(_renotify, alert, reply))


def _escalate(alert: Alert, ctx: Context, key: str) -> None:
    escalated = ctx.uow.alerts.mark_escalated(alert.id, ctx.now)
    text = (
        f"Critical alert {alert.ref} ('{alert.title}') passed its acknowledgement deadline and "
        "people you manage have not acknowledged it. Please make sure they have seen it."
    )
    reply = Reply(
        summary=text,
        blocks=(
            Heading(f"Not acknowledged: {alert.ref}"),
            Notice(text, "warning"),
            Buttons((Button("See who", "alert.team", {"ref": alert.ref}, "primary"),)),
        ),
    )
    ctx.uow.outbox.enqueue_from_select(
        ctx.uow.alerts.managers_of_not_acked(alert.id),
        key=f"{key}:managers",
        payload=ctx.enqueuer.payload(reply),
        now=ctx.now,
        urgent=True,
    )
    before = alert.status
    alert.status = "closed"
    alert.closed_at = ctx.now
    alert.updated_at = ctx.now
    record(
        ctx,
        entity_type="alert",
        entity_ref=alert.ref,
        action="deadline_passed",
        before={"status": before},
        after={"status": alert.status, "escalated": escalated},
    )
    broadcast.refresh_status_message(ctx, alert, f"{key}:status")


def publisher_list(ctx: Context, alert: Alert) -> Reply:
    """What the publisher gets at the deadline: the figures and who has not acknowledged."""
    tally = ctx.uow.alerts.tally(alert.id)
    names, missing = ctx.uow.alerts.not_acked_names(alert.id, NAMES_SHOWN)
    unmanaged, without = ctx.uow.alerts.not_acked_names(alert.id, NAMES_SHOWN, no_manager=True)
    text = (
        f"The acknowledgement deadline of {alert.ref} has passed: {tally.acked} of {tally.total} "
        f"acknowledged, {missing} not. Their line managers have been told; the alert is closed."
    )
    blocks: list[Block] = [Heading(f"Deadline passed: {alert.title}"), Notice(text, "warning")]
    if names:
        more = f" and {missing - len(names)} more" if missing > len(names) else ""
        blocks.append(Text(f"Not acknowledged: {', '.join(names)}{more}."))
    if unmanaged:
        more = f" and {without - len(unmanaged)} more" if without > len(unmanaged) else ""
        blocks.append(
            Text(
                f"No line manager on record, so please follow up yourself: "
                f"{', '.join(unmanaged)}{more}."
            )
        )
    blocks.append(SmallPrint(views.EXPORT_HINT.format(ref=alert.ref)))
    return Reply(summary=text, blocks=tuple(blocks))


@dataclass(frozen=True)
class DeadlinePassed:
    name: str = "alert_deadline_passed"
    urgent: bool = True

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        for alert in ctx.uow.alerts.with_status("live"):
            if ctx.now < alert.ack_deadline:
                continue
            ctx.uow.alerts.sync_deliveries(alert.id)
            yield Due(
                alert.ref,
                "deadline",
                publisher_list(ctx, alert),
                people=(alert.publisher_id,),
                fan_out=partial(_escalate, alert),
            )


def interval_words(minutes: int) -> str:
    """ "30 minutes", "2 hours", "1 day": how often a severity reminds, in plain words."""
    for size, unit in ((1440, "day"), (60, "hour")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _approvers_reminder(ctx: Context, alert: Alert, waited: str) -> Reply:
    publisher = people.name_of(ctx, alert.publisher_id)
    count = service.recipients_planned(ctx, alert)
    text = (
        f"Still waiting for approval ({waited}): {publisher} wants to send {alert.ref} to "
        f"{count_people(count)}."
    )
    blocks: list[Block] = [Notice(text, "warning"), *service.broadcast_body(ctx, alert)]
    if service.too_late_to_send(ctx, alert):
        blocks.append(Text("Its deadline has passed or is near: approving asks you for a new one."))
    blocks += [
        Buttons(service.approval_buttons(alert)),
        SmallPrint("You cannot approve your own alert; the first approver's decision counts."),
    ]
    return Reply(summary=text, blocks=tuple(blocks))


def _publisher_warning(ctx: Context, alert: Alert) -> Reply:
    text = (
        f"{alert.ref} is still waiting for approval and its acknowledgement deadline "
        f"({views.when(ctx.calendar, alert.ack_deadline)}) is near or past. The approvers have "
        "been reminded; whoever approves it will be asked for a new deadline."
    )
    return Reply(
        summary=text,
        blocks=(
            Heading(f"Not yet approved: {alert.title}"),
            Notice(text, "warning"),
            Buttons((Button("Status", "alert.status", {"ref": alert.ref}),)),
        ),
    )


@dataclass(frozen=True)
class ApprovalPending:
    name: str = "alert_approval_pending"
    urgent: bool = True

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        """Alerts awaiting approval are few: each tick looks at every one. Its status has not
        changed since approval was asked, so `updated_at` is when that was."""
        for alert in ctx.uow.alerts.with_status("awaiting_approval"):
            asked = alert.updated_at
            request = f"{asked:%Y%m%dT%H%M%S}"
            severity = ctx.config.alert_severities.get(alert.severity)
            minutes = rule.every_minutes or (severity.remind_every_minutes if severity else 30)
            intervals = int((ctx.now - asked).total_seconds() // (minutes * 60))
            if intervals >= 1:
                waited = interval_words(minutes * intervals)
                yield Due(
                    alert.ref,
                    f"approve{intervals}@{request}",
                    _approvers_reminder(ctx, alert, waited),
                    people=tuple(service.approvers(ctx, alert)),
                )
            if service.too_late_to_send(ctx, alert):
                yield Due(
                    alert.ref,
                    f"deadline@{request}",
                    _publisher_warning(ctx, alert),
                    people=(alert.publisher_id,),
                )


RULES = (NotAcknowledged(), DeadlinePassed(), ApprovalPending(), PolicyStepDue())
