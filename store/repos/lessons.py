"""Lesson and trend queries: lookups, committee queues, reminders due, lessons sharing a unit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from store.models import Lesson, LessonOrgUnit, LessonSubmitter, Trend, TrendLesson
from store.repos.dialect import json_list_has, not_reminded

UNIT_KINDS = ("site", "department")
"""Trend dimensions held in lesson_org_unit; "process" and "srg" are columns on the lesson."""


@dataclass(frozen=True)
class LessonScope:
    """Which lessons a reader may open, as decided by handlers.visibility.lesson_scope: every
    triaged lesson, untriaged ones of `committees` or submitted by `submitter_id`, or all of
    them when `everything`. Only the decision's result lives here, so queries can apply it."""

    everything: bool = False
    committees: frozenset[str] = frozenset()
    submitter_id: int | None = None

    def where(self) -> ColumnElement[bool]:
        """The scope as a WHERE clause on Lesson (the same rule as visibility.may_read)."""
        if self.everything:
            return true()
        allowed: list[ColumnElement[bool]] = [Lesson.triaged_at.is_not(None)]
        if self.committees:
            allowed.append(Lesson.committee.in_(sorted(self.committees)))
        if self.submitter_id is not None:
            allowed.append(
                exists().where(
                    LessonSubmitter.lesson_id == Lesson.id,
                    LessonSubmitter.staff_id == self.submitter_id,
                )
            )
        return or_(false(), *allowed)


class LessonRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, lesson: Lesson) -> None:
        self.session.add(lesson)
        self.session.flush()

    def by_ref(self, ref: str) -> Lesson | None:
        return self.session.scalar(select(Lesson).where(Lesson.ref == ref.strip().upper()))

    def by_id(self, lesson_id: int) -> Lesson | None:
        return self.session.get(Lesson, lesson_id)

    def by_receipt_hash(self, receipt_hash: str) -> Lesson | None:
        return self.session.scalar(select(Lesson).where(Lesson.receipt_hash == receipt_hash))

    def submitted_by(self, staff_id: int) -> Sequence[Lesson]:
        query = (
            select(Lesson)
            .join(LessonSubmitter)
            .where(LessonSubmitter.staff_id == staff_id)
            .order_by(Lesson.created_at.desc(), Lesson.id.desc())
        )
        return self.session.scalars(query).all()

    def page(
        self,
        committee: str | None,
        statuses: Sequence[str],
        offset: int,
        limit: int,
        scope: LessonScope,
    ) -> tuple[Sequence[Lesson], int]:
        """A page of the lessons in `statuses` that `scope` may read (oldest change first),
        optionally one committee's."""
        where: list[ColumnElement[bool]] = [Lesson.status.in_(statuses), scope.where()]
        if committee is not None:
            where.append(Lesson.committee == committee)
        total = self.session.scalar(select(func.count()).select_from(Lesson).where(*where)) or 0
        query = (
            select(Lesson)
            .where(*where)
            .order_by(Lesson.status_changed_at, Lesson.id)
            .offset(offset)
            .limit(limit)
        )
        return self.session.scalars(query).all(), total

    def due_for_reminder(
        self,
        rule: str,
        status: str,
        before: datetime,
        occasion: str,
        after: datetime | None = None,
    ) -> Sequence[Lesson]:
        """Lessons waiting in `status` since before `before`, not yet reminded for `occasion`;
        with `after`, only those that crossed the line since then (the rule's last pass)."""
        where = [
            Lesson.status == status,
            Lesson.status_changed_at <= before,
            not_reminded(rule, Lesson.ref, occasion),
        ]
        if after is not None:
            where.append(Lesson.status_changed_at >= after)
        query = select(Lesson).where(*where).order_by(Lesson.status_changed_at, Lesson.id)
        return self.session.scalars(query).all()

    def sharing(
        self, dimension: str, value: str, since: datetime, excluded_statuses: Sequence[str]
    ) -> Sequence[Lesson]:
        """Lessons created since `since` that share `value` on `dimension` (trend detection)."""
        query = select(Lesson).where(
            Lesson.created_at >= since, Lesson.status.not_in(excluded_statuses)
        )
        if dimension in UNIT_KINDS:
            query = query.join(LessonOrgUnit).where(
                LessonOrgUnit.kind == dimension, LessonOrgUnit.code == value
            )
        elif dimension == "process":
            query = query.where(Lesson.process == value)
        elif dimension == "srg":
            query = query.where(Lesson.srg == value)
        else:
            raise ValueError(f"unknown trend dimension {dimension!r}")
        return self.session.scalars(query.order_by(Lesson.created_at, Lesson.id)).all()


class TrendRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, trend: Trend) -> None:
        self.session.add(trend)
        self.session.flush()

    def by_ref(self, ref: str) -> Trend | None:
        return self.session.scalar(select(Trend).where(Trend.ref == ref.strip().upper()))

    def active(self, dimension: str, value: str, since: datetime) -> Trend | None:
        """The trend on this value whose last lesson is inside the window, if any, whatever
        the committee decided: a new lesson joins it (and reopens it if it was dismissed)."""
        query = (
            select(Trend)
            .where(
                Trend.dimension == dimension,
                Trend.value == value,
                Trend.last_lesson_at >= since,
            )
            .order_by(Trend.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def for_committee(self, committee: str, limit: int) -> tuple[Sequence[Trend], int]:
        """Up to `limit` trends concerning `committee`: those awaiting a decision first, then
        the most recently joined; and how many there are in all."""
        where = json_list_has(self.session, Trend.committees, committee)
        total = self.session.scalar(select(func.count()).select_from(Trend).where(where)) or 0
        awaiting = case((Trend.status == "open", 0), else_=1)
        query = (
            select(Trend)
            .where(where)
            .order_by(awaiting, Trend.last_lesson_at.desc(), Trend.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all(), total

    def led_by(self, staff_id: int) -> Sequence[Trend]:
        """Accepted trends whose response `staff_id` leads (their /qi mine)."""
        query = (
            select(Trend)
            .where(Trend.response_owner_id == staff_id, Trend.status == "accepted")
            .order_by(Trend.decided_at, Trend.id)
        )
        return self.session.scalars(query).all()

    def lesson_ids(self, trend_id: int) -> set[int]:
        query = select(TrendLesson.lesson_id).where(TrendLesson.trend_id == trend_id)
        return set(self.session.scalars(query))

    def link(self, trend: Trend, lesson_id: int, now: datetime) -> bool:
        if lesson_id in self.lesson_ids(trend.id):
            return False
        self.session.add(TrendLesson(trend_id=trend.id, lesson_id=lesson_id, added_at=now))
        self.session.flush()
        return True

    def for_lesson(self, lesson_id: int) -> Sequence[Trend]:
        query = select(Trend).join(TrendLesson).where(TrendLesson.lesson_id == lesson_id)
        return self.session.scalars(query).all()

    def lessons_of(self, trend_id: int) -> Sequence[Lesson]:
        query = (
            select(Lesson)
            .join(TrendLesson)
            .where(TrendLesson.trend_id == trend_id)
            .order_by(Lesson.created_at)
        )
        return self.session.scalars(query).all()
