"""Whole-register queries: streamed in id order for CSV exports, and the records older than a
cutoff for the retention review. Each is bounded or streamed, never a whole table in memory."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from store.models import Action, Idea, IdeaSubmitter, Lesson, Staff

BATCH = 1000


class RegisterRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def lessons(self) -> Iterator[Lesson]:
        query = select(Lesson).order_by(Lesson.id).execution_options(yield_per=BATCH)
        return iter(self.session.scalars(query))

    def actions_with_lesson_and_owner(self) -> Iterator[tuple[Action, str, str]]:
        """(action, its lesson's ref, its owner's display name) in action id order."""
        owner = aliased(Staff)
        query = (
            select(Action, Lesson.ref, owner.display_name)
            .join(Lesson, Lesson.id == Action.lesson_id)
            .join(owner, owner.id == Action.owner_id)
            .order_by(Action.id)
            .execution_options(yield_per=BATCH)
        )
        for row in self.session.execute(query):
            yield cast(tuple[Action, str, str], tuple(row))

    def ideas(self) -> Iterator[Idea]:
        query = select(Idea).order_by(Idea.id).execution_options(yield_per=BATCH)
        return iter(self.session.scalars(query))

    def submitter_names(self, idea_ids: Sequence[int]) -> dict[int, list[str]]:
        """Submitters' names per idea, alphabetical (the caller decides who may be credited)."""
        if not idea_ids:
            return {}
        found: dict[int, list[str]] = {}
        rows = self.session.execute(
            select(IdeaSubmitter.idea_id, Staff.display_name)
            .join(Staff, Staff.id == IdeaSubmitter.staff_id)
            .where(IdeaSubmitter.idea_id.in_(idea_ids))
            .order_by(IdeaSubmitter.idea_id, Staff.display_name)
        )
        for idea_id, name in rows:
            found.setdefault(idea_id, []).append(name)
        return found

    def staff_names(self, staff_ids: Iterable[int]) -> dict[int, str]:
        """Display names by staff id (a Big Idea's sponsor, named in the register)."""
        wanted = list(dict.fromkeys(staff_ids))
        if not wanted:
            return {}
        rows = self.session.execute(
            select(Staff.id, Staff.display_name).where(Staff.id.in_(wanted))
        )
        return {int(row[0]): str(row[1]) for row in rows}

    def created_before(
        self, model: type[Lesson] | type[Idea], cutoff: datetime, listed: int
    ) -> tuple[int, list[str]]:
        """How many records of `model` were created before `cutoff`, and the first `listed`
        refs."""
        old = model.created_at < cutoff
        count = int(self.session.scalar(select(func.count()).select_from(model).where(old)) or 0)
        refs = list(
            self.session.scalars(select(model.ref).where(old).order_by(model.id).limit(listed))
        )
        return count, refs
