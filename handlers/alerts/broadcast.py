"""Sending an alert: the broadcast, the all-staff post, the publisher's live status message, and
replacing delivered messages when an alert is corrected or retracted.

The broadcast runs in the approving request's own transaction, as one unit with the approval:
either the alert is live with every recipient row and outbox row written, or (on any failure)
nothing is, and the approver can simply press again. Memory stays flat however large the
audience: the database resolves it and copies rows in keyset batches of 1,000 staff ids
(INSERT … SELECT), so Python only ever holds a pair of ids per batch.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.alerts import reach, views
from handlers.audit import record
from handlers.context import Context
from messages.view import Reply
from store.models import Alert
from store.repos.alerts import BATCH

ALL_STAFF = "all_staff"
"""The config's channel key for the all-staff channel(s) every alert is posted to."""


def send_key(alert: Alert) -> str:
    return f"alert:{alert.ref}:send"


def status_key(alert: Alert) -> str:
    return f"alert:{alert.ref}:status"


def original_of(ctx: Context, alert: Alert) -> Alert | None:
    return ctx.uow.alerts.get(alert.corrects_id) if alert.corrects_id else None


def recipient_card(
    ctx: Context, alert: Alert, *, channel: bool = False, reminder: int = 0
) -> Reply:
    original = original_of(ctx, alert)
    return views.recipient_card(
        ctx.config,
        ctx.calendar,
        alert,
        original_ref=original.ref if original else None,
        audience_text=f"Everyone {original.ref} was sent to" if original else "",
        channel=channel,
        reminder=reminder,
    )


def status_reply(ctx: Context, alert: Alert) -> Reply:
    """The publisher's status message (and /alert status without the names)."""
    tally = ctx.uow.alerts.tally(alert.id)
    blocks = views.status_blocks(
        ctx.config,
        ctx.calendar,
        alert,
        tally,
        ctx.uow.alerts.tally_by_site(alert.id),
        now=ctx.now,
        failed=ctx.uow.attempts.failures_by_site(alert.id),
    )
    blocks[3:3] = reach.after_sending(ctx, alert)
    summary = f"{alert.ref}: {tally.acked} of {tally.total} acknowledged"
    return Reply(summary=summary, blocks=tuple(blocks))


def send(ctx: Context, alert: Alert) -> int:
    """Broadcast `alert` now: recipients and their urgent messages, the all-staff post, the
    publisher's status message. Returns the number of recipients."""
    before = alert.status
    alert.status = "sending"
    alert.updated_at = ctx.now
    original = original_of(ctx, alert)
    if original is not None:  # queued first, so the old message is replaced before the new
        supersede(ctx, original, alert)
    payload = ctx.enqueuer.payload(recipient_card(ctx, alert))
    key = send_key(alert)
    batches = (
        ctx.uow.alerts.copy_recipients(alert.id, original, ctx.now)
        if original is not None
        else ctx.uow.alerts.add_recipients(
            alert.id, alert.audience_kind, alert.audience_values, ctx.now
        )
    )
    for after, upto in batches:
        ctx.uow.outbox.enqueue_from_select(
            ctx.uow.alerts.recipients_between(alert.id, after, upto),
            key=key,
            payload=payload,
            now=ctx.now,
            urgent=True,
        )
        ctx.uow.alerts.link_outbox(alert.id, key, after, upto)
    alert.recipient_count = ctx.uow.alerts.count_recipients(alert.id)
    if ALL_STAFF in ctx.config.channels:
        ctx.enqueuer.to_channel(
            ALL_STAFF, recipient_card(ctx, alert, channel=True), key, urgent=True
        )
    alert.status = "live"
    alert.sent_at = ctx.now
    from handlers.alerts import policy

    policy.start(ctx, alert)
    ctx.enqueuer.to_person(
        alert.publisher_id, status_reply(ctx, alert), status_key(alert), urgent=True
    )
    row = ctx.uow.alerts.outbox_row(f"{status_key(alert)}>p{alert.publisher_id}")
    alert.status_outbox_id = row.id if row is not None else None
    record(
        ctx,
        entity_type="alert",
        entity_ref=alert.ref,
        action="sent",
        before={"status": before},
        after={
            "status": alert.status,
            "recipients": alert.recipient_count,
            "emergency": alert.emergency,
            "approver_id": alert.approver_id,
        },
    )
    return alert.recipient_count


def _update_payload(
    ctx: Context, reply: Reply, platform: str, handle: dict[str, Any]
) -> dict[str, Any]:
    """An outbox payload asking the sender to replace a delivered message in place."""
    return ctx.enqueuer.payload(reply, update={"platform": platform, "handle": handle})


