"""Teams conversation references: where the bot can speak, kept so any process can send later.

The inbound adapter remembers conversations from installationUpdate / conversationUpdate; the
outbound platform remembers the 1:1 chats it opens and marks conversations blocked (403
MessageWritesBlocked) or gone (404). Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import TeamsConversation

NAME_LENGTH = 300
"""The name column's size."""

CHUNK = 500
"""Ids per IN (...) list when reading a batch's chats."""


class PersonalChat(NamedTuple):
    """What a send needs from a person's stored 1:1 chat."""

    conversation_id: str
    service_url: str
    blocked: bool


class TeamsConversationRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def conversation(self, conversation_id: str) -> TeamsConversation | None:
        return self.session.scalar(
            select(TeamsConversation).where(TeamsConversation.conversation_id == conversation_id)
        )

    def remember(
        self,
        *,
        conversation_id: str,
        kind: str,
        service_url: str,
        tenant_id: str | None,
        staff_id: int | None = None,
        user_id: str | None = None,
        team_id: str | None = None,
        name: str | None = None,
        now: datetime,
    ) -> TeamsConversation:
        """Insert or refresh a conversation reference (keyed by Teams' conversation id).

        Seeing the conversation again (a re-installation, a new 1:1) means the bot is in it:
        installed again and no longer blocked. Known fields are kept when the new event leaves
        them out (a conversationUpdate may not name the team or the person).
        """
        if name is not None:
            name = name[:NAME_LENGTH]  # a display name, shown only: cut rather than refused
        row = self.conversation(conversation_id)
        if row is None:
            row = TeamsConversation(
                conversation_id=conversation_id,
                kind=kind,
                service_url=service_url,
                tenant_id=tenant_id,
                staff_id=staff_id,
                user_id=user_id,
                team_id=team_id,
                name=name,
                installed=True,
                blocked_at=None,
                created_at=now,
                updated_at=now,
            )
            try:
                with self.session.begin_nested():  # another process may have inserted it now
                    self.session.add(row)
            except IntegrityError:
                existing = self.conversation(conversation_id)
                if existing is None:
                    raise
                row = existing
            else:
                return row
        row.kind = kind
        row.service_url = service_url
        row.tenant_id = tenant_id if tenant_id is not None else row.tenant_id
        row.staff_id = staff_id if staff_id is not None else row.staff_id
        row.user_id = user_id if user_id is not None else row.user_id
        row.team_id = team_id if team_id is not None else row.team_id
        row.name = name if name is not None else row.name
        row.installed = True
        row.blocked_at = None
        row.updated_at = now
        self.session.flush()
        return row

    def mark_uninstalled(self, conversation_id: str, now: datetime) -> None:
        """Teams says the app left this conversation (installationUpdate remove, or a 404)."""
        row = self.conversation(conversation_id)
        if row is not None:
            row.installed = False
            row.updated_at = now
            self.session.flush()

    def mark_blocked(self, conversation_id: str, now: datetime) -> None:
        """A send met 403 MessageWritesBlocked: the person blocked or removed the bot."""
        row = self.conversation(conversation_id)
        if row is not None:
            row.blocked_at = now
            row.updated_at = now
            self.session.flush()

    def personal_for(self, staff_id: int) -> TeamsConversation | None:
        """The person's installed 1:1 chat with the bot, most recent first (blocked or not:
        callers check `blocked_at`)."""
        query = (
            select(TeamsConversation)
            .where(
                TeamsConversation.staff_id == staff_id,
                TeamsConversation.kind == "personal",
                TeamsConversation.installed.is_(True),
            )
            .order_by(TeamsConversation.updated_at.desc(), TeamsConversation.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def personal_for_many(self, staff_ids: Sequence[int]) -> dict[int, PersonalChat]:
        """Installed 1:1 chats of many people in a few queries (the most recent one wins);
        people without one are absent. Plain rows, no ORM object per person."""
        found: dict[int, PersonalChat] = {}
        for start in range(0, len(staff_ids), CHUNK):
            query = (
                select(
                    TeamsConversation.staff_id,
                    TeamsConversation.conversation_id,
                    TeamsConversation.service_url,
                    TeamsConversation.blocked_at,
                )
                .where(
                    TeamsConversation.staff_id.in_(staff_ids[start : start + CHUNK]),
                    TeamsConversation.kind == "personal",
                    TeamsConversation.installed.is_(True),
                )
                .order_by(TeamsConversation.updated_at, TeamsConversation.id)
            )
            for row in self.session.execute(query):  # later rows overwrite earlier ones
                assert row.staff_id is not None
                found[row.staff_id] = PersonalChat(
                    row.conversation_id, row.service_url, row.blocked_at is not None
                )
        return found

    def service_url_for_tenant(self, tenant_id: str | None) -> str | None:
        """The Bot Connector URL Teams most recently gave for the tenant (any tenant for
        None)."""
        query = select(TeamsConversation.service_url)
        if tenant_id is not None:
            query = query.where(TeamsConversation.tenant_id == tenant_id)
        query = query.order_by(TeamsConversation.updated_at.desc(), TeamsConversation.id.desc())
        return self.session.scalar(query.limit(1))
