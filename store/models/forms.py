"""Form sessions and the server's own secret: what a form or button carries back is either a
key to state kept here, or signed with a key kept here, never trusted as it comes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base, JSONType


class FormSession(Base):
    """A form opened for one person: its context (the record it acts on, the step) stays on
    the server; the platform only carries the random id. Used once: a second submit is told so
    and acts on nothing. The answer itself is not kept (it can quote what was sent, which a
    redaction must be able to remove, or an anonymous receipt)."""

    __tablename__ = "form_session"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), index=True
    )
    """Who it was opened for; cleared when it is used, so nothing ties a person to what they
    sent (an anonymous submission above all)."""
    form_id: Mapped[str] = mapped_column(String(80))
    context: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]


class ServerSecret(Base):
    """A random key made on first use and shared by every process through the database (so a
    button drawn by the web and pressed on another replica still verifies)."""

    __tablename__ = "server_secret"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
