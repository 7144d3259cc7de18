"""Full-text search over the learning library: FTS5 on SQLite, a GIN tsvector on PostgreSQL.

The index is built by migrations 0002 and 0031 (neither form is in the models; on PostgreSQL
the words are a narrow side table, `lesson_fts` (lesson_id, vector), kept by triggers).
Callers pass words that are already plain tokens; each is still quoted here, so nothing a
person types can be read as query syntax (FTS5's AND / OR / NOT / NEAR / * / column
filters; websearch's "or" and "-"). Both backends therefore mean the same thing: every word
must match, in any order, stemmed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    and_,
    column,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    true,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnClause

from store.models import Action, Lesson, LessonOrgUnit
from store.repos.digest import unindexed
from store.repos.lessons import UNIT_KINDS, LessonScope

_FTS = table("lesson_fts", column("rowid"))
_FTS_TABLE: ColumnClause[Any] = literal_column("lesson_fts")
_ENGLISH: ColumnClause[Any] = literal_column("'english'")
_WORDS = table("lesson_fts", column("lesson_id"), column("vector"))
"""PostgreSQL's to_tsvector('english', search_text) for each lesson, GIN-indexed and kept in
step with the text by triggers (migration 0031): matching, ranking and counting read this
narrow table instead of parsing the text again or reading the wide lesson rows."""


@dataclass(frozen=True)
class LessonFilter:
    """Structured filters, by config code. `departments` widens a site to its departments."""

    source: str | None = None
    committee: str | None = None
    srg: str | None = None
    site: str | None = None
    departments: tuple[str, ...] = ()


class Hit(NamedTuple):
    id: int
    ref: str
    title: str
    committee: str
    status: str
    created_at: datetime


class Change(NamedTuple):
    lesson_id: int
    change: str | None
    evidence: str | None
    description: str


def fts5_query(words: Sequence[str]) -> str:
    """Each word as an FTS5 string (double quotes doubled): an implicit AND of plain terms."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def websearch_query(words: Sequence[str]) -> str:
    """Each word quoted for websearch_to_tsquery, so "or" and a leading "-" stay plain words."""
    return " ".join('"' + word.replace('"', " ") + '"' for word in words)


class SearchRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    @property
    def _postgres(self) -> bool:
        return self.session.get_bind().dialect.name == "postgresql"

    def _filters(self, f: LessonFilter, statuses: Collection[str]) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = [Lesson.status.in_(sorted(statuses))]
        if f.source is not None:
            where.append(Lesson.source == f.source)
        if f.committee is not None:
            where.append(Lesson.committee == f.committee)
        if f.srg is not None:
            where.append(Lesson.srg == f.srg)
        units: list[ColumnElement[bool]] = []
        if f.site is not None:
            units.append(and_(LessonOrgUnit.kind == UNIT_KINDS[0], LessonOrgUnit.code == f.site))
        if f.departments:
            units.append(
                and_(
                    LessonOrgUnit.kind == UNIT_KINDS[1],
                    LessonOrgUnit.code.in_(sorted(f.departments)),
                )
            )
        if units:
            where.append(exists().where(LessonOrgUnit.lesson_id == Lesson.id, or_(*units)))
        return where

    def search(
        self,
        words: Sequence[str],
        f: LessonFilter,
        statuses: Collection[str],
        offset: int,
        limit: int,
        scope: LessonScope,
    ) -> tuple[list[Hit], int]:
        """A page of the lessons `scope` may read matching every word and filter, best match
        first, and the total.

        With no words, the newest lessons matching the filters come first.
        """
        columns = (
            Lesson.id,
            Lesson.ref,
            Lesson.title,
            Lesson.committee,
            Lesson.status,
            Lesson.created_at,
        )
        where = [*self._filters(f, statuses), scope.where()]
        if words and self._postgres:
            return self._ranked(words, where, offset, limit)
        order: list[Any]
        if not words:
            base = select(*columns).where(*where)
            order = [Lesson.created_at.desc(), Lesson.id.desc()]
        else:
            base = (
                select(*columns)
                .select_from(_FTS)
                .join(Lesson, Lesson.id == _FTS.c.rowid)
                .where(_FTS_TABLE.op("MATCH")(fts5_query(words)), *where)
            )
            order = [func.bm25(_FTS_TABLE), Lesson.id]
        if self._postgres:
            self._plan_for_these_values()
        total = self.session.scalar(select(func.count()).select_from(base.subquery())) or 0
        page = base.order_by(*order).offset(offset).limit(limit)
        return [Hit(*row) for row in self.session.execute(page)], total

    def _ranked(
        self,
        words: Sequence[str],
        where: Sequence[ColumnElement[bool]],
        offset: int,
        limit: int,
    ) -> tuple[list[Hit], int]:
        """PostgreSQL: one statement. The matches in scope, each with its rank, are found once
        (a MATERIALIZED CTE over the narrow `lesson_fts`, joined to the scope and filters,
        which ix_lesson_library covers); the total counts them and the page is their best,
        joined back to the lesson. A count and a page as two statements read every match
        twice (bench/README.md: 100 ms for a word in most lessons, against about 200)."""
        query = func.websearch_to_tsquery(_ENGLISH, websearch_query(words))
        rank = func.ts_rank(_WORDS.c.vector, query)
        matches = (
            select(_WORDS.c.lesson_id.label("id"), rank.label("rank"))
            .join(Lesson, Lesson.id == _WORDS.c.lesson_id)
            .where(_WORDS.c.vector.op("@@")(query), *where)
            .cte("matches")
            .prefix_with("MATERIALIZED")
        )
        best = (
            select(matches.c.id, matches.c.rank)
            .order_by(matches.c.rank.desc(), matches.c.id)
            .offset(offset)
            .limit(limit)
            .subquery("best")
        )
        page = (
            select(*(Lesson.__table__.c[name] for name in Hit._fields), best.c.rank)
            .join_from(best, Lesson, Lesson.id == best.c.id)
            .subquery("page")
        )
        counted = select(func.count().label("total")).select_from(matches).subquery("counted")
        statement = (
            select(counted.c.total, *(page.c[name] for name in Hit._fields))
            .select_from(counted.outerjoin(page, true()))
            .order_by(page.c.rank.desc(), page.c.id)
        )
        self._plan_for_these_values()
        rows = self.session.execute(statement).all()
        total = rows[0][0] if rows else 0
        return [Hit._make(row[1:]) for row in rows if row[1] is not None], total

    def _plan_for_these_values(self) -> None:
        """Plan each search for its own words: a word in every lesson and a word in ten want
        different plans, and the generic plan PostgreSQL adopts for a statement prepared and
        run over and over (psycopg prepares it on its fifth run) knows neither; it was four
        times slower for "handover unit:ward-4" (bench/README.md). This transaction only."""
        self.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def forget_deleted_text(self) -> None:
        """Merge SQLite's full-text index so replaced text is gone from it, not just marked
        deleted (FTS5 keeps a deleted row's words in older segments until a merge). Costs a
        pass over the index: for a redaction, not for every edit. On PostgreSQL the
        lesson_fts row is rewritten by the trigger in the statement that changes the text; the
        old row version (and its GIN entries) go at the table's next (auto)vacuum."""
        if not self._postgres:
            self.session.execute(text("INSERT INTO lesson_fts(lesson_fts) VALUES ('optimize')"))

    def changes(self, lesson_ids: Sequence[int], done: Collection[str]) -> dict[int, Change]:
        """The latest verified change for each lesson: the library's "what changed" line."""
        query = (
            select(Action.lesson_id, Action.change, Action.evidence, Action.description)
            .where(
                Action.lesson_id.in_(list(lesson_ids)),
                unindexed(self.session, Action.status).in_(sorted(done)),
            )
            .order_by(Action.verified_at.desc().nulls_last(), Action.id.desc())
        )
        found: dict[int, Change] = {}
        for row in self.session.execute(query):
            found.setdefault(row[0], Change(*row))
        return found
