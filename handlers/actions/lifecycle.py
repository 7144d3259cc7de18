"""The action lifecycle of docs/domain.md, as data, and the RAG status derived from it.

assigned → accepted/in progress ⇄ blocked → completion submitted (evidence required) →
verified (by someone other than the owner) → re-audit scheduled → re-audit passed (closed,
effective) | re-audit failed (lesson reopened). Non-tier-1 actions close at verified.
Extension requested → approved | declined. Cancelled with a reason. Declined by the owner goes
back to triage. "Overdue" and the RAG colour are derived, never typed in.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class ActionStatus(StrEnum):
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    COMPLETION_SUBMITTED = "completion_submitted"
    VERIFIED = "verified"
    REAUDIT_SCHEDULED = "reaudit_scheduled"
    CLOSED = "closed"
    REAUDIT_FAILED = "reaudit_failed"
    DECLINED = "declined"
    CANCELLED = "cancelled"


A = ActionStatus
LABELS: dict[ActionStatus, str] = {
    A.ASSIGNED: "Assigned, awaiting the owner",
    A.IN_PROGRESS: "In progress",
    A.BLOCKED: "Blocked",
    A.COMPLETION_SUBMITTED: "Completion submitted, awaiting verification",
    A.VERIFIED: "Verified complete",
    A.REAUDIT_SCHEDULED: "Verified; re-audit scheduled",
    A.CLOSED: "Closed: re-audit passed",
    A.REAUDIT_FAILED: "Re-audit failed: lesson reopened",
    A.DECLINED: "Declined by the owner",
    A.CANCELLED: "Cancelled",
}
WORKING = (A.ASSIGNED, A.IN_PROGRESS, A.BLOCKED)
"""The owner still has to do it: these can be overdue."""
ACTION_OPEN = (*WORKING, A.COMPLETION_SUBMITTED)
UNFINISHED = (*ACTION_OPEN, A.DECLINED)
"""Open, or declined and waiting to be reassigned: what a committee's list keeps in view."""
DONE = (A.VERIFIED, A.REAUDIT_SCHEDULED, A.CLOSED)
"""Completed and verified (blue)."""
FINISHED = frozenset({*DONE, A.REAUDIT_FAILED, A.DECLINED, A.CANCELLED})


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    BLUE = "blue"
    GREY = "grey"


RAG_LABELS = {
    Rag.RED: "Red: overdue",
    Rag.AMBER: "Amber: due soon or extension pending",
    Rag.GREEN: "Green: on track",
    Rag.BLUE: "Blue: completed and verified",
    Rag.GREY: "Grey: cancelled or not required",
}
AMBER_DAYS = 14


def rag(status: str, due: date, today: date, *, extension_pending: bool = False) -> Rag:
    """The RAG colour from dates and states (docs/domain.md): never stored, never typed in."""
    if status in (A.CANCELLED, A.DECLINED):
        return Rag.GREY
    if status in DONE or status == A.REAUDIT_FAILED:  # it was done and verified; the re-audit
        return Rag.BLUE  # failing reopens the lesson, which is where the red now belongs
    if status == A.COMPLETION_SUBMITTED:
        return Rag.GREEN
    if due < today:
        return Rag.RED
    if extension_pending or (due - today).days <= AMBER_DAYS:
        return Rag.AMBER
    return Rag.GREEN


def status_label(status: str) -> str:
    try:
        return LABELS[ActionStatus(status)]
    except ValueError:
        return status
