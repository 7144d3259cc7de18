"""Idea queries: by reference or receipt, by submitter, the panel's queue, the ideas board,
supports, reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from store.models import Idea, IdeaSubmitter, IdeaSupport
from store.repos.dialect import not_reminded


@dataclass(frozen=True)
class IdeaScope:
    """Which ideas a viewer may see, as decided by handlers.ideas.visibility.idea_scope: every
    idea not in `private_statuses`, those in it that `submitter_id` submitted, or all of them
    when `everything`. Only the decision's result lives here, so queries can apply it."""

    everything: bool = False
    private_statuses: frozenset[str] = frozenset()
    unscreened_statuses: frozenset[str] = frozenset()
    """Private too until screened (never promoted), except to the idea's named sponsor."""
    submitter_id: int | None = None

    def where(self) -> ColumnElement[bool]:
        """The scope as a WHERE clause on Idea (the same rule as visibility.may_see)."""
        if self.everything or not (self.private_statuses or self.unscreened_statuses):
            return true()
        unscreened = and_(
            Idea.status.in_(sorted(self.unscreened_statuses)), Idea.promoted_at.is_(None)
        )
        allowed: list[ColumnElement[bool]] = [
            and_(Idea.status.not_in(sorted(self.private_statuses)), not_(unscreened))
        ]
        if self.submitter_id is not None:
            allowed.append(
                exists().where(
                    IdeaSubmitter.idea_id == Idea.id, IdeaSubmitter.staff_id == self.submitter_id
                )
            )
            allowed.append(and_(unscreened, Idea.sponsor_id == self.submitter_id))
        return or_(false(), *allowed)


class IdeaRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, idea: Idea) -> None:
        self.session.add(idea)
        self.session.flush()

    def by_ref(self, ref: str) -> Idea | None:
        return self.session.scalar(select(Idea).where(Idea.ref == ref.strip().upper()))

    def by_receipt_hash(self, receipt_hash: str) -> Idea | None:
        return self.session.scalar(select(Idea).where(Idea.receipt_hash == receipt_hash))

    def submitted_by(self, staff_id: int) -> Sequence[Idea]:
        query = (
            select(Idea)
            .join(IdeaSubmitter)
            .where(IdeaSubmitter.staff_id == staff_id)
            .order_by(Idea.created_at.desc(), Idea.id.desc())
        )
        return self.session.scalars(query).all()

    def asked_to_sponsor(self, staff_id: int) -> Sequence[Idea]:
        """Big Ideas waiting for `staff_id` to accept or decline sponsoring them, oldest first."""
        query = (
            select(Idea)
            .where(
                Idea.sponsor_id == staff_id,
                Idea.status == "awaiting_sponsor",
                Idea.sponsor_state == "asked",
            )
            .order_by(Idea.sponsor_asked_at, Idea.id)
        )
        return self.session.scalars(query).all()

    def page_by_status(
        self, statuses: Sequence[str], offset: int, limit: int
    ) -> tuple[Sequence[Idea], int]:
        """A page of ideas in `statuses`, oldest change first (the panel's queue), and the total."""
        where = Idea.status.in_(statuses)
        total = self.session.scalar(select(func.count()).select_from(Idea).where(where)) or 0
        query = (
            select(Idea)
            .where(where)
            .order_by(Idea.status_changed_at, Idea.id)
            .offset(offset)
            .limit(limit)
        )
        return self.session.scalars(query).all(), total

    def board_page(
        self, scope: IdeaScope, statuses: Sequence[str], offset: int, limit: int
    ) -> tuple[Sequence[Idea], int]:
        """A page of the ideas `scope` may see in `statuses`, newest first, and the total."""
        where = (Idea.status.in_(statuses), scope.where())
        total = self.session.scalar(select(func.count()).select_from(Idea).where(*where)) or 0
        query = (
            select(Idea)
            .where(*where)
            .order_by(Idea.created_at.desc(), Idea.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return self.session.scalars(query).all(), total

    def lock(self, idea: Idea) -> None:
        """Hold `idea`'s row until this unit of work ends (PostgreSQL: SELECT … FOR UPDATE;
        SQLite's unit of work already holds the one write lock), and read it afresh: two
        presses at once then take turns, and the second sees what the first wrote."""
        self.session.refresh(idea, with_for_update=True)

    def has_support(self, idea_id: int, staff_id: int) -> bool:
        query = select(IdeaSupport).where(
            IdeaSupport.idea_id == idea_id, IdeaSupport.staff_id == staff_id
        )
        return self.session.scalar(query) is not None

    def add_support(self, idea: Idea, staff_id: int, now: datetime) -> None:
        self.session.add(IdeaSupport(idea_id=idea.id, staff_id=staff_id, created_at=now))
        idea.support_count = idea.support_count + 1
        self.session.flush()

    def due_for_reminder(
        self,
        rule: str,
        statuses: Sequence[str],
        before: datetime,
        occasion: str,
        *,
        since: str = "status",
        limit: int = 500,
    ) -> Sequence[Idea]:
        """Ideas in `statuses` waiting since before `before`, not yet reminded for `occasion`.

        `since` is "status" (time in the current status) or "created" (time since submission).
        Both columns are indexed with status, so the cost follows the ideas due, not all ideas.
        """
        column = Idea.status_changed_at if since == "status" else Idea.created_at
        query = (
            select(Idea)
            .where(
                Idea.status.in_(statuses), column <= before, not_reminded(rule, Idea.ref, occasion)
            )
            .order_by(column, Idea.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()
