"""What Teams has told us about where the bot can speak, and where directory sync left off.

Teams cannot be messaged by address alone: the bot needs the conversation id and the regional
`serviceUrl` Teams gave it when it was installed (installationUpdate / conversationUpdate) or
that it got back when it opened a 1:1 chat. Those references are kept here so reminders and
alerts can be sent at any time from any process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class TeamsConversation(Base):
    """One conversation the bot is (or was) a member of: a person's 1:1 chat, a channel, a group."""

    __tablename__ = "teams_conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    """personal, channel or groupChat (Teams' conversationType)."""
    service_url: Mapped[str] = mapped_column(String(300))
    tenant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    """The person of a personal chat."""
    user_id: Mapped[str | None] = mapped_column(String(200))
    """The person's Teams user id (29:…) in a personal chat."""
    team_id: Mapped[str | None] = mapped_column(String(300))
    name: Mapped[str | None] = mapped_column(String(300))
    installed: Mapped[bool] = mapped_column(default=True)
    """False once Teams says the app was removed from this conversation."""
    blocked_at: Mapped[datetime | None]
    """When a send met 403 MessageWritesBlocked: the person blocked or removed the bot."""
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class DirectorySync(Base):
    """Where the last directory sync stopped (Graph's delta link): the next asks for changes."""

    __tablename__ = "directory_sync"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    delta_link: Mapped[str | None] = mapped_column(Text)
    last_synced_at: Mapped[datetime | None]
    users_seen: Mapped[int] = mapped_column(default=0)
