"""Who may move an action, from where to where, and what they must say: the table behind every
action button and form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from handlers.actions.lifecycle import ActionStatus
from handlers.duties import Decision
from messages.view import ButtonStyle

Who = Literal["owner", "verifier", "audit_lead", "chair_or_lead", "reassigner"]
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
    duty: Decision | None = None
    """The separation-of-duties row (handlers/duties.py) that says who never takes it."""
    confirm: str = ""
    """A destructive step's question before it goes on; `{ref}` is the action."""


def _s(
    name: str,
    button: str,
    sources: set[ActionStatus],
    who: Who,
    target: ActionStatus | None,
    *,
    form: bool = True,
    style: ButtonStyle = "default",
    duty: Decision | None = None,
    confirm: str = "",
) -> ActionStep:
    return ActionStep(name, button, frozenset(sources), who, target, form, style, duty, confirm)


STEPS: tuple[ActionStep, ...] = (
    _s("accept", "Accept", {A.ASSIGNED}, "owner", A.IN_PROGRESS, form=False, style="primary"),
    _s(
        "decline",
        "Decline…",
        {A.ASSIGNED},
        "owner",
        A.DECLINED,
        style="danger",
        confirm="Decline {ref}? It goes back to the governance lead to reassign.",
    ),
    _s(
        "reassign",
        "Reassign…",
        {A.DECLINED},
        "reassigner",
        A.ASSIGNED,
        style="primary",
        duty=Decision.REASSIGN,
    ),
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
    _s(
        "verify",
        "Verify",
        {A.COMPLETION_SUBMITTED},
        "verifier",
        A.VERIFIED,
        style="primary",
        duty=Decision.VERIFY,
    ),
    _s(
        "return",
        "Not verified…",
        {A.COMPLETION_SUBMITTED},
        "verifier",
        A.IN_PROGRESS,
        style="danger",
        duty=Decision.RETURN,
        confirm="Send {ref} back to its owner as not verified?",
    ),
    _s(
        "reaudit",
        "Record re-audit…",
        {A.REAUDIT_SCHEDULED},
        "audit_lead",
        None,
        style="primary",
        duty=Decision.REAUDIT,
    ),
    _s(
        "cancel",
        "Cancel action…",
        {A.ASSIGNED, A.IN_PROGRESS, A.BLOCKED, A.COMPLETION_SUBMITTED, A.DECLINED},
        "chair_or_lead",
        A.CANCELLED,
        style="danger",
        duty=Decision.CANCEL,
        confirm="Cancel {ref}? Its owner, the committee and its governance leads are told.",
    ),
    _s(
        "undo_cancel",
        "Undo cancel",
        {A.CANCELLED},
        "chair_or_lead",
        None,
        form=False,
        duty=Decision.UNDO_CANCEL,
    ),
)
BY_NAME = {step.name: step for step in STEPS}


def step_named(name: str) -> ActionStep | None:
    return BY_NAME.get(name)
