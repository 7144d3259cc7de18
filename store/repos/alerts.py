"""Alert queries. Everything that touches every recipient runs in the database.

A broadcast may reach 100,000 people, so recipients are never loaded into Python: the audience
is resolved by a WHERE clause over the staff directory, recipient rows are written with
INSERT … SELECT in keyset batches of staff ids (their outbox rows likewise, through
OutboxRepo.enqueue_from_select), and re-notification, escalation and delivery bookkeeping are
single UPDATE or INSERT … SELECT statements. Only summaries (counts,
per-site figures, the first names of a list) come back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from store.base import UTCDateTime
from store.models import Alert, AlertAckLink, AlertRecipient, OutboxMessage, Staff, StaffRole
from store.repos.dialect import insert_for
from store.repos.reach import reachable_by

BATCH = 1000
"""Staff ids per INSERT … SELECT: bounded statements however large the audience."""

TERMINAL_FAILURES = ("failed", "dead")


@dataclass(frozen=True)
class Tally:
    """Delivery and acknowledgement figures for one alert (or one site of it)."""

    label: str
    total: int
    delivered: int
    acked: int
    failed: int

    @property
    def pending(self) -> int:
        return max(self.total - self.delivered - self.failed, 0)


@dataclass(frozen=True)
class LedgerRow:
    """One line of the CSV acknowledgement ledger."""

    staff_id: int
    name: str
    email: str
    site: str | None
    department: str | None
    delivered_at: datetime | None
    platform: str | None
    acked_at: datetime | None
    ack_platform: str | None
    notified_count: int
    escalated_at: datetime | None
    failure: str | None


def audience_clause(kind: str, values: Sequence[str]) -> ColumnElement[bool]:
    """Which active staff an audience means, as SQL: all, by site, by role or by committee."""
    active = Staff.active.is_(True)
    match kind:
        case "all":
            return active
        case "sites":
            return and_(active, Staff.site.in_(list(values)))
        case "roles" | "committees":
            roles = list(values) if kind == "roles" else [f"committee:{v}" for v in values]
            holders = select(StaffRole.staff_id).where(StaffRole.role.in_(roles))
            return and_(active, Staff.id.in_(holders))
    raise ValueError(f"unknown audience kind {kind!r}")


class AlertRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ alerts
    def add(self, alert: Alert) -> None:
        self.session.add(alert)
        self.session.flush()

    def by_ref(self, ref: str) -> Alert | None:
        return self.session.scalar(select(Alert).where(Alert.ref == ref.strip().upper()))

    def get(self, alert_id: int) -> Alert | None:
        return self.session.get(Alert, alert_id)

    def recent(self, limit: int = 20) -> Sequence[Alert]:
        query = select(Alert).order_by(Alert.id.desc()).limit(limit)
        return self.session.scalars(query).all()

    def for_digest(self, since: datetime, limit: int) -> Sequence[Alert]:
        """Alerts sent since `since` or still live, the most recently sent first."""
        query = (
            select(Alert)
            .where(or_(Alert.sent_at >= since, Alert.status == "live"))
            .order_by(Alert.sent_at.desc(), Alert.id.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def with_status(self, *statuses: str) -> Sequence[Alert]:
        query = select(Alert).where(Alert.status.in_(statuses)).order_by(Alert.id)
        return self.session.scalars(query).all()

    def replaced_by(self, alert_id: int, statuses: Sequence[str]) -> Alert | None:
        """The correction or retraction (in one of `statuses`) that replaces an alert."""
        query = (
            select(Alert)
            .where(Alert.corrects_id == alert_id, Alert.status.in_(statuses))
            .order_by(Alert.id)
            .limit(1)
        )
        return self.session.scalar(query)

    def sent_with_cas(
        self, cas_ref: str, statuses: Sequence[str], *, other_than: int | None
    ) -> Alert | None:
        """The latest alert (not a correction or retraction) in `statuses` carrying the CAS
        reference `cas_ref` (compared without case or spaces), other than alert `other_than`."""

        def bare(value: Any) -> Any:
            return func.upper(func.replace(value, " ", ""))

        query = (
            select(Alert)
            .where(
                bare(Alert.cas_ref) == "".join(cas_ref.split()).upper(),
                Alert.kind == "alert",
                Alert.status.in_(statuses),
            )
            .order_by(Alert.sent_at.desc(), Alert.id.desc())
            .limit(1)
        )
        if other_than is not None:
            query = query.where(Alert.id != other_than)
        return self.session.scalar(query)

    def acked_share(self, alert_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        """(acknowledged, recipients) per alert, for lists."""
        if not alert_ids:
            return {}
        query = (
            select(
                AlertRecipient.alert_id,
                func.count(AlertRecipient.acked_at),
                func.count(),
            )
            .where(AlertRecipient.alert_id.in_(alert_ids))
            .group_by(AlertRecipient.alert_id)
        )
        return {a: (int(acked), int(total)) for a, acked, total in self.session.execute(query)}

    # ------------------------------------------------------------------ the audience
    def count_audience(self, kind: str, values: Sequence[str]) -> int:
        query = select(func.count()).select_from(Staff).where(audience_clause(kind, values))
        return int(self.session.scalar(query) or 0)

    def audience(self, kind: str, values: Sequence[str]) -> Select[Any]:
        """The staff ids an audience means now."""
        return select(Staff.id).where(audience_clause(kind, values))

    def meant_for(self, original: Alert) -> Select[Any]:
        """Everyone `original` was meant for: each of its recipients, reached or not, and
        whoever is in its audience now (a starter since it was sent). A correction or
        retraction goes to them all."""
        received = select(AlertRecipient.staff_id).where(AlertRecipient.alert_id == original.id)
        return select(Staff.id).where(
            or_(
                Staff.id.in_(received),
                audience_clause(original.audience_kind, original.audience_values),
            )
        )

    def planned(self, alert: Alert, original: Alert | None) -> Select[Any]:
        """Who sending `alert` now would reach: its audience, or (a correction or retraction
        of `original`) everyone the original was meant for."""
        if original is not None:
            return self.meant_for(original)
        return self.audience(alert.audience_kind, alert.audience_values)

    def count_planned(self, alert: Alert, original: Alert | None) -> int:
        ids = self.planned(alert, original).subquery()
        return int(self.session.scalar(select(func.count()).select_from(ids)) or 0)

    def unreachable(
        self, alert: Alert, original: Alert | None, channels: Sequence[str], limit: int
    ) -> tuple[list[str], int]:
        """Of the people sending `alert` would reach, those no channel in `channels` can
        message: the first `limit` names (alphabetical) and how many."""
        where = (Staff.id.in_(self.planned(alert, original)), ~reachable_by(channels))
        names = self.session.scalars(
            select(Staff.display_name)
            .where(*where)
            .order_by(Staff.display_name, Staff.id)
            .limit(limit)
        ).all()
        count = self.session.scalar(select(func.count()).select_from(Staff).where(*where))
        return list(names), int(count or 0)

    def _boundaries(self, source: Select[Any]) -> Iterator[tuple[int, int]]:
        """(after, upto] staff-id ranges of at most BATCH ids each, read one id per batch."""
        ids = source.subquery()
        after = 0
        while True:
            query = (
                select(ids.c[0])
                .where(ids.c[0] > after)
                .order_by(ids.c[0])
                .offset(BATCH - 1)
                .limit(1)
            )
            upto = self.session.scalar(query)
            if upto is None:
                last = self.session.scalar(select(func.max(ids.c[0])).where(ids.c[0] > after))
                if last is not None:
                    yield after, int(last)
                return
            yield after, upto
            after = upto

    def add_recipients(
        self, alert_id: int, kind: str, values: Sequence[str], now: datetime
    ) -> Iterator[tuple[int, int]]:
        """Resolve the audience in the database and write one recipient row per person.

        Yields each staff-id range written (so the caller queues its messages batch by batch).
        """
        audience = select(Staff.id).where(audience_clause(kind, values))
        yield from self._insert_recipients(alert_id, audience, now)

    def copy_recipients(
        self, alert_id: int, original: Alert, now: datetime
    ) -> Iterator[tuple[int, int]]:
        """A correction or retraction reaches everyone the original was meant for."""
        yield from self._insert_recipients(alert_id, self.meant_for(original), now)

    def _insert_recipients(
        self, alert_id: int, source: Select[Any], now: datetime
    ) -> Iterator[tuple[int, int]]:
        ids = source.subquery()
        for after, upto in list(self._boundaries(source)):
            rows = select(
                literal(alert_id),
                ids.c[0],
                literal(1),
                literal(now, UTCDateTime()),
            ).where(ids.c[0] > after, ids.c[0] <= upto)
            self.session.execute(
                insert_for(self.session, AlertRecipient)
                .from_select(["alert_id", "staff_id", "notified_count", "last_notified_at"], rows)
                .on_conflict_do_nothing(index_elements=["alert_id", "staff_id"])
            )
            yield after, upto

    def count_recipients(self, alert_id: int) -> int:
        query = select(func.count()).where(AlertRecipient.alert_id == alert_id)
        return int(self.session.scalar(query) or 0)

    # ------------------------------------------------------------------ messages
    def link_outbox(self, alert_id: int, key: str, after: int, upto: int) -> None:
        """Point each recipient in the range at its delivery row, found by the dedupe key the
        outbox gave it (`key` + ">p" + staff id, as OutboxRepo.enqueue_from_select writes)."""
        dedupe = literal(f"{key}>p", String) + cast(AlertRecipient.staff_id, String)
        found = select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe).scalar_subquery()
        self.session.execute(
            update(AlertRecipient)
            .where(
                AlertRecipient.alert_id == alert_id,
                AlertRecipient.staff_id > after,
                AlertRecipient.staff_id <= upto,
            )
            .values(outbox_id=found)
            .execution_options(synchronize_session=False)
        )

    def recipients_between(self, alert_id: int, after: int, upto: int) -> Select[Any]:
        return select(AlertRecipient.staff_id).where(
            AlertRecipient.alert_id == alert_id,
            AlertRecipient.staff_id > after,
            AlertRecipient.staff_id <= upto,
        )

    def delivered_handles(
        self, alert_id: int, after: int, limit: int, *, since: datetime | None = None
    ) -> Sequence[tuple[int, str, dict[str, Any]]]:
        """(staff id, platform, handle) of delivered messages, a keyset page at a time; with
        `since`, only those delivered then or later."""
        query = (
            select(AlertRecipient.staff_id, AlertRecipient.platform, AlertRecipient.handle)
            .where(
                AlertRecipient.alert_id == alert_id,
                AlertRecipient.staff_id > after,
                AlertRecipient.handle.is_not(None),
                AlertRecipient.platform.is_not(None),
            )
            .order_by(AlertRecipient.staff_id)
            .limit(limit)
        )
        if since is not None:
            query = query.where(AlertRecipient.delivered_at >= since)
        return [(s, str(p), dict(h or {})) for s, p, h in self.session.execute(query)]

    # ------------------------------------------------------------------ delivery bookkeeping
    def sync_deliveries(self, alert_id: int) -> int:
        """Copy what the sender recorded (sent, platform, handle, failure) into the ledger.

        Only rows still open are touched, so a steady state costs the undelivered few.
        """
        open_rows = and_(
            AlertRecipient.alert_id == alert_id,
            AlertRecipient.delivered_at.is_(None),
            AlertRecipient.failure.is_(None),
            AlertRecipient.outbox_id == OutboxMessage.id,
        )
        sent = self.session.execute(
            update(AlertRecipient)
            .where(open_rows, OutboxMessage.status == "sent")
            .values(
                delivered_at=OutboxMessage.sent_at,
                platform=OutboxMessage.platform,
                handle=OutboxMessage.platform_ref,
            )
            .execution_options(synchronize_session=False)
        )
        failed = self.session.execute(
            update(AlertRecipient)
            .where(open_rows, OutboxMessage.status.in_(TERMINAL_FAILURES))
            .values(failure=func.coalesce(OutboxMessage.last_error, "not delivered"))
            .execution_options(synchronize_session=False)
        )
        return int(getattr(sent, "rowcount", 0) or 0) + int(getattr(failed, "rowcount", 0) or 0)

    def outbox_row(self, dedupe_key: str) -> OutboxMessage | None:
        return self.session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        )

    # ------------------------------------------------------------------ figures
    def _tally_columns(self) -> tuple[Any, ...]:
        delivered = func.count(AlertRecipient.delivered_at)
        acked = func.count(AlertRecipient.acked_at)
        failed = func.sum(case((AlertRecipient.failure.is_not(None), 1), else_=0))
        return func.count(), delivered, acked, failed

    def tally(self, alert_id: int) -> Tally:
        query = select(*self._tally_columns()).where(AlertRecipient.alert_id == alert_id)
        total, delivered, acked, failed = self.session.execute(query).one()
        return Tally("All", int(total), int(delivered), int(acked), int(failed or 0))

    def tally_by_site(self, alert_id: int) -> list[Tally]:
        query = (
            select(Staff.site, *self._tally_columns())
            .select_from(AlertRecipient)
            .join(Staff, Staff.id == AlertRecipient.staff_id)
            .where(AlertRecipient.alert_id == alert_id)
            .group_by(Staff.site)
            .order_by(Staff.site)
        )
        return [
            Tally(site or "", int(t), int(d), int(a), int(f or 0))
            for site, t, d, a, f in self.session.execute(query)
        ]

    def not_acked_names(
        self,
        alert_id: int,
        limit: int,
        *,
        manager_id: int | None = None,
        no_manager: bool = False,
        unreached: bool = False,
    ) -> tuple[list[str], int]:
        """The first `limit` names (alphabetical) of people yet to acknowledge, and how many:
        all of them, one manager's reports, those with no line manager on record, or those
        no delivery reached (`unreached`)."""
        where = [AlertRecipient.alert_id == alert_id, AlertRecipient.acked_at.is_(None)]
        if unreached:
            where.append(AlertRecipient.failure.is_not(None))
        if manager_id is not None:
            where.append(Staff.line_manager_id == manager_id)
        if no_manager:
            where.append(Staff.line_manager_id.is_(None))
        base = (
            select(Staff.display_name)
            .select_from(AlertRecipient)
            .join(Staff, Staff.id == AlertRecipient.staff_id)
        )
        names = self.session.scalars(
            base.where(*where).order_by(Staff.display_name, Staff.id).limit(limit)
        ).all()
        count = self.session.scalar(
            select(func.count())
            .select_from(AlertRecipient)
            .join(Staff, Staff.id == AlertRecipient.staff_id)
            .where(*where)
        )
        return list(names), int(count or 0)

    # ------------------------------------------------------------------ acknowledgement
    def recipient(self, alert_id: int, staff_id: int) -> AlertRecipient | None:
        return self.session.scalar(
            select(AlertRecipient).where(
                AlertRecipient.alert_id == alert_id, AlertRecipient.staff_id == staff_id
            )
        )

    def acknowledge(self, alert_id: int, staff_id: int, now: datetime, platform: str) -> bool:
        """Record one person's acknowledgement if it is their first: a single conditional
        UPDATE, so two presses at once (chat and a link, two replicas) record it exactly once.
        True when this call recorded it."""
        result = self.session.execute(
            update(AlertRecipient)
            .where(
                AlertRecipient.alert_id == alert_id,
                AlertRecipient.staff_id == staff_id,
                AlertRecipient.acked_at.is_(None),
            )
            .values(acked_at=now, ack_platform=platform)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def recipient_now(self, alert_id: int, staff_id: int) -> AlertRecipient | None:
        """The recipient row as the database has it now (not as this session first read it)."""
        return self.session.scalar(
            select(AlertRecipient)
            .where(AlertRecipient.alert_id == alert_id, AlertRecipient.staff_id == staff_id)
            .execution_options(populate_existing=True)
        )

    # ------------------------------------------------------------------ personal ack links
    def add_ack_link(
        self,
        token_hash: str,
        alert_id: int,
        staff_id: int,
        now: datetime,
        channel: str | None = None,
    ) -> None:
        self.session.add(
            AlertAckLink(
                token_hash=token_hash,
                alert_id=alert_id,
                staff_id=staff_id,
                created_at=now,
                channel=channel,
            )
        )
        self.session.flush()

    def ack_link(self, token_hash: str) -> AlertAckLink | None:
        return self.session.scalar(
            select(AlertAckLink)
            .where(AlertAckLink.token_hash == token_hash)
            .execution_options(populate_existing=True)
        )

    def spend_ack_link(self, link_id: int, now: datetime) -> None:
        """Mark a link used. Two presses at the same moment may both get this far; the
        acknowledgement itself (acknowledge above) is what records exactly once."""
        self.session.execute(
            update(AlertAckLink)
            .where(AlertAckLink.id == link_id)
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )

    def awaiting_ack_by(self, staff_id: int, statuses: Sequence[str]) -> Sequence[Alert]:
        query = (
            select(Alert)
            .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
            .where(
                AlertRecipient.staff_id == staff_id,
                AlertRecipient.acked_at.is_(None),
                Alert.status.in_(statuses),
            )
            .order_by(Alert.ack_deadline)
        )
        return self.session.scalars(query).all()

    # ------------------------------------------------------------------ reminders
    def not_acked(self, alert_id: int) -> Select[Any]:
        """Staff ids still to acknowledge, including those a delivery failed to reach: each
        re-notification tries them again (a chat that was down, a channel added since), and
        they stay in every list of who has not acknowledged."""
        return select(AlertRecipient.staff_id).where(
            AlertRecipient.alert_id == alert_id,
            AlertRecipient.acked_at.is_(None),
        )

    def mark_notified(self, alert_id: int, now: datetime) -> None:
        self.session.execute(
            update(AlertRecipient)
            .where(AlertRecipient.alert_id == alert_id, AlertRecipient.acked_at.is_(None))
            .values(
                notified_count=AlertRecipient.notified_count + 1,
                last_notified_at=now,
            )
            .execution_options(synchronize_session=False)
        )

    def managers_of_not_acked(self, alert_id: int) -> Select[Any]:
        """Line managers with at least one report yet to acknowledge (each once)."""
        return (
            select(Staff.line_manager_id)
            .join(AlertRecipient, AlertRecipient.staff_id == Staff.id)
            .where(
                AlertRecipient.alert_id == alert_id,
                AlertRecipient.acked_at.is_(None),
                Staff.line_manager_id.is_not(None),
            )
            .distinct()
        )

    def mark_escalated(self, alert_id: int, now: datetime) -> int:
        result = self.session.execute(
            update(AlertRecipient)
            .where(
                AlertRecipient.alert_id == alert_id,
                AlertRecipient.acked_at.is_(None),
                AlertRecipient.escalated_at.is_(None),
            )
            .values(escalated_at=now)
            .execution_options(synchronize_session=False)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    # ------------------------------------------------------------------ the ledger
    def ledger(self, alert_id: int, page: int = 1000) -> Iterator[LedgerRow]:
        """Every recipient in staff-id order, read a keyset page at a time (constant memory)."""
        after = 0
        while True:
            query = (
                select(
                    AlertRecipient.staff_id,
                    Staff.display_name.label("name"),
                    Staff.email,
                    Staff.site,
                    Staff.department,
                    AlertRecipient.delivered_at,
                    AlertRecipient.platform,
                    AlertRecipient.acked_at,
                    AlertRecipient.ack_platform,
                    AlertRecipient.notified_count,
                    AlertRecipient.escalated_at,
                    AlertRecipient.failure,
                )
                .join(Staff, Staff.id == AlertRecipient.staff_id)
                .where(AlertRecipient.alert_id == alert_id, AlertRecipient.staff_id > after)
                .order_by(AlertRecipient.staff_id)
                .limit(page)
            )
            rows = [LedgerRow(**row._asdict()) for row in self.session.execute(query)]
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1].staff_id
