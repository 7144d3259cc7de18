"""Recognising replayed and retried inbound requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from store.models import InboundRequest
from store.repos.dialect import insert_for


class InboundRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def first_time(self, key: str, now: datetime) -> bool:
        """Record `key`; False when it was recorded before (this request is a replay)."""
        result = self.session.execute(
            insert_for(self.session, InboundRequest)
            .values(key=key[:200], received_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(InboundRequest.key)
        )
        return result.first() is not None

    def forget_before(self, when: datetime) -> int:
        """Drop keys older than any platform retries (Slack retries for under an hour)."""
        result = self.session.execute(
            delete(InboundRequest).where(InboundRequest.received_at < when)
        )
        return int(getattr(result, "rowcount", 0) or 0)
