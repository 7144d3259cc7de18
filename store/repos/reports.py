"""Aggregate queries for the reports pages, the digest's charts and the board pack.

Each returns a few columns of many rows (dates, tiers, committees), never a name or a text:
the reports show counts and rates only. Every query is bounded by a time window, so the cost
grows with one window's activity, not with the whole register.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Action, Lesson


class ActionDates(NamedTuple):
    committee: str
    tier: int
    status: str
    due_date: date
    created_at: datetime
    completed_at: datetime | None
    status_changed_at: datetime
    lesson_reported_at: datetime


class Reaudit(NamedTuple):
    committee: str
    passed: bool
    recorded_at: datetime


class ReportRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lessons_reported(
        self, committees: Collection[str], start: datetime, end: datetime
    ) -> list[tuple[str, datetime]]:
        """(committee, reported at) of each lesson reported in [start, end)."""
        rows = self.session.execute(
            select(Lesson.committee, Lesson.created_at).where(
                Lesson.committee.in_(list(committees)),
                Lesson.created_at >= start,
                Lesson.created_at < end,
            )
        )
        return [(c, at) for c, at in rows]

    def actions_since(
        self,
        committees: Collection[str],
        start: datetime,
        end: datetime,
        ended: Collection[str],
    ) -> list[ActionDates]:
        """Actions agreed before `end` that were still open at some moment after `start`: not
        completed before it, nor moved before it to one of the `ended` statuses (cancelled)."""
        rows = self.session.execute(
            select(
                Action.committee,
                Action.tier,
                Action.status,
                Action.due_date,
                Action.created_at,
                Action.completed_at,
                Action.status_changed_at,
                Lesson.created_at,
            )
            .join(Lesson, Lesson.id == Action.lesson_id)
            .where(
                Action.committee.in_(list(committees)),
                Action.created_at < end,
                (Action.completed_at.is_(None)) | (Action.completed_at >= start),
                ~(Action.status.in_(list(ended)) & (Action.status_changed_at < start)),
            )
        )
        return [ActionDates(*row) for row in rows]

    def reaudits(
        self, committees: Collection[str], start: datetime, end: datetime
    ) -> list[Reaudit]:
        """Re-audit results recorded in [start, end): the result's moment is when the action
        last changed status (to closed or re-audit failed), as the digest reads it too."""
        rows = self.session.execute(
            select(Action.committee, Action.reaudit_result, Action.status_changed_at).where(
                Action.committee.in_(list(committees)),
                Action.reaudit_result.is_not(None),
                Action.status_changed_at >= start,
                Action.status_changed_at < end,
            )
        )
        return [Reaudit(c, result == "pass", at) for c, result, at in rows]
