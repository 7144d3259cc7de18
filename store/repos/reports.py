"""Aggregate queries for the board pack that are not SPC series (the series, lessons and
actions alike, are read through store/repos/spc.py for handlers/spc/series.py).

Each returns a few columns of many rows, never a name or a text: the reports show counts and
rates only. Every query is bounded by a time window, so the cost grows with one window's
activity, not with the whole register.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import Action


class Reaudit(NamedTuple):
    committee: str
    passed: bool
    recorded_at: datetime


class ReportRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

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
