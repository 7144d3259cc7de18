"""The page behind a personal acknowledgement link, as plain accessible HTML (no script, no
external assets), and the HTTP status each state of the link answers with.

Jinja2 with autoescaping on: an alert's title or instructions containing markup shows as text.
A used, unknown or refused link shows one sentence and nothing about any alert.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from handlers.alerts import views
from handlers.alerts.ack_links import Seen
from handlers.calendar import WorkingCalendar
from handlers.config import OrgConfig
from messages.templates import TEMPLATES

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


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES / "ack"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def plain(config: OrgConfig, title: str, message: str) -> str:
    """A page of one sentence (a refusal, or "not saved")."""
    page = environment().get_template("page.html")
    return page.render(
        organisation=config.organisation.name, alert=None, title=title, message=message
    )


def render(config: OrgConfig, calendar: WorkingCalendar, seen: Seen) -> tuple[int, str]:
    """(HTTP status, page) for what a link leads to."""
    organisation = config.organisation.name
    page = environment().get_template("page.html")
    alert = seen.alert
    if alert is None or seen.state in REFUSED:
        title, message = REFUSED.get(seen.state, REFUSED["unknown"])
        return STATUS.get(seen.state, 404), plain(config, title, message)
    acked = calendar.local(seen.acked_at) if seen.acked_at else None
    html = page.render(
        organisation=organisation,
        alert=alert,
        state=seen.state,
        title=f"{alert.ref}: {alert.title}",
        headline=views.headline(alert, seen.original_ref),
        severity=views.severity_label(config, alert),
        severity_code=alert.severity,
        instructions=alert.instructions,
        ref=alert.ref,
        deadline=views.when(calendar, alert.ack_deadline),
        name=seen.name,
        acked_at=f"{acked:%H:%M}" if acked else "",
        acked_day=f"{acked:%A %d %B %Y}" if acked else "",
        replaced_by=seen.replaced_by,
    )
    return STATUS[seen.state], html
