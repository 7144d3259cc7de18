"""The critical-alerts section of the weekly digest of each committee with `digest_alerts = true`
(docs/domain.md: "alerts and acknowledgement rates (PSC)"): every alert sent in the digest's week or
still collecting acknowledgements, with how many of its recipients have acknowledged it so far.
Two bounded queries, whatever the number of recipients."""

from __future__ import annotations

from collections.abc import Sequence

from handlers.alerts.views import STATUS_LABELS, severity_label
from handlers.config import OrgConfig
from handlers.digest.data import ExtraSection, Period
from messages.view import Item
from store.uow import UnitOfWork

SHOWN = 10
TITLE = "Critical alerts"


def alerts_section(uow: UnitOfWork, config: OrgConfig, period: Period) -> Sequence[ExtraSection]:
    """The section for a committee that asked for it; nothing for the others."""
    committee = config.committees.get(period.committee)
    if committee is None or not committee.digest_alerts:
        return ()
    alerts = uow.alerts.for_digest(period.since, SHOWN + 1)
    if not alerts:
        return (ExtraSection(TITLE, "No critical alert was sent this week or is still live."),)
    shown = alerts[:SHOWN]
    shares = uow.alerts.acked_share([a.id for a in shown])
    items: list[Item] = []
    for alert in shown:
        acked, total = shares.get(alert.id, (0, 0))
        deadline = alert.ack_deadline.astimezone(config.zone)
        items.append(
            Item(
                alert.title,
                alert.ref,
                f"{severity_label(config, alert)} · {acked} of {total} acknowledged "
                f"({_percent(acked, total)}) · {STATUS_LABELS.get(alert.status, alert.status)}"
                f" · deadline {deadline:%a %d %b %H:%M}",
            )
        )
    acked = sum(shares.get(a.id, (0, 0))[0] for a in shown)
    total = sum(shares.get(a.id, (0, 0))[1] for a in shown)
    live = sum(1 for a in shown if a.status == "live")
    sent = sum(1 for a in shown if a.sent_at is not None and a.sent_at >= period.since)
    more = f" (the {SHOWN} most recent shown)" if len(alerts) > SHOWN else ""
    text = (
        f"{_count(sent, 'alert')} sent this week, {live} still collecting acknowledgements"
        f"{more}. {_percent(acked, total)} of recipients have acknowledged ({acked} of {total})."
    )
    return (ExtraSection(TITLE, text, tuple(items)),)


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "no recipients"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
