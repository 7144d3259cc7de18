"""How alerts look: the card each recipient gets, the preview, the approver's request, the
acknowledged and superseded versions that replace a message in place, and the status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from handlers.alerts import audience
from handlers.calendar import WorkingCalendar
from handlers.config import OrgConfig
from messages.view import (
    Block,
    Button,
    Buttons,
    Fact,
    Facts,
    Heading,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
    Tone,
)
from store.models import Alert
from store.repos.alerts import Tally

STATUS_LABELS = {
    "draft": "draft",
    "awaiting_approval": "awaiting approval",
    "sending": "sending",
    "live": "live: collecting acknowledgements",
    "closed": "closed",
    "discarded": "discarded",
}
EXPORT_HINT = (
    "The full acknowledgement ledger (CSV, assurance evidence) comes from the server: "
    "qihub alerts export {ref} -o {ref}.csv"
)


def when(calendar: WorkingCalendar, moment: datetime) -> str:
    return f"{calendar.local(moment):%a %d %b %Y %H:%M}"


def severity_label(config: OrgConfig, alert: Alert) -> str:
    found = config.alert_severities.get(alert.severity)
    return found.label if found else alert.severity


def _tone(alert: Alert) -> Tone:
    """Warning, not error: an error mark means "refused" to people and to our tests."""
    return "warning" if alert.severity == "critical" else "info"


def headline(alert: Alert, original_ref: str | None = None) -> str:
    if alert.kind == "correction":
        return f"Correction to {original_ref or 'an alert'}: {alert.title}"
    if alert.kind == "retraction":
        return f"Withdrawn: {original_ref or 'an alert'}"
    return f"Critical alert: {alert.title}"


def facts(
    config: OrgConfig, calendar: WorkingCalendar, alert: Alert, *, audience_text: str = ""
) -> Facts:
    rows = [
        Fact("Reference", alert.ref),
        Fact("Severity", severity_label(config, alert)),
        Fact("Acknowledge by", when(calendar, alert.ack_deadline)),
        Fact(
            "For",
            audience_text or audience.describe(config, alert.audience_kind, alert.audience_values),
        ),
    ]
    if alert.cas_ref:
        rows.append(Fact("CAS / NatPSA", alert.cas_ref))
    if alert.lesson_ref:
        rows.append(Fact("Lesson", alert.lesson_ref))
    return Facts(tuple(rows))


def body(
    config: OrgConfig,
    calendar: WorkingCalendar,
    alert: Alert,
    *,
    original_ref: str | None = None,
    audience_text: str = "",
) -> list[Block]:
    """What every recipient reads, without buttons (the preview shows exactly this)."""
    label = "Why it is withdrawn" if alert.kind == "retraction" else "What you must do"
    return [
        Heading(headline(alert, original_ref)),
        Notice(severity_label(config, alert), _tone(alert)),
        Text(f"{label}: {alert.instructions}"),
        facts(config, calendar, alert, audience_text=audience_text),
    ]


def ack_button(alert: Alert, *, channel: bool = False) -> Button:
    value = {"ref": alert.ref, **({"via": "channel"} if channel else {})}
    return Button("Acknowledge", "alert.ack", value, "primary")


def recipient_card(
    config: OrgConfig,
    calendar: WorkingCalendar,
    alert: Alert,
    *,
    original_ref: str | None = None,
    audience_text: str = "",
    channel: bool = False,
    reminder: int = 0,
) -> Reply:
    """The message with the Acknowledge button: a DM, a reminder, or the all-staff post."""
    deadline = when(calendar, alert.ack_deadline)
    blocks = body(config, calendar, alert, original_ref=original_ref, audience_text=audience_text)
    if reminder:
        blocks.insert(0, Notice(f"Reminder: please acknowledge by {deadline}.", "warning"))
    small = (
        "Press Acknowledge to record that you have read this and will act on it."
        if not channel
        else "Everyone it is for was also sent it directly. Pressing here records your own "
        "acknowledgement."
    )
    blocks += [Buttons((ack_button(alert, channel=channel),)), SmallPrint(small)]
    prefix = "Reminder: " if reminder else ""
    summary = f"{prefix}{headline(alert, original_ref)} ({alert.ref}): acknowledge by {deadline}"
    return Reply(summary=summary, blocks=tuple(blocks))


def acknowledged_card(
    config: OrgConfig, calendar: WorkingCalendar, alert: Alert, at: datetime
) -> Reply:
    """Replaces the recipient's message once they pressed Acknowledge."""
    text = f"Acknowledged at {calendar.local(at):%H:%M on %a %d %b}. Thank you."
    blocks = body(config, calendar, alert)
    blocks.insert(1, Notice(text, "success"))
    return Reply(summary=f"{alert.ref}: {text}", blocks=tuple(blocks), replace_original=True)


