"""Bulletins, and the queries behind a quarter's contents.

Every content query is bounded twice: by the quarter, a half-open range [start, end) walked
along an index (actions by committee and verified time or status change, lessons by status
change or creation, ideas by status change, the audit log by entity), and by LIST_LIMIT rows,
each list carrying its full total in a window count so the page can say "and 40 more". A
quarter's bulletin costs the same dozen statements in a register of a hundred lessons or a
hundred thousand. The caller passes the instants, already worked out in the trust's zone.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, distinct, func, inspect, select, true
from sqlalchemy.orm import Session

from store.models import (
    Action,
    AuditEntry,
    Bulletin,
    Idea,
    IdeaSubmitter,
    Lesson,
    ReminderSent,
    Staff,
    Trend,
    TrendLesson,
)
from store.repos.dialect import insert_for

LIST_LIMIT = 200
"""Items per section: a quarter of a large trust fits; a register gone wild cannot flood it."""
ARCHIVE_LIMIT = 200
"""Fifty years of quarters."""


class VerifiedRow(NamedTuple):
    ref: str
    lesson_id: int
    lesson_ref: str
    lesson_title: str
    lesson_learned: str
    lesson_triaged: bool
    committee: str
    tier: int
    description: str
    change: str | None
    evidence: str | None
    verified_at: datetime


class ReauditRow(NamedTuple):
    ref: str
    lesson_ref: str
    lesson_title: str
    lesson_learned: str
    lesson_triaged: bool
    what: str
    committee: str
    tier: int
    passed: bool
    recorded_at: datetime
    notes: str | None


class IdeaRow(NamedTuple):
    id: int
    ref: str
    kind: str
    title: str
    proposed_change: str
    expected_benefits: list[str]
    credit_consent: bool
    """Consented *and* named: a confidential submitter's name is for governance only."""
    implemented_at: datetime


class TrendRow(NamedTuple):
    id: int
    ref: str
    dimension: str
    value: str
    lesson_count: int
    created_at: datetime
    response: str | None
    lesson_id: int


class AlertRow(NamedTuple):
    ref: str
    kind: str
    title: str
    severity: str
    sent_at: datetime
    recipients: int
    acknowledged: int


def kept(column: Any, excluded: Collection[str]) -> ColumnElement[bool]:
    """Rows whose reference the governance lead did not leave out (a bounded list: the form
    caps it at 2,000 characters)."""
    return column.not_in(sorted(excluded)) if excluded else true()


def _with_total(rows: Sequence[Sequence[Any]]) -> tuple[list[tuple[Any, ...]], int]:
    """Split the window count (the last column, the same on every row) from the rows."""
    return [tuple(row)[:-1] for row in rows], int(rows[0][-1]) if rows else 0


class BulletinRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ the bulletins

    def get(self, bulletin_id: int) -> Bulletin | None:
        return self.session.get(Bulletin, bulletin_id)

    def by_ref(self, ref: str) -> Bulletin | None:
        return self.session.scalar(select(Bulletin).where(Bulletin.ref == ref.upper()))

    def create_if_absent(self, values: dict[str, Any]) -> tuple[Bulletin, bool]:
        """The quarter's bulletin and whether it was made now. The unique ref decides, so two
        clocks (or a clock and a governance lead) drafting at once still make one bulletin."""
        made = self.session.execute(
            insert_for(self.session, Bulletin)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["ref"])
            .returning(Bulletin.id)
        ).first()
        found = self.by_ref(values["ref"])
        assert found is not None
        return found, made is not None

    def in_statuses(self, statuses: Collection[str], limit: int = ARCHIVE_LIMIT) -> list[Bulletin]:
        """Newest quarter first, along (status, quarter_start)."""
        query = (
            select(Bulletin)
            .where(Bulletin.status.in_(statuses))
            .order_by(Bulletin.quarter_start.desc(), Bulletin.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def oldest_in_status(self, status: str) -> Bulletin | None:
        """The earliest quarter's bulletin in `status` (along (status, quarter_start))."""
        query = (
            select(Bulletin)
            .where(Bulletin.status == status)
            .order_by(Bulletin.quarter_start, Bulletin.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def latest(self, limit: int) -> list[Bulletin]:
        query = select(Bulletin).order_by(Bulletin.quarter_start.desc()).limit(limit)
        return list(self.session.scalars(query))

    def already_sent(self, rule: str, item_key: str, occasion: str) -> bool:
        """Whether the ledger holds this reminder (a cheap check before building a card)."""
        query = select(ReminderSent.id).where(
            ReminderSent.rule == rule,
            ReminderSent.item_key == item_key,
            ReminderSent.occasion == occasion,
        )
        return self.session.scalar(query.limit(1)) is not None

    # ------------------------------------------------------------------ a quarter's contents

    def verified_actions(
        self,
        committees: Collection[str],
        start: datetime,
        end: datetime,
        excluded: Collection[str] = (),
    ) -> tuple[list[VerifiedRow], int]:
        """Actions verified in [start, end) and kept, oldest first, along (committee,
        verified_at), with their lesson's title and what was learned (shown only if triaged)."""
        where = and_(
            Action.committee.in_(committees),
            Action.verified_at >= start,
            Action.verified_at < end,
            kept(Action.ref, excluded),
        )
        top = (
            select(Action.id.label("id"), func.count().over().label("total"))
            .where(where)
            .order_by(Action.verified_at, Action.id)
            .limit(LIST_LIMIT)
            .subquery()
        )
        query = (
            select(
                Action.ref,
                Action.lesson_id,
                Lesson.ref,
                Lesson.title,
                Lesson.what_learned,
                Lesson.triaged_at.is_not(None),
                Action.committee,
                Action.tier,
                Action.description,
                Action.change,
                Action.evidence,
                Action.verified_at,
                top.c.total,
            )
            .select_from(top)
            .join(Action, Action.id == top.c.id)
            .join(Lesson, Lesson.id == Action.lesson_id)
            .order_by(Action.verified_at, Action.id)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [VerifiedRow._make((*row[:5], bool(row[5]), *row[6:])) for row in rows], total

    def reaudit_results(
        self,
        committees: Collection[str],
        passed: str,
        failed: str,
        start: datetime,
        end: datetime,
        excluded: Collection[str] = (),
    ) -> tuple[list[ReauditRow], int]:
        """Re-audits recorded in [start, end) and kept: the action's last move, to `passed`
        (closed) or `failed`, both final, so its status change is the day it was recorded."""
        where = _reaudited(committees, passed, failed, start, end, excluded)
        top = (
            select(Action.id.label("id"), func.count().over().label("total"))
            .where(where)
            .order_by(Action.status_changed_at, Action.id)
            .limit(LIST_LIMIT)
            .subquery()
        )
        query = (
            select(
                Action.ref,
                Lesson.ref,
                Lesson.title,
                Lesson.what_learned,
                Lesson.triaged_at.is_not(None),
                func.coalesce(Action.change, Action.description),
                Action.committee,
                Action.tier,
                Action.status == passed,
                Action.status_changed_at,
                Action.reaudit_notes,
                top.c.total,
            )
            .select_from(top)
            .join(Action, Action.id == top.c.id)
            .join(Lesson, Lesson.id == Action.lesson_id)
            .order_by(Action.status_changed_at, Action.id)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [
            ReauditRow._make((*r[:4], bool(r[4]), *r[5:8], bool(r[8]), *r[9:])) for r in rows
        ], total

    def reaudit_counts(
        self,
        committees: Collection[str],
        passed: str,
        failed: str,
        start: datetime,
        end: datetime,
        excluded: Collection[str] = (),
    ) -> tuple[int, int]:
        """How many kept re-audits recorded in [start, end) passed and failed (every one,
        beyond the list limit too)."""
        query = (
            select(Action.status, func.count())
            .where(_reaudited(committees, passed, failed, start, end, excluded))
            .group_by(Action.status)
        )
        counts = {status: int(n) for status, n in self.session.execute(query)}
        return counts.get(passed, 0), counts.get(failed, 0)

    def implemented_ideas(
        self,
        statuses: Collection[str],
        start: datetime,
        end: datetime,
        excluded: Collection[str] = (),
    ) -> tuple[list[IdeaRow], int]:
        """Ideas marked implemented in [start, end), by the audit log's "implemented" entry.

        An idea recognised later still shows when it was implemented; candidates are only the
        ideas implemented (or recognised) since `start`, along (status, status_changed_at), and
        the audit log is probed by (entity_type, entity_ref) for just those.
        """
        top = (
            select(
                Idea.id.label("id"),
                func.max(AuditEntry.at).label("at"),
                func.count().over().label("total"),
            )
            .join(
                AuditEntry,
                and_(
                    AuditEntry.entity_type == "idea",
                    AuditEntry.entity_ref == Idea.ref,
                    AuditEntry.action == "implemented",
                ),
            )
            .where(
                Idea.status.in_(statuses),
                Idea.status_changed_at >= start,
                kept(Idea.ref, excluded),
                AuditEntry.at >= start,
                AuditEntry.at < end,
            )
            .group_by(Idea.id)
            .order_by(func.max(AuditEntry.at), Idea.id)
            .limit(LIST_LIMIT)
            .subquery()
        )
        query = (
            select(
                Idea.id,
                Idea.ref,
                Idea.kind,
                Idea.title,
                Idea.proposed_change,
                Idea.expected_benefits,
                Idea.credit_consent & (Idea.mode == "named"),
                top.c.at,
                top.c.total,
            )
            .select_from(top)
            .join(Idea, Idea.id == top.c.id)
            .order_by(top.c.at, Idea.id)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [IdeaRow._make((*row[:6], bool(row[6]), row[7])) for row in rows], total

    def credited_names(self, idea_ids: Collection[int]) -> dict[int, list[str]]:
        """Submitters' names for these ideas, the lead submitter first. The caller passes only
        ideas whose submitters consented to credit."""
        if not idea_ids:
            return {}
        query = (
            select(IdeaSubmitter.idea_id, Staff.display_name)
            .join(Staff, Staff.id == IdeaSubmitter.staff_id)
            .where(IdeaSubmitter.idea_id.in_(idea_ids))
            .order_by(IdeaSubmitter.idea_id, IdeaSubmitter.is_lead.desc(), Staff.display_name)
        )
        names: dict[int, list[str]] = {}
        for idea_id, name in self.session.execute(query):
            names.setdefault(idea_id, []).append(name)
        return names

    def trends_of(
        self, lesson_ids: Collection[int], leave_out: Collection[str] = ()
    ) -> list[TrendRow]:
        """The trends these lessons belong to (through trend_lesson's lesson index), but for
        those whose status is in `leave_out`."""
        if not lesson_ids:
            return []
        query = (
            select(
                Trend.id,
                Trend.ref,
                Trend.dimension,
                Trend.value,
                Trend.lesson_count,
                Trend.created_at,
                Trend.response,
                TrendLesson.lesson_id,
            )
            .join(TrendLesson, TrendLesson.trend_id == Trend.id)
            .where(TrendLesson.lesson_id.in_(sorted(lesson_ids)))
            .where(Trend.status.not_in(sorted(leave_out)))
            .order_by(Trend.created_at, Trend.id)
        )
        return [TrendRow(*row) for row in self.session.execute(query)]

    def lessons_by_source(
        self, start: datetime, end: datetime, leave_out: Collection[str]
    ) -> dict[str, int]:
        """Lessons reported in [start, end) per source, along the created_at index."""
        query = (
            select(Lesson.source, func.count())
            .where(
                Lesson.created_at >= start,
                Lesson.created_at < end,
                Lesson.status.not_in(leave_out),
            )
            .group_by(Lesson.source)
        )
        return {source: int(count) for source, count in self.session.execute(query)}

    def verified_by_tier(
        self,
        committees: Collection[str],
        start: datetime,
        end: datetime,
        excluded: Collection[str] = (),
    ) -> tuple[dict[int, int], int]:
        """Kept actions verified in [start, end) per tier, and how many lessons they are on."""
        where = and_(
            Action.committee.in_(committees),
            Action.verified_at >= start,
            Action.verified_at < end,
            kept(Action.ref, excluded),
        )
        query = select(Action.tier, func.count()).where(where).group_by(Action.tier)
        by_tier = {int(tier): int(count) for tier, count in self.session.execute(query)}
        lessons = self.session.scalar(select(func.count(distinct(Action.lesson_id))).where(where))
        return by_tier, int(lessons or 0)

    def lessons_concluded(
        self, statuses: Collection[str], start: datetime, end: datetime
    ) -> dict[str, int]:
        """Lessons whose latest move, in [start, end), was to one of `statuses`."""
        query = (
            select(Lesson.status, func.count())
            .where(
                Lesson.status.in_(statuses),
                Lesson.status_changed_at >= start,
                Lesson.status_changed_at < end,
            )
            .group_by(Lesson.status)
        )
        return {status: int(count) for status, count in self.session.execute(query)}

    def alerts_issued(
        self, start: datetime, end: datetime, excluded: Collection[str] = ()
    ) -> tuple[list[AlertRow], int]:
        """Critical alerts sent in [start, end) and how many recipients acknowledged each.

        Tolerant by design: the alerts capability is built alongside this one, so when its
        models or tables are not (yet) there the bulletin simply reports no alerts.
        """
        try:
            from store.models import alerts as alert_models
        except ImportError:  # pragma: no cover - the alerts capability is not installed
            return [], 0
        alert = getattr(alert_models, "Alert", None)
        recipient = getattr(alert_models, "AlertRecipient", None)
        needed = ("ref", "kind", "title", "severity", "sent_at", "recipient_count")
        if alert is None or recipient is None or not all(hasattr(alert, n) for n in needed):
            return [], 0
        connection = self.session.connection()
        if not inspect(connection).has_table(alert.__tablename__):
            return [], 0
        top = (
            select(alert.id.label("id"), func.count().over().label("total"))
            .where(alert.sent_at >= start, alert.sent_at < end, kept(alert.ref, excluded))
            .order_by(alert.sent_at, alert.id)
            .limit(LIST_LIMIT)
            .subquery()
        )
        acked = (
            select(func.count())
            .where(recipient.alert_id == alert.id, recipient.acked_at.is_not(None))
            .correlate(alert)
            .scalar_subquery()
        )
        query = (
            select(
                alert.ref,
                alert.kind,
                alert.title,
                alert.severity,
                alert.sent_at,
                alert.recipient_count,
                acked,
                top.c.total,
            )
            .select_from(top)
            .join(alert, alert.id == top.c.id)
            .order_by(alert.sent_at, alert.id)
        )
        rows, total = _with_total(self.session.execute(query).all())
        return [
            AlertRow(r[0], r[1], r[2], r[3], r[4], int(r[5] or 0), int(r[6] or 0)) for r in rows
        ], total


def _reaudited(
    committees: Collection[str],
    passed: str,
    failed: str,
    start: datetime,
    end: datetime,
    excluded: Collection[str],
) -> ColumnElement[bool]:
    return and_(
        Action.committee.in_(committees),
        Action.status.in_([passed, failed]),
        Action.status_changed_at >= start,
        Action.status_changed_at < end,
        Action.reaudit_result.is_not(None),
        kept(Action.ref, excluded),
    )
