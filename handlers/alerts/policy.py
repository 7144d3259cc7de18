"""The channel policy (issue 15): texts and emails after chat, per severity, on the reminder
engine.

Each step of a severity's `policy` (handlers/config.py PolicyStep) is an occasion of the rule
`alert_policy_step` ("p0", "p1", ...): the shared reminder ledger fires it once per alert,
caught up after downtime and never doubled by two clocks, and the attempt ledger
(alert_attempt, unique per alert, person and step) sends it once per person. A step fires for
the people who have not acknowledged when it fires, on any channel: an acknowledgement on chat,
by a link in a text or an email, stops every later step. Steps due at once are also sent
as the alert goes out (`start`), not a tick later. The rule is urgent: quiet hours never hold a
critical alert's texts or emails.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from handlers.alerts.ack_links import ack_link
from handlers.alerts.direct import queue_alert_message
from handlers.config import PolicyStep, Rule, effective_policy
from handlers.context import Context
from handlers.reminders import Due
from messages.view import Reply
from store.models import Alert
from store.repos.reach import CHAT


def steps(ctx: Context, alert: Alert) -> list[PolicyStep]:
    return effective_policy(ctx.config, alert.severity)


def fan_out(alert: Alert, index: int, step: PolicyStep, ctx: Context, key: str) -> int:
    """Queue step `index` of the policy to each person it is for and has not yet reached: one
    message each, with that person's own acknowledgement link. Returns how many were queued."""
    if step.channel not in ctx.services.reach:
        return 0  # no NOTIFY_API_KEY: the step is spent, as a reminder to nobody is
    chat = sorted(ctx.services.reach & CHAT) if step.who == "no_chat" else None
    queued = 0
    for staff_id in ctx.uow.attempts.targets(alert.id, index, step.channel, chat):
        link = ack_link(ctx, alert, staff_id, step.channel)
        label = f"p{index}"
        queue_alert_message(
            ctx, alert, staff_id, step.channel, link, step=label, reminder=index > 0
        )
        row = ctx.uow.alerts.outbox_row(f"alert:{alert.ref}:direct{label}>{step.channel}{staff_id}")
        ctx.uow.attempts.add(
            alert.id, staff_id, index, step.channel, row.id if row else None, ctx.now
        )
        queued += 1
    return queued


def start(ctx: Context, alert: Alert) -> None:
    """As the alert goes out: the steps due at once (the clock's pass finds them spent)."""
    for index, step in enumerate(steps(ctx, alert)):
        if step.after_minutes == 0:
            fan_out(alert, index, step, ctx, f"alert:{alert.ref}:p{index}")


@dataclass(frozen=True)
class PolicyStepDue:
    name: str = "alert_policy_step"
    urgent: bool = True

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        """Live alerts are few: each tick looks at every one."""
        for alert in ctx.uow.alerts.with_status("live"):
            if alert.sent_at is None or ctx.now >= alert.ack_deadline:
                continue
            ctx.uow.attempts.sync(alert.id)
            for index, step in enumerate(steps(ctx, alert)):
                if ctx.now < alert.sent_at + timedelta(minutes=step.after_minutes):
                    break  # steps are in order (config check)
                yield Due(
                    alert.ref,
                    f"p{index}",
                    Reply(summary=f"{alert.ref}: {step.channel} step {index}"),
                    fan_out=partial(fan_out, alert, index, step),
                )
