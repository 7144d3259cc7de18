"""The ledger of every text and email the channel policy sends (alert_attempt): who to try at a
step, each attempt's outbox row, Notify's receipts. No number or address is read here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from store.models import AlertAttempt, AlertRecipient, OutboxMessage, Staff
from store.repos.reach import reachable_by

FINAL = frozenset(
    {"delivered", "permanent-failure", "temporary-failure", "technical-failure", "sent"}
)
"""Notify's last word on a message: never replaced by an earlier status."""
FAILED = frozenset({"permanent-failure", "temporary-failure", "technical-failure", "not-sent"})
"""A text or email that did not arrive ("not-sent": Notify never accepted it)."""


@dataclass(frozen=True)
class Tried:
    """What the ledger export shows of one person's texts and emails (no number, no address)."""

    channels: tuple[str, ...]
    sms_status: str
    email_status: str


class AttemptRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def targets(
        self, alert_id: int, step: int, channel: str, chat: Sequence[str] | None
    ) -> list[int]:
        """Staff of the alert still to acknowledge whom `channel` can reach and this step has
        not yet tried; with `chat`, only those none of those chat channels can message."""
        tried = exists(
            select(AlertAttempt.id).where(
                AlertAttempt.alert_id == alert_id,
                AlertAttempt.staff_id == AlertRecipient.staff_id,
                AlertAttempt.step == step,
            )
        )
        where = [
            AlertRecipient.alert_id == alert_id,
            AlertRecipient.acked_at.is_(None),
            ~tried,
            reachable_by([channel]),
        ]
        if chat is not None:
            where.append(~reachable_by(chat))
        query = (
            select(AlertRecipient.staff_id)
            .join(Staff, Staff.id == AlertRecipient.staff_id)
            .where(*where)
            .order_by(AlertRecipient.staff_id)
        )
        return list(self.session.scalars(query))

    def add(
        self,
        alert_id: int,
        staff_id: int,
        step: int,
        channel: str,
        outbox_id: int | None,
        now: datetime,
    ) -> None:
        self.session.add(
            AlertAttempt(
                alert_id=alert_id,
                staff_id=staff_id,
                step=step,
                channel=channel,
                outbox_id=outbox_id,
                queued_at=now,
            )
        )

    def sync(self, alert_id: int) -> None:
        """Mark attempts Notify never accepted (their outbox row gave up) as "not-sent"."""
        self.session.execute(
            update(AlertAttempt)
            .where(
                AlertAttempt.alert_id == alert_id,
                AlertAttempt.delivery_status.is_(None),
                AlertAttempt.outbox_id == OutboxMessage.id,
                OutboxMessage.status.in_(("failed", "dead")),
            )
            .values(delivery_status="not-sent")
            .execution_options(synchronize_session=False)
        )

    def by_outbox(self, outbox_id: int) -> AlertAttempt | None:
        return self.session.scalar(select(AlertAttempt).where(AlertAttempt.outbox_id == outbox_id))

    def record_status(self, attempt: AlertAttempt, status: str, at: datetime) -> bool:
        """Notify's status for an attempt, monotone: a final status is never replaced (receipts
        arrive more than once and out of order). True when it changed."""
        if attempt.delivery_status in FINAL or attempt.delivery_status == status:
            return False
        attempt.delivery_status = status
        attempt.status_at = at
        return True

    def tried(self, alert_id: int, staff_ids: Iterable[int]) -> dict[int, Tried]:
        """Per person: the channels tried (in order) and the latest status of each."""
        wanted = list(staff_ids)
        rows = self.session.execute(
            select(AlertAttempt.staff_id, AlertAttempt.channel, AlertAttempt.delivery_status)
            .where(AlertAttempt.alert_id == alert_id, AlertAttempt.staff_id.in_(wanted))
            .order_by(AlertAttempt.staff_id, AlertAttempt.step)
        )
        found: dict[int, tuple[list[str], dict[str, str]]] = {}
        for staff_id, channel, status in rows:
            channels, last = found.setdefault(staff_id, ([], {}))
            if channel not in channels:
                channels.append(channel)
            last[channel] = status or "queued"
        return {
            staff_id: Tried(tuple(channels), last.get("sms", ""), last.get("email", ""))
            for staff_id, (channels, last) in found.items()
        }

    def failures_by_site(self, alert_id: int) -> dict[tuple[str, str], int]:
        """(site, channel) → people whose latest text or email on that channel did not arrive
        (a later attempt that arrived clears an earlier failure)."""
        latest = (
            select(
                AlertAttempt.staff_id,
                AlertAttempt.channel,
                func.max(AlertAttempt.step).label("step"),
            )
            .where(AlertAttempt.alert_id == alert_id)
            .group_by(AlertAttempt.staff_id, AlertAttempt.channel)
            .subquery()
        )
        query = (
            select(Staff.site, AlertAttempt.channel, func.count())
            .join(
                latest,
                and_(
                    latest.c.staff_id == AlertAttempt.staff_id,
                    latest.c.channel == AlertAttempt.channel,
                    latest.c.step == AlertAttempt.step,
                ),
            )
            .join(Staff, Staff.id == AlertAttempt.staff_id)
            .where(
                AlertAttempt.alert_id == alert_id,
                AlertAttempt.delivery_status.in_(sorted(FAILED)),
            )
            .group_by(Staff.site, AlertAttempt.channel)
        )
        return {
            (str(site), str(channel)): int(n) for site, channel, n in self.session.execute(query)
        }
