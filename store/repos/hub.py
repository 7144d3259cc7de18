"""Sign-in links, sessions and pending Entra ID sign-ins for the Improvement Hub on the web.

Each credential is looked up by the SHA-256 of what the browser holds; spending a link is one
conditional UPDATE, so two presses at the same moment sign in once. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from store.models import HubSession, HubSignInFlow, HubSignInLink


class HubRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ one-time links
    def add_link(
        self, token_hash: str, staff_id: int, now: datetime, expires_at: datetime
    ) -> HubSignInLink:
        row = HubSignInLink(
            token_hash=token_hash, staff_id=staff_id, created_at=now, expires_at=expires_at
        )
        self.session.add(row)
        self.session.flush()
        return row

    def link(self, token_hash: str) -> HubSignInLink | None:
        return self.session.scalar(
            select(HubSignInLink).where(HubSignInLink.token_hash == token_hash)
        )

    def links_issued_since(self, staff_id: int, since: datetime) -> int:
        query = select(func.count(HubSignInLink.id)).where(
            HubSignInLink.staff_id == staff_id, HubSignInLink.created_at > since
        )
        return int(self.session.scalar(query) or 0)

    def spend_link(self, link_id: int, now: datetime) -> bool:
        """Mark the link used; False when another request spent it first."""
        spent = self.session.execute(
            update(HubSignInLink)
            .where(HubSignInLink.id == link_id, HubSignInLink.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(spent, "rowcount", 0) == 1)

    def forget_links_before(self, cutoff: datetime) -> int:
        """Delete links that expired before `cutoff` (used or not): they can do nothing more."""
        gone = self.session.execute(
            delete(HubSignInLink)
            .where(HubSignInLink.expires_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(gone, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ sessions
    def add_session(
        self, token_hash: str, staff_id: int, method: str, now: datetime, expires_at: datetime
    ) -> HubSession:
        row = HubSession(
            token_hash=token_hash,
            staff_id=staff_id,
            method=method,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def session_by_hash(self, token_hash: str) -> HubSession | None:
        return self.session.scalar(select(HubSession).where(HubSession.token_hash == token_hash))

    def touch_session(self, session_id: int, now: datetime) -> None:
        self.session.execute(
            update(HubSession)
            .where(HubSession.id == session_id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )

    def end_session(self, session_id: int) -> None:
        self.session.execute(
            delete(HubSession)
            .where(HubSession.id == session_id)
            .execution_options(synchronize_session=False)
        )

    def end_sessions_of(self, staff_id: int) -> int:
        gone = self.session.execute(
            delete(HubSession)
            .where(HubSession.staff_id == staff_id)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(gone, "rowcount", 0) or 0)

    def sessions_of(self, staff_id: int) -> int:
        query = select(func.count(HubSession.id)).where(HubSession.staff_id == staff_id)
        return int(self.session.scalar(query) or 0)

    def forget_sessions_before(self, idle_cutoff: datetime, now: datetime) -> int:
        """Delete sessions idle since before `idle_cutoff` or past their absolute end."""
        gone = self.session.execute(
            delete(HubSession)
            .where((HubSession.last_seen_at < idle_cutoff) | (HubSession.expires_at <= now))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(gone, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ Entra ID flows
    def add_flow(self, binding_hash: str, flow: str, next_path: str, now: datetime) -> None:
        self.session.add(
            HubSignInFlow(binding_hash=binding_hash, flow=flow, next_path=next_path, created_at=now)
        )
        self.session.flush()

    def take_flow(self, binding_hash: str) -> HubSignInFlow | None:
        """The flow this browser started, removed so that it is used once at most."""
        row = self.session.scalar(
            select(HubSignInFlow).where(HubSignInFlow.binding_hash == binding_hash)
        )
        if row is None:
            return None
        gone = self.session.execute(
            delete(HubSignInFlow)
            .where(HubSignInFlow.id == row.id)
            .execution_options(synchronize_session=False)
        )
        return row if getattr(gone, "rowcount", 0) == 1 else None

    def forget_flows_before(self, cutoff: datetime) -> int:
        gone = self.session.execute(
            delete(HubSignInFlow)
            .where(HubSignInFlow.created_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(gone, "rowcount", 0) or 0)