def superseded_card(alert: Alert, by: Alert) -> Reply:
    """Replaces the original alert wherever it was delivered, once corrected or retracted."""
    if by.kind == "retraction":
        text = f"This alert was withdrawn ({by.ref}): {by.instructions}"
    else:
        text = f"This alert was corrected by {by.ref}: please read the correction instead."
    blocks: list[Block] = [
        Heading(f"{'Withdrawn' if by.kind == 'retraction' else 'Corrected'}: {alert.title}"),
        Notice(text, "warning"),
        SmallPrint(f"{alert.ref} · no further action on the original is needed."),
    ]
    return Reply(summary=f"{alert.ref}: {text}", blocks=tuple(blocks))


def tally_facts(tally: Tally) -> Facts:
    share = f" ({100 * tally.acked // tally.total}%)" if tally.total else ""
    return Facts(
        (
            Fact("Recipients", str(tally.total)),
            Fact("Delivered", str(tally.delivered)),
            Fact("Acknowledged", f"{tally.acked} of {tally.total}{share}"),
            Fact(
                "Not reached",
                f"{tally.failed} (counted as not acknowledged)" if tally.failed else "0",
            ),
            Fact("Pending", str(tally.pending)),
        )
    )


def status_blocks(
    config: OrgConfig,
    calendar: WorkingCalendar,
    alert: Alert,
    tally: Tally,
    by_site: Sequence[Tally],
    *,
    now: datetime,
    failed: Mapping[tuple[str, str], int] | None = None,
) -> list[Block]:
    """Delivered / acknowledged / not reached / pending, overall and by site; `failed`:
    (site, "sms"/"email") → texts and emails that did not arrive."""
    failed = failed or {}
    blocks: list[Block] = [
        Heading(f"{alert.ref}: {alert.title}"),
        Text(
            f"Status: {STATUS_LABELS.get(alert.status, alert.status)} · deadline "
            f"{when(calendar, alert.ack_deadline)}"
            + (f" · updated {calendar.local(now):%H:%M}" if alert.sent_at else "")
        ),
        tally_facts(tally),
    ]
    if by_site:
        items = []
        for site in by_site:
            name = config.sites[site.label].name if site.label in config.sites else "No site"
            items.append(
                Item(
                    name,
                    detail=f"{site.acked}/{site.total} acknowledged · {site.delivered} "
                    f"delivered · {site.failed} not reached · {site.pending} pending"
                    + _notify_failures(failed, site.label or ""),
                )
            )
        blocks += [Heading("By site"), Items(tuple(items))]
    return blocks


def _notify_failures(failed: Mapping[tuple[str, str], int], site: str) -> str:
    texts, emails = failed.get((site, "sms"), 0), failed.get((site, "email"), 0)
    out = f" · {texts} text{'s' if texts != 1 else ''} failed" if texts else ""
    return out + (f" · {emails} email{'s' if emails != 1 else ''} failed" if emails else "")


def alert_item(
    alert: Alert,
    calendar: WorkingCalendar,
    acked: int,
    total: int,
    *,
    approval: tuple[Button, ...] = (),
) -> Item:
    """One line of /alert list; `approval` holds Approve and Reject for an approver who could
    decide it now, so a pending alert is never a dead end in the list."""
    share = f" · {acked}/{total} acknowledged" if total else ""
    return Item(
        alert.title,
        alert.ref,
        f"{alert.kind} · {STATUS_LABELS.get(alert.status, alert.status)} · deadline "
        f"{calendar.local(alert.ack_deadline):%d %b %H:%M}{share}",
        (*approval, Button("Status", "alert.status", {"ref": alert.ref})),
    )
