"""Outbox queries: enqueue once per dedupe key, claim due rows with a lease, record the outcome."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    Row,
    Select,
    String,
    Table,
    Text,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from store.models import OutboxMessage
from store.repos.dialect import insert_for


def cast_table(table: Any) -> Table:
    """The mapped class's Table, typed as one (SQLAlchemy types __table__ as a FromClause)."""
    assert isinstance(table, Table)
    return table


class ClaimedRow(Protocol):
    """What the sender reads of a claimed row (claim_due returns every column)."""

    @property
    def id(self) -> int: ...
    @property
    def attempts(self) -> int: ...
    @property
    def last_error(self) -> str | None: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def recipient_id(self) -> int | None: ...
    @property
    def channel(self) -> str | None: ...
    @property
    def claim_token(self) -> str | None: ...


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
                "card": row.get("card"),
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

    def enqueue_from_select(
        self,
        recipients: Select[tuple[int]],
        *,
        key: str,
        payload: dict[str, Any],
        now: datetime,
        urgent: bool = False,
        not_before: datetime | None = None,
    ) -> int:
        """Queue one message per staff id that `recipients` selects, in a single
        INSERT ... SELECT, so a broadcast to 100,000 people never holds them in memory.

        `recipients` is a one-column SELECT of staff ids, e.g.
        `select(Staff.id).where(Staff.active, Staff.site == "Wirral")`. Each row's dedupe key
        is `f"{key}>p{staff_id}"`, the same as Enqueuer.rows() builds, so running it again (a
        retry after a crash, or a correction queued under the same key) skips everyone
        already queued. Returns how many were queued now.
        """
        table = OutboxMessage.__table__
        prefix = f"{key}>p"[:188]  # the key column holds 200; ids are at most 12 digits
        ids = recipients.subquery("recipients")
        staff_id = next(iter(ids.c))
        rows = select(
            (literal(prefix, String) + cast(staff_id, String)).label("dedupe_key"),
            staff_id.label("recipient_id"),
            literal(payload, table.c.payload.type).label("payload"),
            literal(urgent).label("urgent"),
            literal(True).label("bulk"),
            literal("pending", String).label("status"),
            literal(0).label("attempts"),
            literal(not_before or now, table.c.next_attempt_at.type).label("next_attempt_at"),
            literal(now, table.c.created_at.type).label("created_at"),
        ).where(true())  # SQLite needs a WHERE before ON CONFLICT in an INSERT ... SELECT
        columns = [
            "dedupe_key",
            "recipient_id",
            "payload",
            "urgent",
            "bulk",
            "status",
            "attempts",
            "next_attempt_at",
            "created_at",
        ]
        result = self.session.execute(
            insert_for(self.session, OutboxMessage)
            .from_select(columns, rows)
            .on_conflict_do_nothing(index_elements=["dedupe_key"]),
            execution_options={"preserve_rowcount": True},
        )
        return max(int(getattr(result, "rowcount", 0) or 0), 0)

    def claim_due(
        self, now: datetime, worker: str, limit: int, lease: timedelta, *, bulk: bool = True
    ) -> list[Row[Any]]:
        """Claim up to `limit` due rows for `worker`; expired claims of a dead worker are reclaimed.
        Returns the claimed rows (every column, as plain rows rather than ORM objects), most
        urgent and longest due first. With `bulk` False, rows queued by a fan-out are left.
        Every row of one claim carries the same new claim_token: only this claim may record
        their outcomes (see `still_claimed` and `record`).

        One statement: UPDATE ... WHERE id IN (the due ids) RETURNING. PostgreSQL skips rows
        other senders hold (FOR UPDATE SKIP LOCKED in the subquery); SQLite serialises
        writers with BEGIN IMMEDIATE, so the plain subquery is just as safe there. Loading
        the rows through the ORM and flushing each change back cost a broadcast sender
        tens of milliseconds of its sending threads' time per claim.
        """
        table = cast_table(OutboxMessage.__table__)
        c = table.c
        due = or_(
            (c.status == "pending") & (c.next_attempt_at <= now),
            (c.status == "sending") & (c.claimed_until < now),
        )
        order = (c.urgent.desc(), c.next_attempt_at, c.id)
        ids = select(c.id).where(due).order_by(*order).limit(limit)
        if not bulk:  # leave fan-outs to the clock (ix_outbox_bulk_due serves this)
            ids = ids.where(c.bulk.is_(False))
        if self.session.get_bind().dialect.name == "postgresql":
            ids = ids.with_for_update(skip_locked=True)
        claim = (
            update(table)
            .where(c.id.in_(ids.scalar_subquery()))
            .values(
                # Counted at claim time, so a message that crashes its worker mid-send still
                # reaches max_attempts and is dead-lettered instead of looping for ever.
                attempts=c.attempts + 1,
                status="sending",
                claimed_by=worker,
                claimed_until=now + lease,
                claim_token=uuid.uuid4().hex,
            )
            .returning(*c)
        )
        rows = list(self.session.connection().execute(claim))
        rows.sort(key=lambda r: (not r.urgent, r.next_attempt_at, r.id))
        return rows

    def withdraw_pending(self, prefixes: Sequence[str], reason: str) -> int:
        """Withdraw every message not yet claimed whose dedupe key starts with one of
        `prefixes`: status "withdrawn", never sent. (A superseded alert's messages must not
        arrive after its correction.) Only pending rows are looked at, through the due index.
        Returns how many were withdrawn."""
        if not prefixes:
            return 0
        table = cast_table(OutboxMessage.__table__)
        c = table.c
        result = self.session.connection().execute(
            update(table)
            .where(
                c.status == "pending",
                or_(*(c.dedupe_key.startswith(p, autoescape=True) for p in prefixes)),
            )
            .values(status="withdrawn", last_error=reason[:500])
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def cards_showing(self, card: str, limit: int) -> Sequence[OutboxMessage]:
        """The newest `limit` messages queued as cards of `card` ("action:ACT-2026-0003") that
        were or may yet be delivered (updates carry no card, so are not among them)."""
        query = (
            select(OutboxMessage)
            .where(
                OutboxMessage.card == card,
                OutboxMessage.status.in_(("pending", "sending", "sent")),
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def rewrite_pending(self, message_id: int, payload: dict[str, Any]) -> bool:
        """Replace the payload of a message nobody has claimed yet. False when a sender claimed
        it meanwhile (it then needs an update once delivered)."""
        table = cast_table(OutboxMessage.__table__)
        result = self.session.connection().execute(
            update(table)
            .where(table.c.id == message_id, table.c.status == "pending")
            .values(payload=payload)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def delivered(self, ids: Sequence[int]) -> dict[int, tuple[str, str | None, Any]]:
        """Status, platform and platform_ref of each of `ids` (what an update needs to find
        the message it replaces)."""
        if not ids:
            return {}
        query = select(
            OutboxMessage.id,
            OutboxMessage.status,
            OutboxMessage.platform,
            OutboxMessage.platform_ref,
        ).where(OutboxMessage.id.in_(ids))
        return {row[0]: (row[1], row[2], row[3]) for row in self.session.execute(query)}

    def still_claimed(self, claims: Sequence[tuple[int, str]], worker: str) -> set[int]:
        """Which of the (id, claim token) pairs are still claimed by `worker` with that very
        claim (the others were reclaimed after their lease ran out): only those may be
        recorded. On PostgreSQL the rows found are locked until the caller commits, so no
        claim can take them between this check and `record`; on SQLite the unit of work
        already holds the write lock."""
        tokens = dict(claims)
        ids = list(tokens)
        found: set[int] = set()
        for start in range(0, len(ids), 500):
            query = select(OutboxMessage.id, OutboxMessage.claim_token).where(
                OutboxMessage.id.in_(ids[start : start + 500]),
                OutboxMessage.claimed_by == worker,
            )
            if self.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            found.update(i for i, token in self.session.execute(query) if token == tokens[i])
        return found

    def record(self, outcomes: Sequence[dict[str, Any]], worker: str) -> None:
        """Write each outcome (column values by name, "id", and "claim", the claim token it
        was claimed with) to its row while the row is still held by that claim of `worker`;
        outcomes setting the same columns share one executemany."""
        table = cast_table(OutboxMessage.__table__)
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for outcome in outcomes:
            columns = tuple(sorted(k for k in outcome if k not in ("id", "claim")))
            groups.setdefault(columns, []).append(outcome)
        connection = self.session.connection()
        for columns, rows in groups.items():
            statement = (
                update(table)
                .where(
                    table.c.id == bindparam("row_id"),
                    table.c.claimed_by == worker,
                    table.c.claim_token == bindparam("row_claim"),
                )
                .values({c: bindparam(f"new_{c}", type_=table.c[c].type) for c in columns})
            )
            connection.execute(
                statement,
                [
                    {"row_id": r["id"], "row_claim": r["claim"]}
                    | {f"new_{c}": r[c] for c in columns}
                    for r in rows
                ],
            )

    def next_due(self, now: datetime) -> datetime | None:
        """When the next row comes due (a pending row's next attempt, or the end of a claim
        that may have died), so an idle sender sleeps exactly until there is work."""
        pending = select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == "pending"
        )
        leased = select(func.min(OutboxMessage.claimed_until)).where(
            OutboxMessage.status == "sending"
        )
        found = [t for t in (self.session.scalar(pending), self.session.scalar(leased)) if t]
        return min(found) if found else None

    def by_ids(self, ids: Sequence[int]) -> Sequence[OutboxMessage]:
        if not ids:
            return []
        return self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()

    def mentioning(self, text: str) -> Sequence[OutboxMessage]:
        """Messages whose payload contains `text` (an ASCII reference such as LL-2026-0001,
        so the JSON encoding cannot hide it): what a redaction must rewrite."""
        query = (
            select(OutboxMessage)
            .where(cast(OutboxMessage.payload, Text).contains(text, autoescape=True))
            .order_by(OutboxMessage.id)
        )
        return self.session.scalars(query).all()

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
