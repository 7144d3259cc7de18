"""Lease queries: take or renew a named lease in one conditional statement, or step down."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models.lease import Lease


class LeaseRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def take_or_renew(self, name: str, me: str, now: datetime, ttl: timedelta) -> bool:
        """Hold `name` until now + ttl if it is ours or has run out (or does not exist yet)."""
        result = self.session.execute(
            update(Lease)
            .where(Lease.name == name)
            .where((Lease.holder == me) | (Lease.expires_at < now))
            .values(holder=me, expires_at=now + ttl)
        )
        if int(getattr(result, "rowcount", 0) or 0):
            return True
        try:
            with self.session.begin_nested():
                self.session.execute(
                    insert(Lease).values(
                        name=name, holder=me, expires_at=now + ttl, acquired_at=now
                    )
                )
        except IntegrityError:
            return False  # someone else holds it
        return True

    def held(self, name: str, now: datetime) -> bool:
        """Whether some process holds `name` now (its lease has not run out)."""
        found = self.session.scalar(select(Lease.expires_at).where(Lease.name == name))
        return found is not None and found >= now

    def step_down(self, name: str, me: str, now: datetime) -> None:
        """End our hold on `name` at once, so another process may take it without waiting."""
        self.session.execute(
            update(Lease)
            .where(Lease.name == name, Lease.holder == me)
            .values(expires_at=now - timedelta(seconds=1))
        )
