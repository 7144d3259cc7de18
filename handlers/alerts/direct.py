"""One critical alert as a text or an email to one person (GOV.UK Notify), given their link.

The seam the channel policy (issue 15, item 2) and the acknowledgement links (item 3) build
on: they decide who gets a text or an email and when, and make each person's `/ack/{token}`
link; this queues the message. The fields below are the ((placeholders)) the operator's
Notify templates use (docs/notify.md); `qihub notify check` and the fake Notify in the tests
hold the templates to them. No number or address is ever put in the outbox: the sender looks
them up when it sends.
"""

from __future__ import annotations

from typing import Final

from handlers.alerts import views
from handlers.context import Context
from handlers.platform import DirectVia
from messages.view import Reply
from store.models import Alert

TEMPLATE_FIELDS: Final = (
    "org",
    "reminder",
    "ref",
    "title",
    "severity",
    "deadline",
    "instructions",
    "ack_url",
)
"""Every ((placeholder)) QI Hub fills; a template may use any of them, and no others."""
SMS_TITLE: Final = 60
"""Characters of the title in a text, so a text stays one fragment (160 characters)."""


def alert_fields(
    ctx: Context, alert: Alert, link: str, *, reminder: bool = False
) -> dict[str, str]:
    """The template's ((placeholders)) for `alert`, with the person's acknowledgement link."""
    title = alert.title if len(alert.title) <= SMS_TITLE else alert.title[: SMS_TITLE - 1] + "…"
    return {
        "org": ctx.config.organisation.short_name,
        "reminder": "Reminder: " if reminder else "",
        "ref": alert.ref,
        "title": title,
        "severity": views.severity_label(ctx.config, alert),
        "deadline": views.when(ctx.calendar, alert.ack_deadline),
        "instructions": alert.instructions,
        "ack_url": link,
    }


def queue_alert_message(
    ctx: Context,
    alert: Alert,
    staff_id: int,
    via: DirectVia,
    link: str,
    *,
    step: str = "0",
    reminder: bool = False,
) -> bool:
    """Queue `alert` to one person by text or email (once per alert, person, channel and
    `step`: a later policy step or reminder passes its own). False when already queued."""
    fields = alert_fields(ctx, alert, link, reminder=reminder)
    reply = Reply(summary=f"{fields['reminder']}Critical alert {alert.ref}: {alert.title}")
    return ctx.enqueuer.direct_to_person(
        staff_id, via, reply, f"alert:{alert.ref}:direct{step}", personalisation=fields
    )
