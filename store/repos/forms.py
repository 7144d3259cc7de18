"""Form sessions and the server secret (see store.models.forms)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.models import FormSession, ServerSecret
from store.repos.dialect import insert_for


@dataclass(frozen=True)
class OpenSession:
    id: str
    staff_id: int | None
    form_id: str
    context: dict[str, str]
    expires_at: datetime
    used_at: datetime | None


class FormSessionRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open(
        self, staff_id: int, form_id: str, context: dict[str, str], now: datetime, until: datetime
    ) -> str:
        """A new session; its id is 256 random bits, unguessable and never reused."""
        session_id = secrets.token_urlsafe(32)
        self.session.add(
            FormSession(
                id=session_id,
                staff_id=staff_id,
                form_id=form_id,
                context=context,
                created_at=now,
                expires_at=until,
            )
        )
        return session_id

    def get(self, session_id: str) -> OpenSession | None:
        row = self.session.get(FormSession, session_id[:43])
        if row is None:
            return None
        return OpenSession(
            row.id,
            row.staff_id,
            row.form_id,
            {str(k): str(v) for k, v in row.context.items()},
            row.expires_at,
            row.used_at,
        )

    def claim(self, session_id: str, now: datetime) -> bool:
        """Mark the session used and forget who opened it and what it was about (a used
        session answers only "already sent", and an anonymous submission must leave no one
        beside its time); False when another submit got there first. A concurrent submit
        waits for this row's lock and then finds it used (PostgreSQL); SQLite's one writer
        serialises them."""
        result = self.session.execute(
            update(FormSession)
            .where(FormSession.id == session_id, FormSession.used_at.is_(None))
            .values(used_at=now, staff_id=None, context={})
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def forget_before(self, when: datetime) -> int:
        """Drop sessions that expired before `when` (retention of what forms carried)."""
        result = self.session.execute(delete(FormSession).where(FormSession.expires_at < when))
        return int(getattr(result, "rowcount", 0) or 0)


class SecretRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_or_make(self, name: str, now: datetime) -> str:
        """The secret called `name`, made (random, 256 bits) by whoever asks first."""
        self.session.execute(
            insert_for(self.session, ServerSecret)
            .values(name=name, value=secrets.token_urlsafe(32), created_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = self.session.scalar(select(ServerSecret.value).where(ServerSecret.name == name))
        assert value is not None
        return value