LATE_WINDOW = timedelta(minutes=10)
"""How long after a correction the original's messages that were already on their way are
looked for and replaced too (a sender's lease on a message is two minutes)."""
LATE_MARGIN = timedelta(minutes=5)
"""Deliveries recorded this long before the original closed are looked at again: a message
sent just before may have been recorded just after (and the clocks of two processes differ)."""


def pending_prefixes(alert: Alert) -> list[str]:
    """The dedupe-key prefixes of everything queued for `alert`: the broadcast and the
    all-staff post, the re-notifications, and the escalations to line managers."""
    return [
        f"{send_key(alert)}>",
        f"rem:alert_not_acknowledged:{alert.ref}:",
        f"rem:alert_deadline_passed:{alert.ref}:",
    ]


def supersede(ctx: Context, original: Alert, by: Alert) -> int:
    """Close `original`, withdraw its messages not yet sent (a late original must never
    arrive after its correction or retraction), and replace its delivered messages (each
    person's and the all-staff post) with a note pointing at `by`, a keyset page of handles
    at a time. Returns how many messages will be replaced; people whose message never
    arrived just get `by`."""
    withdrawn = ctx.uow.outbox.withdraw_pending(
        pending_prefixes(original),
        f"withdrawn: {by.ref} replaced {original.ref} before it was sent",
    )
    ctx.uow.alerts.sync_deliveries(original.id)
    before = original.status
    original.status = "closed"
    original.closed_at = original.closed_at or ctx.now
    original.updated_at = ctx.now
    replaced = replace_delivered(ctx, original, by)
    refresh_status_message(ctx, original, f"alert:{original.ref}:superseded:status")
    record(
        ctx,
        entity_type="alert",
        entity_ref=original.ref,
        action="corrected" if by.kind == "correction" else "retracted",
        before={"status": before},
        after={"status": original.status, "by": by.ref, "withdrawn": withdrawn},
    )
    return replaced


def replace_delivered(
    ctx: Context, original: Alert, by: Alert, *, since: datetime | None = None
) -> int:
    """Queue the replacement of `original`'s delivered messages (delivered at `since` or
    later, if given) with the note pointing at `by`. Keys are per person, so a message
    already being replaced is not queued twice. Returns how many were queued now."""
    reply = views.superseded_card(original, by)
    key = f"alert:{original.ref}:superseded"
    replaced = 0
    after = 0
    while True:
        page = ctx.uow.alerts.delivered_handles(original.id, after, BATCH, since=since)
        if not page:
            break
        rows = [
            {
                "dedupe_key": f"{key}>p{staff_id}",
                "recipient_id": staff_id,
                "payload": _update_payload(ctx, reply, platform, handle),
                "urgent": True,
            }
            for staff_id, platform, handle in page
        ]
        replaced += ctx.uow.outbox.enqueue_many(rows, ctx.now)
        after = page[-1][0]
    post = ctx.uow.alerts.outbox_row(f"{send_key(original)}>c{ALL_STAFF}")
    if post is not None and post.platform and post.platform_ref:
        replaced += ctx.uow.outbox.enqueue_many(
            [
                {
                    "dedupe_key": f"{key}>c{ALL_STAFF}",
                    "channel": ALL_STAFF,
                    "payload": _update_payload(ctx, reply, post.platform, dict(post.platform_ref)),
                    "urgent": True,
                }
            ],
            ctx.now,
        )
    return replaced


def replace_late_deliveries(ctx: Context, correction: Alert) -> int:
    """The original's messages that were already being sent when `correction` was approved
    (claimed by a sender, so not withdrawn) arrive after it: for LATE_WINDOW, each clock
    tick replaces those too. Returns how many replacements were queued."""
    original = original_of(ctx, correction)
    if original is None or original.closed_at is None:
        return 0
    if ctx.now > original.closed_at + LATE_WINDOW:
        return 0
    ctx.uow.alerts.sync_deliveries(original.id)
    return replace_delivered(ctx, original, correction, since=original.closed_at - LATE_MARGIN)


def refresh_status_message(ctx: Context, alert: Alert, key: str) -> bool:
    """Replace the publisher's status message with the current figures. Nothing happens until
    the first status message has been delivered (its handle is what we update)."""
    row = ctx.uow.outbox.get(alert.status_outbox_id) if alert.status_outbox_id else None
    if row is None or not row.platform or not row.platform_ref:
        return False
    payload = _update_payload(ctx, status_reply(ctx, alert), row.platform, dict(row.platform_ref))
    return ctx.uow.outbox.enqueue(
        dedupe_key=f"{key}>p{alert.publisher_id}",
        payload=payload,
        now=ctx.now,
        recipient_id=alert.publisher_id,
        urgent=True,
    )
