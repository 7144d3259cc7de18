"""The ledger of every text and email the channel policy sends (alert_attempt): who to try at a
step, each attempt's outbox row, Notify's receipts. No number or address is read here."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import Session

from store.models import AlertAttempt, AlertRecipient, OutboxMessage, Staff
from store.repos.reach import reachable_by

FINAL = frozenset(
    {"delivered", "permanent-failure", "temporary-failure", "technical-failure", "sent"}
)
"""Notify's last word on a message: never replaced by an earlier status."""
FAILED = frozenset({"permanent-failure", "temporary-failure", "technical-failure", "not-sent"})
"""A text or email that did not arrive ("not-sent": Notify never accepted it)."""
CHANGING = ("created", "sending", "pending")
"""Notify's statuses on the way to a final one: the receipt poll asks again."""
WITHDRAWN = "withdrawn-acknowledged"
"""Never sent: the person acknowledged (on any channel) while it was still queued."""


@dataclass(frozen=True)
class PollDue:
    """An attempt Notify accepted whose final status is not known yet (no number, no address)."""

    attempt_id: int
    outbox_id: int
    notification_id: str
    sent_at: datetime


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
        arrive more than once and out of order, by callback and by polling at once). One
        conditional UPDATE decides, so two writers racing cannot undo a final status. True
        when it changed."""
        result = self.session.execute(
            update(AlertAttempt)
            .where(
                AlertAttempt.id == attempt.id,
                or_(
                    AlertAttempt.delivery_status.is_(None),
                    AlertAttempt.delivery_status.not_in(sorted(FINAL | {status})),
                ),
            )
            .values(delivery_status=status, status_at=at)
            .execution_options(synchronize_session="fetch")
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def due_for_poll(
        self, now: datetime, first: timedelta, cutoff: timedelta, limit: int
    ) -> list[PollDue]:
        """Up to `limit` attempts to ask Notify about now: sent at least `first` ago and less
        than `cutoff` ago (Notify keeps a message's data 7 days), with no final status yet, and
        due (never asked, or their `poll_at` has come); never asked first."""
        query = (
            select(
                AlertAttempt.id,
                AlertAttempt.outbox_id,
                OutboxMessage.platform_ref,
                OutboxMessage.sent_at,
            )
            .join(OutboxMessage, OutboxMessage.id == AlertAttempt.outbox_id)
            .where(
                OutboxMessage.status == "sent",
                OutboxMessage.platform.in_(("sms", "email")),
                OutboxMessage.sent_at > now - cutoff,
                or_(
                    AlertAttempt.delivery_status.is_(None),
                    AlertAttempt.delivery_status.in_(CHANGING),
                ),
                or_(
                    and_(AlertAttempt.poll_at.is_(None), OutboxMessage.sent_at <= now - first),
                    AlertAttempt.poll_at <= now,
                ),
            )
            .order_by(AlertAttempt.poll_at.is_not(None), AlertAttempt.poll_at, AlertAttempt.id)
            .limit(limit)
        )
        due = []
        for attempt_id, outbox_id, ref, sent_at in self.session.execute(query):
            notification = (ref or {}).get("notification_id") if isinstance(ref, dict) else None
            if notification and sent_at is not None:
                due.append(PollDue(attempt_id, outbox_id, str(notification), sent_at))
        return due

    def poll_again(self, attempt_id: int, at: datetime) -> None:
        self.session.execute(
            update(AlertAttempt).where(AlertAttempt.id == attempt_id).values(poll_at=at)
        )

    def withdraw_queued(self, alert_id: int, staff_id: int, reason: str, now: datetime) -> int:
        """Withdraw the person's texts and emails for the alert still waiting in the outbox
        (never claimed by a sender): outbox "withdrawn" with `reason`, the attempt
        `WITHDRAWN`. One conditional UPDATE on the outbox decides, so a row a sender claimed
        meanwhile is left to go out (it is then recorded as sent). Returns how many."""
        mine = select(AlertAttempt.outbox_id).where(
            AlertAttempt.alert_id == alert_id,
            AlertAttempt.staff_id == staff_id,
            AlertAttempt.outbox_id.is_not(None),
        )
        withdrawn = list(
            self.session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(mine.scalar_subquery()))
                .where(OutboxMessage.status == "pending")
                .values(status="withdrawn", last_error=reason[:500])
                .returning(OutboxMessage.id)
                .execution_options(synchronize_session=False)
            )
        )
        if withdrawn:
            self.session.execute(
                update(AlertAttempt)
                .where(AlertAttempt.outbox_id.in_(withdrawn))
                .values(delivery_status=WITHDRAWN, status_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(withdrawn)

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
