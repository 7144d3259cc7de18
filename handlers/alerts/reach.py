"""Nobody silently outside an alert: who no channel can reach is counted and named to the
publisher (the preview), to the approver (the approval request) and in /alert status, and
counted as not acknowledged in the rate."""

from __future__ import annotations

from handlers.context import Context
from messages.templates import count_people
from messages.view import Block, Notice, Text
from store.models import Alert

NAMES_SHOWN = 20


def _names(names: list[str], count: int) -> str:
    more = f" and {count - len(names)} more" if count > len(names) else ""
    return f"{', '.join(names)}{more}"


def before_sending(ctx: Context, alert: Alert, original: Alert | None) -> list[Block]:
    """The people sending `alert` now would reach by no channel, or nothing if there are none."""
    channels = sorted(ctx.services.reach)
    names, count = ctx.uow.alerts.unreachable(alert, original, channels, NAMES_SHOWN)
    if count == 0:
        return []
    text = (
        f"{count_people(count)} in this audience can be reached by no channel QI Hub has "
        f"(no chat account on record): {_names(names, count)}. They stay on the alert and "
        "count as not acknowledged until they do: please reach them another way."
    )
    blocks: list[Block] = [Notice(text, "warning")]
    if "slack" in channels:
        blocks.append(
            Text(
                "Slack is asked for each of them by email when the alert is sent; anyone it "
                "finds is messaged, and anyone it does not stays on this list in /alert status."
            )
        )
    return blocks


def after_sending(ctx: Context, alert: Alert) -> list[Block]:
    """Who the alert has not reached by any channel (delivery failed or impossible)."""
    names, count = ctx.uow.alerts.not_acked_names(alert.id, NAMES_SHOWN, unreached=True)
    if count == 0:
        return []
    return [
        Notice(
            f"Not reached by any channel, so not acknowledged: {count_people(count)} "
            f"({_names(names, count)}). Each reminder tries them again; please reach them "
            "another way.",
            "warning",
        )
    ]
