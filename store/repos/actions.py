"""Action queries: lookups, a person's and a committee's actions, and what reminders are due.

Reminder queries are one statement each whatever the number of actions: they use the
(status, date) indexes, anti-join the reminder ledger, and load the owner and lesson in the
same statement, so a tick costs in proportion to what is due, not to what exists.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, String, cast, func, literal, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from store.models import Action, ActionExtension
from store.repos.dialect import not_reminded


class ActionRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, action: Action) -> None:
        self.session.add(action)
        self.session.flush()

    def by_ref(self, ref: str) -> Action | None:
        return self.session.scalar(select(Action).where(Action.ref == ref.strip().upper()))

    def for_lesson(self, lesson_id: int) -> Sequence[Action]:
        query = select(Action).where(Action.lesson_id == lesson_id).order_by(Action.id)
        return self.session.scalars(query).all()

    def for_lessons(self, lesson_ids: Sequence[int]) -> Sequence[Action]:
        if not lesson_ids:
            return []
        query = select(Action).where(Action.lesson_id.in_(lesson_ids)).order_by(Action.id)
        return self.session.scalars(query).all()

    def owned_by(self, staff_id: int, statuses: Sequence[str]) -> Sequence[Action]:
        query = (
            select(Action)
            .where(Action.owner_id == staff_id, Action.status.in_(statuses))
            .order_by(Action.due_date, Action.id)
        )
        return self.session.scalars(query).all()

    def awaiting_verification(self, staff_id: int, committees: Sequence[str]) -> Sequence[Action]:
        """Completions `staff_id` may be asked to verify: named on them, or falling to them as a
        governance lead or chair of one of `committees` (the caller resolves who verifies)."""
        query = (
            select(Action)
            .where(
                Action.status == "completion_submitted",
                or_(Action.verifier_id == staff_id, Action.committee.in_(committees)),
            )
            .order_by(Action.completed_at, Action.id)
        )
        return self.session.scalars(query).all()

    def declined_in(self, committees: Sequence[str]) -> Sequence[Action]:
        """Declined actions of `committees`, waiting to be reassigned (oldest first)."""
        if not committees:
            return []
        query = (
            select(Action)
            .where(Action.status == "declined", Action.committee.in_(committees))
            .order_by(Action.status_changed_at, Action.id)
        )
        return self.session.scalars(query).all()

    def reaudits_led_by(self, staff_id: int) -> Sequence[Action]:
        query = (
            select(Action)
            .where(Action.audit_lead_id == staff_id, Action.status == "reaudit_scheduled")
            .order_by(Action.reaudit_date)
        )
        return self.session.scalars(query).all()

    def page_for_committee(
        self, committee: str, statuses: Sequence[str], offset: int, limit: int
    ) -> tuple[Sequence[Action], int]:
        where = (Action.committee == committee, Action.status.in_(statuses))
        total = self.session.scalar(select(func.count()).select_from(Action).where(*where)) or 0
        query = (
            select(Action)
            .where(*where)
            .order_by(Action.due_date, Action.id)
            .offset(offset)
            .limit(limit)
        )
        return self.session.scalars(query).all(), total

    def pending_extension(self, action_id: int) -> ActionExtension | None:
        query = select(ActionExtension).where(
            ActionExtension.action_id == action_id, ActionExtension.status == "pending"
        )
        return self.session.scalar(query)

    def pending_extension_ids(self, action_ids: Sequence[int]) -> set[int]:
        if not action_ids:
            return set()
        query = select(ActionExtension.action_id).where(
            ActionExtension.action_id.in_(action_ids), ActionExtension.status == "pending"
        )
        return set(self.session.scalars(query))

    def extension(self, extension_id: int) -> ActionExtension | None:
        return self.session.get(ActionExtension, extension_id)

    # ---------------------------------------------------------------- reminders
    @staticmethod
    def _not_reminded(rule: str, occasion: ColumnElement[str]) -> ColumnElement[bool]:
        return not_reminded(rule, Action.ref, occasion)  # type: ignore[no-any-return]

    @staticmethod
    def versioned(prefix: str) -> ColumnElement[str]:
        """The occasion "<prefix>#v<due_version>": a new due date is a new occasion."""
        return literal(f"{prefix}#v", String) + cast(Action.due_version, String)

    def _due_by_date(
        self,
        rule: str,
        occasion: ColumnElement[str],
        statuses: Sequence[str],
        column: ColumnElement[date]
        | InstrumentedAttribute[date]
        | InstrumentedAttribute[date | None],
        first: date | None,
        last: date,
        changed_since: datetime | None,
    ) -> list[Action]:
        """Actions in `statuses` whose `column` lies in [first, last], not yet reminded.

        With `changed_since`, a second statement also finds actions that entered one of the
        statuses since then with `column` anywhere up to `last` (e.g. sent back after
        verification long after their due date), which the date window alone would miss.
        """
        base = [Action.status.in_(statuses), column <= last, self._not_reminded(rule, occasion)]
        window = [*base] if first is None else [*base, column >= first]
        found = list(
            self.session.scalars(select(Action).where(*window).order_by(column, Action.id))
        )
        if changed_since is not None:
            seen = {a.id for a in found}
            moved = self.session.scalars(
                select(Action)
                .where(*base, Action.status_changed_at >= changed_since)
                .order_by(column, Action.id)
            )
            found += [a for a in moved if a.id not in seen]
        return found

    def due_between(
        self,
        rule: str,
        prefix: str,
        statuses: Sequence[str],
        first: date | None,
        last: date,
        changed_since: datetime | None = None,
    ) -> list[Action]:
        """Working actions due in [first, last] not yet reminded for this due date."""
        return self._due_by_date(
            rule, self.versioned(prefix), statuses, Action.due_date, first, last, changed_since
        )

    def reaudit_between(
        self,
        rule: str,
        occasion: str,
        first: date | None,
        last: date,
        changed_since: datetime | None = None,
    ) -> list[Action]:
        return self._due_by_date(
            rule,
            literal(occasion, String),
            ["reaudit_scheduled"],
            Action.reaudit_date,
            first,
            last,
            changed_since,
        )

    def assigned_before(
        self,
        rule: str,
        prefix: str,
        *,
        before: datetime,
        after: datetime | None,
    ) -> Sequence[Action]:
        """Actions still waiting for their owner to accept, assigned in [after, before], not
        yet reminded."""
        where = [
            Action.status == "assigned",
            Action.status_changed_at <= before,
            self._not_reminded(rule, self.versioned(prefix)),
        ]
        if after is not None:
            where.append(Action.status_changed_at >= after)
        query = select(Action).where(*where).order_by(Action.status_changed_at, Action.id)
        return self.session.scalars(query).all()

    def completed_before(
        self, rule: str, occasion: str, before: datetime, after: datetime | None = None
    ) -> Sequence[Action]:
        where = [
            Action.status == "completion_submitted",
            Action.completed_at <= before,
            self._not_reminded(rule, literal(occasion, String)),
        ]
        if after is not None:
            where.append(Action.completed_at >= after)
        query = select(Action).where(*where).order_by(Action.completed_at, Action.id)
        return self.session.scalars(query).all()
