"""The one order of buttons: the same record shows its buttons in the same order in every view
(inbox card, committee post, /qi show, /qi actions, the console's numbers), and destructive
choices (those that ask for confirmation) come last.

Applied to every message as it leaves the core (`handlers.seals.seal_reply`), so no view can
draw its own order. A kind not listed keeps its place among the others after the listed ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from messages.view import Button

ORDER: tuple[str, ...] = (
    # an action: the owner's steps, the checker's, the committee's; destructive ones last
    "action.step:accept",
    "action.step:update",
    "action.step:block",
    "action.step:resume",
    "action.step:extend",
    "action.step:complete",
    "action.step:verify",
    "action.step:reaudit",
    "action.step:reassign",
    "action.extension:approve",
    "action.step:undo_cancel",
    "action.step:decline",
    "action.step:return",
    "action.extension:decline",
    "action.step:cancel",
    "action.show:",
    # a trend (its announcement opens the trend before its lessons)
    "trend.decide:accept",
    "trend.decide:dismiss",
    "trend.show:",
    # a lesson
    "lesson.triage:accept",
    "lesson.triage:route",
    "lesson.triage:merge",
    "lesson.triage:redact",
    "lesson.decide:",
    "lesson.add_action:",
    "lesson.assure:",
    "lesson.escalate:",
    "lesson.triage:not_progressed",
    "lesson.show:",
    # an idea
    "idea.decide:eligible",
    "idea.decide:duplicate",
    "idea.decide:redirect",
    "idea.decide:review",
    "idea.decide:approve",
    "idea.decide:promote",
    "idea.decide:start",
    "idea.decide:implemented",
    "idea.decide:recognise",
    "idea.sponsor_accept:",
    "idea.support:",
    "idea.decide:not_eligible",
    "idea.decide:not_progress",
    "idea.sponsor_decline:",
    "idea.withdraw:",
    "idea.show:",
    # a critical alert
    "alert.approve:",
    "alert.submit:",
    "alert.send:",
    "alert.edit:",
    "alert.status:",
    "alert.reject:",
    "alert.discard:",
)
_RANK = {kind: n for n, kind in enumerate(ORDER)}


def kind(button: Button) -> str:
    """What a button does, whatever record it is on: "action.step:cancel"."""
    value = button.value
    which = value.get("step") or value.get("to") or value.get("decision") or ""
    return f"{button.action}:{which}"


def destructive(button: Button) -> bool:
    return bool(button.confirm)


def in_order(buttons: Sequence[Button]) -> tuple[Button, ...]:
    """`buttons` in the one order: the rest first, by ORDER; destructive ones last."""
    unlisted = len(ORDER)
    return tuple(sorted(buttons, key=lambda b: (destructive(b), _RANK.get(kind(b), unlisted))))
