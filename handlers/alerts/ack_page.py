"""What the page behind a personal acknowledgement link shows, and the HTTP status each state
of the link answers with. The HTML is the adapter's (bot/ack_web.py, in the web shell).

A used, unknown or refused link shows one sentence and nothing about any alert: the same
sentence for a made-up token as for a link to an alert not sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.alerts import views
from handlers.alerts.ack_links import Seen
from handlers.calendar import WorkingCalendar
from handlers.config import OrgConfig

STATUS = {
    "open": 200,
    "acknowledged": 200,
    "expired": 410,
    "replaced": 410,
    "used": 410,
    "denied": 403,
    "unknown": 404,
}
REFUSED = {
    "used": (
        "This link has already been used",
        "Each link works once. If you pressed Acknowledge, it was recorded: there is nothing "
        "more to do.",
    ),
    "denied": (
        "You cannot acknowledge alerts here",
        "Acknowledging alerts is not open to you. Ask the QI team if you think this is wrong.",
    ),
    "unknown": (
        "This link is not valid",
        "Check that you opened the whole link from your text or email. If it still does not "
        "work, acknowledge in Teams or Slack, or tell your line manager you have read the alert.",
    ),
}


@dataclass(frozen=True)
class Refused:
    """A page of one sentence (a refusal, or "not saved"), naming no alert."""

    title: str
    message: str


@dataclass(frozen=True)
class AlertShown:
    """The alert a link leads to, in words, and what the link may still do (`state`)."""

    state: str
    """open (the Acknowledge button), acknowledged, expired or replaced."""
    title: str
    headline: str
    severity: str
    critical: bool
    instructions: str
    ref: str
    deadline: str
    name: str
    acked_at: str
    acked_day: str
    replaced_by: str


def view(
    config: OrgConfig, calendar: WorkingCalendar, seen: Seen
) -> tuple[int, AlertShown | Refused]:
    """(HTTP status, what to show) for what a link leads to."""
    alert = seen.alert
    if alert is None or seen.state in REFUSED:
        return STATUS.get(seen.state, 404), Refused(*REFUSED.get(seen.state, REFUSED["unknown"]))
    acked = calendar.local(seen.acked_at) if seen.acked_at else None
    return STATUS[seen.state], AlertShown(
        state=seen.state,
        title=f"{alert.ref}: {alert.title}",
        headline=views.headline(alert, seen.original_ref),
        severity=views.severity_label(config, alert),
        critical=alert.severity == "critical",
        instructions=alert.instructions,
        ref=alert.ref,
        deadline=views.when(calendar, alert.ack_deadline),
        name=seen.name or "",
        acked_at=f"{acked:%H:%M}" if acked else "",
        acked_day=f"{acked:%A %d %B %Y}" if acked else "",
        replaced_by=seen.replaced_by or "",
    )
