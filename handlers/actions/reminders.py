"""Action reminder rules from docs/domain.md, each one bounded query per tick:

- action_due_soon: N days before the due date (14 and 3 by default) → owner, with one-click
  update / extension / completion;
- action_overdue: day 1 after → owner (RAG turns red);
- action_overdue_escalated: day 7 after → the owner's line manager and the governance lead;
- completion_not_verified: 10 working days after completion → the verifier;
- reaudit_due: 7 days before and on the re-audit date → the audit lead and the owner;
- action_not_accepted: day 3 after it was assigned, if the owner has neither accepted nor
  declined it → the owner, with Accept / Decline;
- action_not_accepted_escalated: day 7 after → the governance leads (the chair if there are
  none other than the owner).

Only the latest occasion a rule has reached is raised: a clock back from a week's downtime
sends "due in 3 days", not "due in 14 days" as well. Occasions for due dates carry the action's
due_version, so an approved extension starts the sequence again for the new date, and so does a
reassignment (for the new owner).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from handlers import cards, people
from handlers.actions.lifecycle import WORKING
from handlers.actions.service import card, step_buttons, verifiers
from handlers.config import Rule
from handlers.context import Context
from handlers.reminders import Due
from messages.templates import counted
from messages.view import Button, Notice, Reply
from store.models import Action

STATUSES = [s.value for s in WORKING]

OWNER_STEPS = ["accept", "decline", "update", "extend", "complete"]
"""What a reminder to the owner offers; only the steps open at the action's status are drawn."""


def windows(thresholds: Iterable[int]) -> list[tuple[int, int, int]]:
    """(threshold, low, high) day windows: a threshold t covers days in (next lower t, t]."""
    ordered = sorted(set(thresholds))
    return [(t, (ordered[i - 1] + 1) if i else 0, t) for i, t in enumerate(ordered)]


def _message(ctx: Context, action: Action, text: str, buttons: list[Button]) -> Reply:
    body = card(ctx, action, buttons)
    return Reply(summary=text, blocks=(Notice(text, "warning"), *body.blocks))


def _today(ctx: Context) -> date:
    return ctx.calendar.local(ctx.now).date()


def _day(ctx: Context, moment: datetime | None) -> date | None:
    return ctx.calendar.local(moment).date() if moment is not None else None


def _latest(*days: date | None) -> date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class DueSoon:
    name: str = "action_due_soon"
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        today, since_day = _today(ctx), _day(ctx, since)
        for threshold, low, high in windows(rule.days_before):
            # An action enters this window on the day it is `high` days from due.
            entered = since_day + timedelta(days=high) if since_day else None
            first = _latest(today + timedelta(days=max(low, 1)), entered)
            prefix = f"before{threshold}"
            for action in ctx.uow.actions.due_between(
                self.name, prefix, STATUSES, first, today + timedelta(days=high), since
            ):
                days = (action.due_date - today).days
                if days < max(low, 1):
                    # found by its status change: overdue now, or a nearer threshold applies
                    continue
                text = (
                    f"{action.ref} is due in {days} day{'s' if days != 1 else ''} "
                    f"({action.due_date:%d %b %Y})."
                )
                buttons = step_buttons(action, OWNER_STEPS)
                yield Due(
                    action.ref,
                    f"{prefix}#v{action.due_version}",
                    _message(ctx, action, text, buttons),
                    people=(action.owner_id,),
                    card=cards.key("action", action.ref),
                    rank=-threshold,
                )


@dataclass(frozen=True)
class Overdue:
    name: str = "action_overdue"
    urgent: bool = False
    escalate: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        today, since_day = _today(ctx), _day(ctx, since)
        ordered = sorted(set(rule.days_after))
        for index, threshold in enumerate(ordered):
            later = ordered[index + 1] if index + 1 < len(ordered) else None
            # Only the latest threshold reached is raised; an action crosses this one on
            # due date + threshold, so since the last pass means due date >= since - threshold.
            crossed = since_day - timedelta(days=threshold) if since_day else None
            first = _latest(today - timedelta(days=later - 1) if later else None, crossed)
            last = today - timedelta(days=threshold)
            prefix = f"after{threshold}"
            for action in ctx.uow.actions.due_between(
                self.name, prefix, STATUSES, first, last, since
            ):
                if later is not None and action.due_date <= today - timedelta(days=later):
                    continue  # a later threshold applies to this one
                yield self._due(ctx, action, today, prefix, threshold)

    def _due(self, ctx: Context, action: Action, today: date, prefix: str, rank: int) -> Due:
        days = (today - action.due_date).days
        text = (
            f"{action.ref} is overdue by {days} day{'s' if days != 1 else ''} "
            f"(due {action.due_date:%d %b %Y})."
        )
        if self.escalate:
            owner = action.owner
            recipients = [*people.governance_leads(ctx, action.committee)]
            if owner.line_manager_id:
                recipients.insert(0, owner.line_manager_id)
            text = f"Escalation: {text} Owner: {owner.display_name}."
            buttons = [Button("Open", "action.show", {"ref": action.ref})]
        else:
            recipients = [action.owner_id]
            buttons = step_buttons(action, OWNER_STEPS)
        return Due(
            action.ref,
            f"{prefix}#v{action.due_version}",
            _message(ctx, action, text, buttons),
            people=tuple(recipients),
            card=cards.key("action", action.ref),
            rank=rank,
        )


