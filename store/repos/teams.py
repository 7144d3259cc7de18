"""Teams conversation references: where the bot can speak, kept so any process can send later.

The inbound adapter remembers conversations from installationUpdate / conversationUpdate; the
outbound platform remembers the 1:1 chats it opens and marks conversations blocked (403
MessageWritesBlocked) or gone (404). Every function takes an open Session and never commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import TeamsConversation


def conversation(session: Session, conversation_id: str) -> TeamsConversation | None:
    return session.scalar(
        select(TeamsConversation).where(TeamsConversation.conversation_id == conversation_id)
    )


NAME_LENGTH = 300
"""The name column's size."""


def remember_conversation(
    session: Session,
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
    row = conversation(session, conversation_id)
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
            with session.begin_nested():  # another process may have inserted it just now
                session.add(row)
        except IntegrityError:
            existing = conversation(session, conversation_id)
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
    session.flush()
    return row


def mark_uninstalled(session: Session, conversation_id: str, now: datetime) -> None:
    """Teams says the app left this conversation (installationUpdate remove, or a 404)."""
    row = conversation(session, conversation_id)
    if row is not None:
        row.installed = False
        row.updated_at = now
        session.flush()


def mark_blocked(session: Session, conversation_id: str, now: datetime) -> None:
    """A send met 403 MessageWritesBlocked: the person blocked or removed the bot."""
    row = conversation(session, conversation_id)
    if row is not None:
        row.blocked_at = now
        row.updated_at = now
        session.flush()


def personal_conversation_for(session: Session, staff_id: int) -> TeamsConversation | None:
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
    return session.scalar(query)


def service_url_for_tenant(session: Session, tenant_id: str | None) -> str | None:
    """The Bot Connector URL Teams most recently gave for the tenant (any tenant for None)."""
    query = select(TeamsConversation.service_url)
    if tenant_id is not None:
        query = query.where(TeamsConversation.tenant_id == tenant_id)
    query = query.order_by(TeamsConversation.updated_at.desc(), TeamsConversation.id.desc())
    return session.scalar(query.limit(1))
