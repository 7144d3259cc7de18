"""The idea lifecycle of docs/domain.md, as data: states, who may move an idea, and to where.

submitted → screened (eligible | duplicate | redirected | not eligible) → under review →
approved | not progressed | promoted to Big → in implementation → implemented → recognised;
withdrawn by the submitter from any open state. Every panel decision carries a reason.

A Big Idea, submitted as one or promoted, waits as "awaiting sponsor" until its sponsor accepts
(handlers/ideas/sponsorship.py): it then goes to the panel (submitted) or back to it
(promoted); a declined sponsorship returns it to the panel as a Bright Idea, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from messages.view import ButtonStyle


class IdeaStatus(StrEnum):
    SUBMITTED = "submitted"
    ELIGIBLE = "eligible"
    DUPLICATE = "duplicate"
    REDIRECTED = "redirected"
    NOT_ELIGIBLE = "not_eligible"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    NOT_PROGRESSED = "not_progressed"
    PROMOTED = "promoted"
    IN_IMPLEMENTATION = "in_implementation"
    IMPLEMENTED = "implemented"
    RECOGNISED = "recognised"
    WITHDRAWN = "withdrawn"
    AWAITING_SPONSOR = "awaiting_sponsor"


STATUS_LABELS: dict[IdeaStatus, str] = {
    IdeaStatus.SUBMITTED: "Submitted, awaiting screening",
    IdeaStatus.ELIGIBLE: "Screened: eligible, awaiting review",
    IdeaStatus.DUPLICATE: "Screened: duplicate of another idea",
    IdeaStatus.REDIRECTED: "Screened: redirected elsewhere",
    IdeaStatus.NOT_ELIGIBLE: "Screened: not eligible",
    IdeaStatus.UNDER_REVIEW: "Under review by the ideas panel",
    IdeaStatus.APPROVED: "Approved",
    IdeaStatus.NOT_PROGRESSED: "Not progressed",
    IdeaStatus.PROMOTED: "Promoted to a Big Idea",
    IdeaStatus.IN_IMPLEMENTATION: "In implementation",
    IdeaStatus.IMPLEMENTED: "Implemented",
    IdeaStatus.RECOGNISED: "Implemented and recognised",
    IdeaStatus.WITHDRAWN: "Withdrawn by the submitter",
    IdeaStatus.AWAITING_SPONSOR: "Awaiting sponsor: asked to accept",
}

IDEA_OPEN = frozenset(
    {
        IdeaStatus.SUBMITTED,
        IdeaStatus.ELIGIBLE,
        IdeaStatus.UNDER_REVIEW,
        IdeaStatus.PROMOTED,
        IdeaStatus.APPROVED,
        IdeaStatus.IN_IMPLEMENTATION,
        IdeaStatus.AWAITING_SPONSOR,
    }
)
AWAITING_PANEL = (
    IdeaStatus.SUBMITTED,
    IdeaStatus.ELIGIBLE,
    IdeaStatus.PROMOTED,
    IdeaStatus.UNDER_REVIEW,
    IdeaStatus.APPROVED,
    IdeaStatus.IN_IMPLEMENTATION,
    IdeaStatus.IMPLEMENTED,
    IdeaStatus.AWAITING_SPONSOR,
)
"""Statuses in which the panel still has something to do (its `/idea list` queue); an idea
awaiting its sponsor is listed so the panel can see who to chase."""

Actor = Literal["panel", "submitter"]


@dataclass(frozen=True)
class Transition:
    name: str
    button: str
    sources: frozenset[IdeaStatus]
    target: IdeaStatus
    by: Actor
    headline: str
    """What the submitter is told, completing "Your idea IDEA-… …"."""
    style: ButtonStyle = "default"
    unsponsored_only: bool = False
    """Only for an idea without an accepted sponsor (promotion asks for one)."""


def _t(
    name: str,
    button: str,
    sources: set[IdeaStatus],
    target: IdeaStatus,
    headline: str,
    *,
    style: ButtonStyle = "default",
    by: Actor = "panel",
    unsponsored_only: bool = False,
) -> Transition:
    return Transition(
        name, button, frozenset(sources), target, by, headline, style, unsponsored_only
    )


S = IdeaStatus
TRANSITIONS: tuple[Transition, ...] = (
    _t(
        "eligible",
        "Eligible",
        {S.SUBMITTED},
        S.ELIGIBLE,
        "has been screened and is eligible: the panel will review it",
        style="primary",
    ),
    _t(
        "duplicate",
        "Duplicate…",
        {S.SUBMITTED},
        S.DUPLICATE,
        "duplicates an idea already being looked at",
    ),
    _t(
        "redirect",
        "Redirect…",
        {S.SUBMITTED},
        S.REDIRECTED,
        "is better handled elsewhere: here is where to take it",
    ),
    _t(
        "not_eligible",
        "Not eligible",
        {S.SUBMITTED},
        S.NOT_ELIGIBLE,
        "was screened and is not eligible for the ideas scheme",
        style="danger",
    ),
    _t(
        "review",
        "Start review",
        {S.ELIGIBLE, S.PROMOTED},
        S.UNDER_REVIEW,
        "is now under review by the ideas panel",
        style="primary",
    ),
    _t("approve", "Approve", {S.UNDER_REVIEW}, S.APPROVED, "has been approved", style="primary"),
    _t(
        "not_progress",
        "Not progressed",
        {S.UNDER_REVIEW},
        S.NOT_PROGRESSED,
        "will not be progressed",
        style="danger",
    ),
    _t(
        "promote",
        "Promote to Big Idea",
        {S.UNDER_REVIEW},
        S.AWAITING_SPONSOR,
        "is to become a Big Idea: its sponsor has been asked to accept",
        unsponsored_only=True,
    ),
    _t(
        "start",
        "Start implementation",
        {S.APPROVED},
        S.IN_IMPLEMENTATION,
        "is being implemented",
        style="primary",
    ),
    _t(
        "implemented",
        "Mark implemented",
        {S.IN_IMPLEMENTATION},
        S.IMPLEMENTED,
        "has been implemented",
        style="primary",
    ),
    _t(
        "recognise",
        "Recognise",
        {S.IMPLEMENTED},
        S.RECOGNISED,
        "has been recognised: thank you for improving care",
    ),
    _t(
        "withdraw",
        "Withdraw",
        set(IDEA_OPEN),
        S.WITHDRAWN,
        "has been withdrawn",
        by="submitter",
        style="danger",
    ),
)
BY_NAME: dict[str, Transition] = {t.name: t for t in TRANSITIONS}


def available(status: str, kind: str, by: Actor, *, sponsored: bool = False) -> list[Transition]:
    """The transitions `by` may take from `status` for an idea of `kind` (with an accepted
    sponsor or not), in display order."""
    return [
        t
        for t in TRANSITIONS
        if t.by == by and status in t.sources and not (t.unsponsored_only and sponsored)
    ]


def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[IdeaStatus(status)]
    except ValueError:
        return status
