"""Allocation of human references (IDEA-2026-0042) without gaps from races or retries."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from store.models import RefCounter
from store.repos.dialect import insert_for


class RefRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def next_ref(self, prefix: str, year: int) -> str:
        """Increment the counter inside the caller's transaction (row-locked on PostgreSQL)."""
        self.session.execute(
            insert_for(self.session, RefCounter)
            .values(prefix=prefix, year=year, last=0)
            .on_conflict_do_nothing(index_elements=["prefix", "year"])
        )
        number = self.session.scalar(
            update(RefCounter)
            .where(RefCounter.prefix == prefix, RefCounter.year == year)
            .values(last=RefCounter.last + 1)
            .returning(RefCounter.last)
        )
        assert number is not None
        return f"{prefix}-{year}-{number:04d}"

    def peek(self, prefix: str, year: int) -> int:
        query = select(RefCounter.last).where(RefCounter.prefix == prefix, RefCounter.year == year)
        return self.session.scalar(query) or 0
