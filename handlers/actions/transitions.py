"""Who may move an action, from where to where, and what they must say: the table behind every
action button and form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers.actions.lifecycle import ActionStatus
from messages.view import ButtonStyle

Who = Literal["owner", "verifier", "audit_lead", "committee", "reassigner"]
A = ActionStatus


@dataclass(frozen=True)
class ActionStep:
    name: str
    button: str
    sources: frozenset[ActionStatus]
    who: Who
    target: ActionStatus | None
    """None: the target depends on the answers (re-audit) or the status does not change."""
    form: bool = True
    style: ButtonStyle = "default"


def _s(
    name: str,
    button: str,
    sources: set[ActionStatus],
    who: Who,
    target: ActionStatus | None,
    *,
    form: bool = True,
    style: ButtonStyle = "default",
) -> ActionStep:
    return ActionStep(name, button, frozenset(sources), who, target, form, style)


STEPS: tuple[ActionStep, ...] = (
    _s("accept", "Accept", {A.ASSIGNED}, "owner", A.IN_PROGRESS, form=False, style="primary"),
    _s("decline", "Decline…", {A.ASSIGNED}, "owner", A.DECLINED, style="danger"),
    _s("reassign", "Reassign…", {A.DECLINED}, "reassigner", A.ASSIGNED, style="primary"),
    _s("update", "Update…", {A.IN_PROGRESS, A.BLOCKED}, "owner", None),
    _s("block", "Blocked…", {A.IN_PROGRESS}, "owner", A.BLOCKED),
    _s("resume", "Unblocked", {A.BLOCKED}, "owner", A.IN_PROGRESS, form=False),
    _s("extend", "Request extension…", {A.ASSIGNED, A.IN_PROGRESS, A.BLOCKED}, "owner", None),
    _s(
        "complete",
        "Submit completion…",
        {A.IN_PROGRESS, A.BLOCKED},
        "owner",
        A.COMPLETION_SUBMITTED,
        style="primary",
    ),
    _s("verify", "Verify", {A.COMPLETION_SUBMITTED}, "verifier", A.VERIFIED, style="primary"),
    _s(
        "return",
        "Not verified…",
        {A.COMPLETION_SUBMITTED},
        "verifier",
        A.IN_PROGRESS,
        style="danger",
    ),
    _s("reaudit", "Record re-audit…", {A.REAUDIT_SCHEDULED}, "audit_lead", None, style="primary"),
    _s(
        "cancel",
        "Cancel action…",
        {A.ASSIGNED, A.IN_PROGRESS, A.BLOCKED, A.COMPLETION_SUBMITTED, A.DECLINED},
        "committee",
        A.CANCELLED,
        style="danger",
    ),
)
BY_NAME = {step.name: step for step in STEPS}


def step_named(name: str) -> ActionStep | None:
    return BY_NAME.get(name)
