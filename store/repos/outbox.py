"""Outbox queries: enqueue once per dedupe key, claim due rows with a lease, record the outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from store.models import OutboxMessage
from store.repos.dialect import insert_for

CHUNK = 200
"""Rows per multi-row INSERT (each row binds about ten parameters)."""


class OutboxRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        *,
        dedupe_key: str,
        payload: dict[str, Any],
        now: datetime,
        recipient_id: int | None = None,
        channel: str | None = None,
        not_before: datetime | None = None,
        urgent: bool = False,
    ) -> bool:
        """Queue a message unless one with the same dedupe key exists. True if queued now."""
        row = {
            "dedupe_key": dedupe_key,
            "payload": payload,
            "recipient_id": recipient_id,
            "channel": channel,
            "not_before": not_before,
            "urgent": urgent,
        }
        return self.enqueue_many([row], now) == 1

    def enqueue_many(self, rows: Sequence[dict[str, Any]], now: datetime) -> int:
        """Queue many messages in one statement per chunk, skipping known dedupe keys.

        Each row holds dedupe_key, payload and recipient_id or channel (urgent and
        not_before optional). Returns how many were queued now.
        """
        queued = 0
        values = [
            {
                "dedupe_key": row["dedupe_key"][:200],
                "recipient_id": row.get("recipient_id"),
                "channel": row.get("channel"),
                "payload": row["payload"],
                "urgent": row.get("urgent", False),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": row.get("not_before") or now,
                "created_at": now,
            }
            for row in rows
        ]
        for start in range(0, len(values), CHUNK):
            result = self.session.execute(
                insert_for(self.session, OutboxMessage)
                .values(values[start : start + CHUNK])
                .on_conflict_do_nothing(index_elements=["dedupe_key"])
                .returning(OutboxMessage.id)
            )
            queued += len(result.all())
        return queued

    def claim_due(
        self, now: datetime, worker: str, limit: int, lease: timedelta
    ) -> Sequence[OutboxMessage]:
        """Claim up to `limit` due rows for `worker`; expired claims of a dead worker are reclaimed.

        PostgreSQL skips rows other dispatchers hold (FOR UPDATE SKIP LOCKED); SQLite serialises
        writers with BEGIN IMMEDIATE, so a plain SELECT inside the transaction is just as safe.
        """
        due = or_(
            (OutboxMessage.status == "pending") & (OutboxMessage.next_attempt_at <= now),
            (OutboxMessage.status == "sending") & (OutboxMessage.claimed_until < now),
        )
        query = (
            select(OutboxMessage)
            .where(due)
            .order_by(OutboxMessage.urgent.desc(), OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if self.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = self.session.scalars(query).all()
        for row in rows:
            # Counted at claim time, so a message that crashes its worker mid-send still
            # reaches max_attempts and is dead-lettered instead of looping for ever.
            row.attempts += 1
            row.status = "sending"
            row.claimed_by = worker
            row.claimed_until = now + lease
        self.session.flush()
        return rows

    def by_ids(self, ids: Sequence[int]) -> Sequence[OutboxMessage]:
        if not ids:
            return []
        return self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()

    def get(self, message_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, message_id)

    def count_by_status(self) -> dict[str, int]:
        query = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return dict(self.session.execute(query).all())  # a Result has .keys(): list it first

    def dead_letters(self, limit: int = 50) -> Sequence[OutboxMessage]:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.status == "dead")
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()
