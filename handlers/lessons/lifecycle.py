"""The lesson lifecycle of docs/domain.md, as data.

submitted → triaged (routed, de-identification checked) → decided (tiers + actions agreed) →
in progress → awaiting assurance → monitoring (a tier-1 re-audit still open) → closed;
not progressed and merged are terminal and send feedback; reopened goes back to the committee
(e.g. a failed re-audit); escalation to tier 5 is possible from any open state.
"""

from __future__ import annotations

from enum import StrEnum


class LessonStatus(StrEnum):
    SUBMITTED = "submitted"
    TRIAGED = "triaged"
    DECIDED = "decided"
    IN_PROGRESS = "in_progress"
    AWAITING_ASSURANCE = "awaiting_assurance"
    MONITORING = "monitoring"
    CLOSED = "closed"
    NOT_PROGRESSED = "not_progressed"
    MERGED = "merged"
    REOPENED = "reopened"


L = LessonStatus
LABELS: dict[LessonStatus, str] = {
    L.SUBMITTED: "Submitted, awaiting triage",
    L.TRIAGED: "Triaged, awaiting the committee's decision",
    L.DECIDED: "Decided, actions being set up",
    L.IN_PROGRESS: "Actions in progress",
    L.AWAITING_ASSURANCE: "Actions complete, awaiting the committee's assurance",
    L.MONITORING: "Monitoring (a re-audit is still open)",
    L.CLOSED: "Closed: the change is made and assured",
    L.NOT_PROGRESSED: "Not progressed",
    L.MERGED: "Merged into another lesson",
    L.REOPENED: "Reopened: back before the committee",
}
LESSON_OPEN = frozenset(set(L) - {L.CLOSED, L.NOT_PROGRESSED, L.MERGED})
AWAITING_DECISION = (L.TRIAGED, L.REOPENED)
"""Lessons in these statuses are waiting for their committee to choose tiers and actions."""
SEARCHABLE = frozenset(set(L) - {L.SUBMITTED, L.MERGED})
"""Only lessons a governance lead has checked for de-identification enter the library."""


def status_label(status: str) -> str:
    try:
        return LABELS[LessonStatus(status)]
    except ValueError:
        return status
