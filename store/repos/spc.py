"""Queries behind the SPC series (handlers/spc/series.py): the few columns each measure needs,
over a bounded window, so a year of weekly points costs a handful of statements. The caller
works out periods and statuses; nothing here knows what a week or an open action is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.models import Action, ActionExtension, Lesson, LessonOrgUnit


@dataclass(frozen=True)
class LessonFact:
    """What the lesson counts group on: when, and the source, committee, process and units."""

    created_at: datetime
    source: str
    committee: str
    process: str | None
    units: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ActionFact:
    """An action's history as far as the action measures need it (overdue, days to action,
    stronger share, and the board pack's quarter figures)."""

    created_at: datetime
    status: str
    status_changed_at: datetime
    due_date: date
    completed_at: datetime | None
    verified_at: datetime | None
    committee: str
    earlier_dues: tuple[tuple[datetime, date], ...]
    """(when an extension was approved, the due date it replaced), oldest first."""
    tier: int = 0
    lesson_reported_at: datetime | None = None
    """When the action's lesson was reported: the start of the "days to action" measure."""


class SpcRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_lesson_at(self, excluded_statuses: Sequence[str]) -> datetime | None:
        """When the register's first (counted) lesson arrived: where every series starts."""
        query = select(func.min(Lesson.created_at)).where(Lesson.status.not_in(excluded_statuses))
        return self.session.scalar(query)

    def lessons_between(
        self,
        since: datetime,
        until: datetime,
        excluded_statuses: Sequence[str],
        *,
        with_units: bool = True,
    ) -> list[LessonFact]:
        """The lessons reported in [since, until), with their org units unless `with_units` is
        False (a count by committee, source or process needs none). Two statements at most,
        however many lessons: the units are read with the same filter, not by lists of ids."""
        window = (
            Lesson.created_at >= since,
            Lesson.created_at < until,
            Lesson.status.not_in(excluded_statuses),
        )
        rows = self.session.execute(
            select(Lesson.id, Lesson.created_at, Lesson.source, Lesson.committee, Lesson.process)
            .where(*window)
            .order_by(Lesson.created_at, Lesson.id)
        ).all()
        units: dict[int, list[tuple[str, str]]] = {}
        if with_units and rows:
            for lesson_id, kind, code in self.session.execute(
                select(LessonOrgUnit.lesson_id, LessonOrgUnit.kind, LessonOrgUnit.code)
                .join(Lesson, Lesson.id == LessonOrgUnit.lesson_id)
                .where(*window)
                .order_by(LessonOrgUnit.kind, LessonOrgUnit.code)
            ):
                units.setdefault(lesson_id, []).append((kind, code))
        return [
            LessonFact(r.created_at, r.source, r.committee, r.process, tuple(units.get(r.id, ())))
            for r in rows
        ]

    def lesson_times(
        self,
        dimension: str,
        value: str,
        since: datetime,
        until: datetime,
        excluded_statuses: Sequence[str],
    ) -> list[datetime]:
        """When each lesson about one site, department, process or SRG arrived (the trend
        rule's series): one indexed query, whatever the register's size."""
        query = select(Lesson.created_at).where(
            Lesson.created_at >= since,
            Lesson.created_at < until,
            Lesson.status.not_in(excluded_statuses),
        )
        if dimension in ("site", "department"):
            query = query.join(LessonOrgUnit).where(
                LessonOrgUnit.kind == dimension, LessonOrgUnit.code == value
            )
        elif dimension == "process":
            query = query.where(Lesson.process == value)
        elif dimension == "srg":
            query = query.where(Lesson.srg == value)
        else:
            raise ValueError(f"unknown dimension {dimension!r}")
        return list(self.session.scalars(query.order_by(Lesson.created_at)))

    def actions_alive_between(
        self, since: datetime, until: datetime, open_statuses: Sequence[str]
    ) -> list[ActionFact]:
        """Actions created before `until` that are open now or were finished after `since`
        (finished: verified, or else their last status change)."""
        finished = func.coalesce(Action.verified_at, Action.status_changed_at)
        alive = (
            Action.created_at < until,
            or_(Action.status.in_(open_statuses), finished >= since),
        )
        rows = self.session.execute(
            select(
                Action.id,
                Action.created_at,
                Action.status,
                Action.status_changed_at,
                Action.due_date,
                Action.completed_at,
                Action.verified_at,
                Action.committee,
                Action.tier,
                Lesson.created_at.label("reported_at"),
            )
            .join(Lesson, Lesson.id == Action.lesson_id)
            .where(*alive)
            .order_by(Action.id)
        ).all()
        dues: dict[int, list[tuple[datetime, date]]] = {}
        if rows:  # the extensions of the same actions: one statement, whatever their number
            for action_id, decided_at, previous in self.session.execute(
                select(
                    ActionExtension.action_id,
                    ActionExtension.decided_at,
                    ActionExtension.previous_due,
                )
                .join(Action, Action.id == ActionExtension.action_id)
                .where(
                    *alive,
                    ActionExtension.status == "approved",
                    ActionExtension.decided_at.is_not(None),
                )
                .order_by(ActionExtension.decided_at, ActionExtension.id)
            ):
                if decided_at is not None:
                    dues.setdefault(action_id, []).append((decided_at, previous))
        return [
            ActionFact(
                created_at=r.created_at,
                status=r.status,
                status_changed_at=r.status_changed_at,
                due_date=r.due_date,
                completed_at=r.completed_at,
                verified_at=r.verified_at,
                committee=r.committee,
                earlier_dues=tuple(dues.get(r.id, ())),
                tier=r.tier,
                lesson_reported_at=r.reported_at,
            )
            for r in rows
        ]

    def first_verifications(
        self, since: datetime, until: datetime, excluded_statuses: Sequence[str]
    ) -> list[tuple[datetime, datetime, str]]:
        """(lesson reported, its first verified change, committee) for first verifications
        made in [since, until)."""
        first = (
            select(Action.lesson_id, func.min(Action.verified_at).label("verified"))
            .where(Action.verified_at.is_not(None))
            .group_by(Action.lesson_id)
            .subquery()
        )
        rows = self.session.execute(
            select(Lesson.created_at, first.c.verified, Lesson.committee)
            .join(first, first.c.lesson_id == Lesson.id)
            .where(
                first.c.verified >= since,
                first.c.verified < until,
                Lesson.status.not_in(excluded_statuses),
            )
            .order_by(first.c.verified)
        ).all()
        return [(r[0], r[1], r[2]) for r in rows]