@dataclass(frozen=True)
class CompletionNotVerified:
    name: str = "completion_not_verified"
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        days = rule.counted_working_days()
        before = ctx.calendar.subtract_working_days(ctx.now, days)
        after = ctx.calendar.subtract_working_days(since, days) if since else None
        occasion = f"{days}wd"
        for action in ctx.uow.actions.completed_before(self.name, occasion, before, after):
            text = f"{action.ref} has waited {counted(days, 'working day')} for verification."
            yield Due(
                action.ref,
                occasion,
                _message(ctx, action, text, step_buttons(action, ["verify", "return"])),
                people=tuple(verifiers(ctx, action)),
                card=cards.key("action", action.ref),
            )


@dataclass(frozen=True)
class ReauditDue:
    name: str = "reaudit_due"
    urgent: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        today, since_day = _today(ctx), _day(ctx, since)
        for threshold, low, high in windows(rule.days_before):
            entered = since_day + timedelta(days=high) if since_day else None
            start = None if threshold == 0 else today + timedelta(days=max(low, 1))
            first = _latest(start, entered)
            occasion = f"before{threshold}"
            for action in ctx.uow.actions.reaudit_between(
                self.name, occasion, first, today + timedelta(days=high), since
            ):
                assert action.reaudit_date is not None
                if threshold and (action.reaudit_date - today).days < max(low, 1):
                    continue  # a nearer threshold (or the on-the-day reminder) covers it
                when = (
                    "is due today"
                    if action.reaudit_date <= today
                    else f"is due on {action.reaudit_date:%d %b %Y}"
                )
                text = f"The re-audit of {action.ref} {when}."
                recipients = [p for p in (action.audit_lead_id, action.owner_id) if p]
                yield Due(
                    action.ref,
                    occasion,
                    _message(ctx, action, text, step_buttons(action, ["reaudit"])),
                    people=tuple(recipients),
                    card=cards.key("action", action.ref),
                    rank=-threshold,
                )


def _leads_or_chair(ctx: Context, action: Action) -> list[int]:
    """Who hears that an owner has not accepted: the governance leads, else the chair (never
    the owner themself)."""
    for group in (
        people.governance_leads(ctx, action.committee),
        people.chair(ctx, action.committee),
    ):
        found = [p for p in group if p != action.owner_id]
        if found:
            return found
    return []


@dataclass(frozen=True)
class NotAccepted:
    """An owner who has neither accepted nor declined an action is reminded; later, the
    governance lead is told. Counted from the (re)assignment, which is when an assigned action
    last changed status."""

    name: str = "action_not_accepted"
    urgent: bool = False
    escalate: bool = False

    def due(self, ctx: Context, rule: Rule, since: datetime | None) -> Iterable[Due]:
        for threshold in sorted(set(rule.days_after)):
            prefix = f"after{threshold}"
            for action in ctx.uow.actions.assigned_before(
                self.name,
                prefix,
                before=ctx.now - timedelta(days=threshold),
                after=since - timedelta(days=threshold) if since else None,
            ):  # an action past two thresholds is found twice: tick() raises the later only
                yield self._due(ctx, action, prefix, threshold)

    def _due(self, ctx: Context, action: Action, prefix: str, rank: int) -> Due:
        days = (ctx.now - action.status_changed_at).days
        text = f"{action.ref} was assigned {counted(days, 'day')} ago and has not been accepted."
        if self.escalate:
            recipients = _leads_or_chair(ctx, action)
            text = f"Escalation: {text} Owner: {action.owner.display_name}."
            buttons = [Button("Open", "action.show", {"ref": action.ref})]
        else:
            recipients = [action.owner_id]
            text += " Please accept it, or decline it with a reason."
            buttons = step_buttons(action, ["accept", "decline"])
        return Due(
            action.ref,
            f"{prefix}#v{action.due_version}",
            _message(ctx, action, text, buttons),
            people=tuple(recipients),
            card=cards.key("action", action.ref),
            rank=rank,
        )


RULES = (
    DueSoon(),
    Overdue(),
    Overdue(name="action_overdue_escalated", escalate=True),
    CompletionNotVerified(),
    ReauditDue(),
    NotAccepted(),
    NotAccepted(name="action_not_accepted_escalated", escalate=True),
)
