"""Queries behind a committee's weekly digest.

Every query names one committee and is bounded: a few counts, or a short list (LIMIT) that
carries its own total (a window count over the same index scan). Each walks an index led by the
committee or the status, so a digest costs the same fixed number of statements, each touching
only what it reports, whether the register holds a hundred lessons or a hundred thousand.
Nothing here knows about "this week": the caller passes the instants and days, already worked
out in the trust's zone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from store.models import (
    Action,
    ActionExtension,
    Alert,
    Idea,
    Lesson,
    ReminderSent,
    Staff,
    Trend,
    TrendLesson,
)
from store.repos.dialect import json_list_has

LIST_LIMIT = 10
"""Rows per list: a digest is read on a phone between meetings, not a report to scroll."""


@dataclass(frozen=True)
class Window:
    """The moments and days a digest is about, worked out by the caller in the trust's zone."""

    since: datetime
    """Start of "the last 7 days" (new lessons, verified actions, re-audit results, trends)."""
    today: date
    soon: date
    """Last day that counts as "due soon" (amber; re-audits due)."""
    long_overdue_before: date
    """Working actions due on or before this day are long overdue."""
    long_overdue_extensions: int
    """...as are working actions with at least this many extensions."""


@dataclass(frozen=True)
class Statuses:
    """The lifecycle states the queries need; the handlers own the lifecycles, not the store."""

    lesson_triage: str
    lesson_awaiting_decision: tuple[str, ...]
    lesson_awaiting_assurance: str
    lesson_open: tuple[str, ...]
    action_working: tuple[str, ...]
    action_open: tuple[str, ...]
    action_completion_submitted: str
    action_reaudit_scheduled: str
    action_reaudit_results: tuple[str, ...]
    action_not_a_response: tuple[str, ...]
    """Cancelled or declined: not part of the committee's answer to a trend."""
    action_declined: str
    """Declined by its owner, waiting to be reassigned."""
    idea_open: tuple[str, ...]


@dataclass(frozen=True)
class DigestCounts:
    """Headline figures that come with no list (each list brings its own total)."""

    new_lessons: int
    awaiting_triage: int
    open_actions: int


class LessonRow(NamedTuple):
    ref: str
    title: str
    status_changed_at: datetime


class ActionRow(NamedTuple):
    ref: str
    lesson_ref: str
    tier: int
    status: str
    due_date: date
    extension_count: int
    extension_pending: bool
    owner_name: str | None
    verified_at: datetime | None
    reaudit_date: date | None
    status_changed_at: datetime


class ExtensionRow(NamedTuple):
    action_ref: str
    lesson_ref: str
    due_date: date
    requested_until: date
    created_at: datetime


class TrendRow(NamedTuple):
    id: int
    ref: str
    dimension: str
    value: str
    created_at: datetime
    last_lesson_at: datetime
    status: str


class TrendStats(NamedTuple):
    trend_id: int
    lessons: int
    added: int
    actions: int
    strong_actions: int
    """Actions in a tier that is not weak on its own."""


class IdeaRow(NamedTuple):
    ref: str
    title: str
    expected_benefits: list[str]
    created_at: datetime
    kind: str
    sponsor_state: str | None


def unindexed(session: Session, column: Any) -> Any:
    """`column`, kept out of SQLite's choice of index (its documented unary-plus idiom).

    Without statistics (no ANALYZE) SQLite prefers an index led by an equality over one led by
    a range or an IN list, even when the other is far narrower: the committee's every lesson
    over the last week's, every verified action over the ten lessons on a page of results.
    PostgreSQL plans from statistics and gets the expression unchanged.
    """
    if session.get_bind().dialect.name == "postgresql":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"), type_=String())


def _with_total(rows: Sequence[Sequence[Any]]) -> tuple[list[tuple[Any, ...]], int]:
    """Split the window count (the last column, the same on every row) from the rows."""
    return [tuple(row)[:-1] for row in rows], int(rows[0][-1]) if rows else 0


class DigestRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    # ------------------------------------------------------------------ filters, once each

    def _lessons_in(self, committee: str, statuses: Collection[str]) -> ColumnElement[bool]:
        return and_(Lesson.committee == committee, Lesson.status.in_(statuses))

    def _actions_in(self, committee: str, statuses: Collection[str]) -> ColumnElement[bool]:
        return and_(Action.committee == committee, Action.status.in_(statuses))

    def _working(self, committee: str, s: Statuses) -> ColumnElement[bool]:
        return self._actions_in(committee, s.action_working)

    def _trend_touches(self, committee: str, w: Window) -> ColumnElement[bool]:
        """Trends that list this committee and await its decision, or are new or had a lesson
        join in the window: an undecided trend is listed every week until it is decided."""
        touches = json_list_has(self.session, Trend.committees, committee)
        return and_(
            touches,
            or_(
                Trend.status == "open",
                Trend.created_at >= w.since,
                Trend.last_lesson_at >= w.since,
            ),
        )

    def _idea_touches(self, benefits: Collection[str], s: Statuses) -> ColumnElement[bool]:
        """Open ideas with an expected benefit in `benefits` (compared in lower case)."""
        wanted = sorted({b.lower() for b in benefits})
        if self._postgres:
            element = func.jsonb_array_elements_text(Idea.expected_benefits).table_valued("value")
        else:
            element = func.json_each(Idea.expected_benefits).table_valued("value")
        match = exists(
            select(literal(1)).select_from(element).where(func.lower(element.c.value).in_(wanted))
        )
        return and_(Idea.status.in_(s.idea_open), match)

    # ------------------------------------------------------------------ headline counts

    def counts(self, committee: str, s: Statuses, w: Window) -> DigestCounts:
        """The figures with no list behind them, in one statement of scalar subqueries."""
        new = (
            select(func.count())
            .select_from(Lesson)
            .where(
                Lesson.created_at >= w.since, unindexed(self.session, Lesson.committee) == committee
            )
            .scalar_subquery()
        )
        triage = (
            select(func.count())
            .select_from(Lesson)
            .where(self._lessons_in(committee, [s.lesson_triage]))
            .scalar_subquery()
        )
        open_actions = (
            select(func.count())
            .select_from(Action)
            .where(self._actions_in(committee, s.action_open))
            .scalar_subquery()
        )
        row = self.session.execute(select(new, triage, open_actions)).one()
        return DigestCounts(*(int(value or 0) for value in row))

    # ------------------------------------------------------------------ lessons

    def _lesson_rows(self, where: ColumnElement[bool], *order: Any) -> tuple[list[LessonRow], int]:
        """The first LIST_LIMIT lessons in `order` and how many match, in one statement.

        The ids and total are found first, from the index alone; only those few lessons are
        then read in full (the same shape as _action_rows).
        """
        top = (
            select(Lesson.id.label("id"), func.count().over().label("total"))
            .where(where)
            .order_by(*order, Lesson.id)
            .limit(LIST_LIMIT)
            .subquery()
        )
        query = (
            select(Lesson.ref, Lesson.title, Lesson.status_changed_at, top.c.total)
            .join(top, top.c.id == Lesson.id)
            .order_by(*order, Lesson.id)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [LessonRow(*row) for row in rows], total

    def awaiting_decision(self, committee: str, s: Statuses) -> tuple[list[LessonRow], int]:
        """Longest waiting first: the committee should not leave a lesson at the bottom."""
        where = self._lessons_in(committee, s.lesson_awaiting_decision)
        return self._lesson_rows(where, Lesson.status_changed_at)

    def awaiting_assurance(self, committee: str, s: Statuses) -> tuple[list[LessonRow], int]:
        where = self._lessons_in(committee, [s.lesson_awaiting_assurance])
        return self._lesson_rows(where, Lesson.status_changed_at)

    def lessons_without_unit(self, committee: str, s: Statuses) -> tuple[list[str], int]:
        where = and_(self._lessons_in(committee, s.lesson_open), Lesson.has_org_unit.is_(False))
        # Ordered along the (committee, status, changed) index: ordered by id, PostgreSQL
        # walks the whole table by primary key, not seeing that the count needs every row.
        rows, total = self._lesson_rows(where, Lesson.status_changed_at)
        return [row.ref for row in rows], total

    # ------------------------------------------------------------------ actions

    def _action_rows(self, where: ColumnElement[bool], *order: Any) -> tuple[list[ActionRow], int]:
        """The first LIST_LIMIT actions in `order` and how many match, in one statement.

        The inner query walks only the index (committee, status, due date, id) where it can and
        counts as it goes; the joins to lesson, owner and pending extension run for the few
        rows shown, not for the thousands an overdue list can hold.
        """
        top = (
            select(Action.id.label("id"), func.count().over().label("total"))
            .where(where)
            .order_by(*order, Action.id)
            .limit(LIST_LIMIT)
            .subquery()
        )
        pending = (
            exists()
            .where(ActionExtension.status == "pending", ActionExtension.action_id == Action.id)
            .label("extension_pending")
        )
        query = (
            select(
                Action.ref,
                Lesson.ref,
                Action.tier,
                Action.status,
                Action.due_date,
                Action.extension_count,
                pending,
                Staff.display_name,
                Action.verified_at,
                Action.reaudit_date,
                Action.status_changed_at,
                top.c.total,
            )
            .select_from(top)
            .join(Action, Action.id == top.c.id)
            .join(Lesson, Lesson.id == Action.lesson_id)
            .outerjoin(Staff, Staff.id == Action.owner_id)
            .order_by(*order, Action.id)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [ActionRow(*row) for row in rows], total

    def red(self, committee: str, s: Statuses, w: Window) -> tuple[list[ActionRow], int]:
        """Most recently gone red first; the long-overdue list names the worst by owner."""
        where = and_(self._working(committee, s), Action.due_date < w.today)
        return self._action_rows(where, Action.due_date.desc())

    def amber(self, committee: str, s: Statuses, w: Window) -> tuple[list[ActionRow], int]:
        """Due soonest first, then those amber only because an extension is pending.

        Two statements rather than one OR, so each walks a short index range: the actions due
        in the next 14 days, and the (few) pending extensions.
        """
        soon = and_(
            self._working(committee, s), Action.due_date >= w.today, Action.due_date <= w.soon
        )
        pending = select(ActionExtension.action_id).where(
            ActionExtension.status == "pending", ActionExtension.committee == committee
        )
        extended = and_(
            self._working(committee, s), Action.due_date > w.soon, Action.id.in_(pending)
        )
        first, first_total = self._action_rows(soon, Action.due_date)
        then, then_total = self._action_rows(extended, Action.due_date)
        return (first + then)[:LIST_LIMIT], first_total + then_total

    def verified(self, committee: str, w: Window) -> tuple[list[ActionRow], int]:
        where = and_(Action.committee == committee, Action.verified_at >= w.since)
        return self._action_rows(where, Action.verified_at.desc())

    def completions_submitted(self, committee: str, s: Statuses) -> tuple[list[ActionRow], int]:
        where = self._actions_in(committee, [s.action_completion_submitted])
        return self._action_rows(where, Action.status_changed_at)

    def long_overdue(self, committee: str, s: Statuses, w: Window) -> tuple[list[ActionRow], int]:
        """Overdue the longest first, then those on a second (or later) extension.

        Split in two for the same reason as amber: the first part is an index range.
        """
        by_days = and_(self._working(committee, s), Action.due_date <= w.long_overdue_before)
        by_extensions = and_(
            self._working(committee, s),
            Action.due_date > w.long_overdue_before,
            Action.extension_count >= w.long_overdue_extensions,
        )
        first, first_total = self._action_rows(by_days, Action.due_date)
        then, then_total = self._action_rows(by_extensions, Action.due_date)
        return (first + then)[:LIST_LIMIT], first_total + then_total

    def reaudits_due(self, committee: str, s: Statuses, w: Window) -> tuple[list[ActionRow], int]:
        where = and_(
            Action.status == s.action_reaudit_scheduled,
            Action.reaudit_date <= w.soon,
            Action.committee == committee,
        )
        return self._action_rows(where, Action.reaudit_date)

    def reaudit_results(
        self, committee: str, s: Statuses, w: Window
    ) -> tuple[list[ActionRow], int]:
        where = and_(
            self._actions_in(committee, s.action_reaudit_results),
            Action.status_changed_at >= w.since,
        )
        return self._action_rows(where, Action.status_changed_at.desc())

    def declined(self, committee: str, s: Statuses) -> tuple[list[ActionRow], int]:
        """Declined actions waiting to be reassigned, longest waiting first."""
        where = self._actions_in(committee, [s.action_declined])
        return self._action_rows(where, Action.status_changed_at)

    @staticmethod
    def _owned_by(owner: int | None) -> ColumnElement[bool]:
        return Action.owner_id == owner if owner is not None else literal(True)

    def unverifiable(
        self, committee: str, s: Statuses, owner: int | None
    ) -> tuple[list[ActionRow], int]:
        """Completions nobody can verify: no usable named verifier (none, left, or the owner),
        and the committee's governance leads and chair are at most `owner` (None: nobody)."""
        usable = exists().where(
            Staff.id == Action.verifier_id, Staff.active.is_(True), Staff.id != Action.owner_id
        )
        where = and_(
            self._actions_in(committee, [s.action_completion_submitted]),
            ~usable,
            self._owned_by(owner),
        )
        return self._action_rows(where, Action.status_changed_at)

    def unreassignable(
        self, committee: str, s: Statuses, owner: int | None
    ) -> tuple[list[ActionRow], int]:
        """Declined actions nobody can reassign: the leads and chair are at most who declined."""
        where = and_(self._actions_in(committee, [s.action_declined]), self._owned_by(owner))
        return self._action_rows(where, Action.status_changed_at)

    def unapprovable(self, publisher: int | None) -> tuple[list[str], int]:
        """Alerts awaiting approval with no approver but (at most) their own publisher."""
        where = [Alert.status == "awaiting_approval"]
        if publisher is not None:
            where.append(Alert.publisher_id == publisher)
        query = (
            select(Alert.ref, func.count().over())
            .where(*where)
            .order_by(Alert.updated_at, Alert.id)
            .limit(LIST_LIMIT)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [row[0] for row in rows], total

    def committees_of(self, refs: Collection[str]) -> dict[str, str]:
        """The committee of each action or lesson among `refs` (other references are absent)."""
        if not refs:
            return {}
        found = self.session.execute(
            select(Action.ref, Action.committee)
            .where(Action.ref.in_(refs))
            .union_all(select(Lesson.ref, Lesson.committee).where(Lesson.ref.in_(refs)))
        )
        return {row[0]: row[1] for row in found}

    def actions_without_measure(self, committee: str, s: Statuses) -> tuple[list[str], int]:
        where = and_(
            self._actions_in(committee, s.action_open),
            Action.has_measure.is_(False),
        )
        rows, total = self._action_rows(where, Action.due_date)  # see lessons_without_unit
        return [row.ref for row in rows], total

    def pending_extensions(self, committee: str) -> tuple[list[ExtensionRow], int]:
        query = (
            select(
                Action.ref,
                Lesson.ref,
                Action.due_date,
                ActionExtension.requested_until,
                ActionExtension.created_at,
                func.count().over(),
            )
            .select_from(ActionExtension)
            .join(Action, Action.id == ActionExtension.action_id)
            .join(Lesson, Lesson.id == Action.lesson_id)
            .where(ActionExtension.status == "pending", ActionExtension.committee == committee)
            .order_by(ActionExtension.created_at, ActionExtension.id)
            .limit(LIST_LIMIT)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [ExtensionRow(*row) for row in rows], total

    # ------------------------------------------------------------------ trends

    def trends(self, committee: str, w: Window) -> tuple[list[TrendRow], int]:
        query = (
            select(
                Trend.id,
                Trend.ref,
                Trend.dimension,
                Trend.value,
                Trend.created_at,
                Trend.last_lesson_at,
                Trend.status,
                func.count().over(),
            )
            .where(self._trend_touches(committee, w))
            .order_by(Trend.last_lesson_at.desc(), Trend.id.desc())
            .limit(LIST_LIMIT)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [TrendRow(*row) for row in rows], total

    def trend_stats(
        self, trend_ids: Sequence[int], s: Statuses, w: Window, weak_tiers: Collection[int]
    ) -> dict[int, TrendStats]:
        """Lessons, lessons added in the window, and actions (all / not weak) per trend.

        Run even for no trends, so a digest is always the same number of statements.
        """
        response = and_(
            Action.lesson_id == TrendLesson.lesson_id,
            Action.status.not_in(s.action_not_a_response),
        )
        strong = case((Action.tier.in_(list(weak_tiers)), None), else_=Action.id)
        added = case((TrendLesson.added_at >= w.since, TrendLesson.lesson_id), else_=None)
        query = (
            select(
                TrendLesson.trend_id,
                func.count(distinct(TrendLesson.lesson_id)),
                func.count(distinct(added)),
                func.count(distinct(Action.id)),
                func.count(distinct(strong)),
            )
            .outerjoin(Action, response)
            .where(TrendLesson.trend_id.in_(list(trend_ids)))
            .group_by(TrendLesson.trend_id)
        )
        return {row[0]: TrendStats(*row) for row in self.session.execute(query)}

    def trend_weekly_counts(
        self, trend_ids: Sequence[int], week_starts: Sequence[datetime]
    ) -> dict[int, list[int]]:
        """Lessons per week for each trend, by the lesson's creation time.

        `week_starts` are the instants the weeks begin (local Mondays, so a week follows the
        trust's calendar across the clock change); the bucketing happens in the database, so
        only one row per trend and week comes back however big the trend.
        """
        created = Lesson.created_at
        week = case(
            *((created >= start, index) for index, start in reversed(list(enumerate(week_starts)))),
            else_=-1,
        ).label("week")
        query = (
            select(TrendLesson.trend_id, week, func.count())
            .join(Lesson, Lesson.id == TrendLesson.lesson_id)
            .where(TrendLesson.trend_id.in_(list(trend_ids)), created >= week_starts[0])
            .group_by(TrendLesson.trend_id, week)
        )
        series = {trend_id: [0] * len(week_starts) for trend_id in trend_ids}
        for trend_id, index, count in self.session.execute(query):
            if trend_id in series and 0 <= index < len(week_starts):
                series[trend_id][index] = count
        return series

    # ------------------------------------------------------------------ ideas

    def ideas(self, benefits: Collection[str], s: Statuses) -> tuple[list[IdeaRow], int]:
        query = (
            select(
                Idea.ref,
                Idea.title,
                Idea.expected_benefits,
                Idea.created_at,
                Idea.kind,
                Idea.sponsor_state,
                func.count().over(),
            )
            .where(self._idea_touches(benefits, s))
            .order_by(Idea.created_at.desc(), Idea.id.desc())
            .limit(LIST_LIMIT)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [IdeaRow(*row) for row in rows], total

    # ------------------------------------------------------------------ the schedule's ledger

    def already_sent(self, rule: str, item_key: str, occasion: str) -> bool:
        """Whether the reminder ledger holds this digest: lets the schedule skip building it.

        The ledger's claim stays the arbiter; this only saves building a digest every tick.
        """
        query = select(ReminderSent.id).where(
            ReminderSent.rule == rule,
            ReminderSent.item_key == item_key,
            ReminderSent.occasion == occasion,
        )
        return self.session.scalar(query) is not None
