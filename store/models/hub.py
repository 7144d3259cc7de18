"""Signing in to the Improvement Hub on the web: one-time links, sessions and pending Entra ID
sign-ins. Every credential is stored as its SHA-256 only, so a database dump signs no one in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class HubSignInLink(Base):
    """A one-time sign-in link issued in chat (`/qi web`): five minutes, spent by one POST."""

    __tablename__ = "hub_sign_in_link"
    __table_args__ = (Index("ix_hub_sign_in_link_staff_created", "staff_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"HubSignInLink({self.id}, staff={self.staff_id})"


class HubSession(Base):
    """A signed-in browser. The cookie holds the random id; only its hash is here, so signing
    out (deleting the row) ends it everywhere at once."""

    __tablename__ = "hub_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    method: Mapped[str] = mapped_column(String(8))
    """How the person signed in: "link" or "entra"."""
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    """The absolute end, however active the session is."""

    def __repr__(self) -> str:
        return f"HubSession({self.id}, staff={self.staff_id})"


class HubSignInFlow(Base):
    """An Entra ID sign-in under way: msal's auth-code flow (state, nonce, PKCE verifier),
    bound to the browser that started it by a cookie whose hash is `binding_hash`."""

    __tablename__ = "hub_sign_in_flow"

    id: Mapped[int] = mapped_column(primary_key=True)
    binding_hash: Mapped[str] = mapped_column(String(64), unique=True)
    flow: Mapped[str] = mapped_column(Text)
    next_path: Mapped[str] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"HubSignInFlow({self.id})"
