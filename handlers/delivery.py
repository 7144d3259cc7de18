"""The outbox dispatcher: claims due messages, delivers them through a platform, records results.

Claims are leases: a dispatcher that dies mid-send leaves rows that another picks up once the
lease expires. Failures back off with jitter; after `max_attempts` a message is dead-lettered
with its reason, never dropped silently.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from handlers.clock import Clock
from handlers.config import OrgConfig
from handlers.platform import ChannelTarget, DeliveryError, MessageHandle, Platform, Recipient
from messages.view import Reply, reply_from_payload
from store.models import OutboxMessage, Staff
from store.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass
class _Job:
    """One claimed message on its way: what to send, where, and what happened."""

    id: int
    reply: Reply | None = None
    target: Recipient | ChannelTarget | None = None
    failure: DeliveryError | None = None
    dead: bool = False
    platform: str = ""
    handle: MessageHandle = field(default_factory=dict)


@dataclass
class _Backlog:
    """A destination that is out of budget for now: each further message waits one slot more."""

    reason: str
    step: float
    wait: float


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unreachable: int = 0
    deferred: int = 0


def backoff(attempt: int, base: float = 5.0, cap: float = 3600.0) -> float:
    """Full-jitter exponential backoff in seconds for the given (1-based) attempt."""
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))  # noqa: S311 (not crypto)


class Dispatcher:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        platforms: Sequence[Platform],
        config: OrgConfig,
        clock: Clock,
        *,
        worker: str = "dispatcher",
        batch: int = 50,
        lease: timedelta = timedelta(minutes=2),
        max_attempts: int = 8,
    ) -> None:
        self._uow_factory = uow_factory
        self._platforms = list(platforms)
        self._config = config
        self._clock = clock
        self._worker = worker
        self._batch = batch
        self._lease = lease
        self._max_attempts = max_attempts

    def run_once(self) -> DispatchReport:
        """Deliver one batch of due messages. Safe to call from several processes at once.

        Three steps and two short transactions for the whole batch: claim and read, send with
        no transaction open (a network call must never hold SQLite's write lock), record every
        outcome. A batch deferred by a spent rate budget costs two transactions, not two each.
        """
        report = DispatchReport()
        if not self._platforms:
            return report
        with self._uow_factory() as uow:
            rows = uow.outbox.claim_due(self._clock.now(), self._worker, self._batch, self._lease)
            jobs = self._prepare(uow, rows)
            uow.commit()
        report.claimed = len(jobs)
        queued: dict[tuple[str, str], _Backlog] = {}
        for job in jobs:
            self._send(job, queued)
        with self._uow_factory() as uow:
            current = {row.id: row for row in uow.outbox.by_ids([job.id for job in jobs])}
            for job in jobs:
                row = current.get(job.id)
                if row is not None and row.claimed_by == self._worker:
                    self._record(row, job, report)
            uow.commit()
        return report

    def drain(self, max_rounds: int = 100) -> DispatchReport:
        """Run batches until nothing is due (the console and tests deliver synchronously)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = self.run_once()
            if report.claimed == 0:
                break
            for name in ("claimed", "sent", "retried", "dead", "unreachable", "deferred"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        return total

    def _prepare(self, uow: UnitOfWork, rows: Sequence[OutboxMessage]) -> list[_Job]:
        people = {
            s.id: s
            for s in uow.staff.by_ids([r.recipient_id for r in rows if r.recipient_id is not None])
        }
        jobs: list[_Job] = []
        for row in rows:
            job = _Job(row.id)
            jobs.append(job)
            if row.attempts > self._max_attempts:
                # Only reachable when earlier attempts died with their worker mid-send.
                job.dead = True
                continue
            try:
                job.reply = reply_from_payload(row.payload["reply"])
                job.target = self._target(row, people)
            except DeliveryError as exc:
                job.failure = exc
        return jobs

    def _target(self, row: OutboxMessage, people: dict[int, Staff]) -> Recipient | ChannelTarget:
        if row.recipient_id is not None:
            staff = people.get(row.recipient_id)
            if staff is None or not staff.active:
                raise DeliveryError("recipient is no longer in the directory", retryable=False)
            return Recipient(
                staff_id=staff.id,
                email=staff.email,
                name=staff.display_name,
                slack_user_id=staff.slack_user_id,
                teams_aad_id=staff.teams_aad_id,
            )
        assert row.channel is not None
        configured = self._config.channels.get(row.channel)
        if configured is None:
            raise DeliveryError(f"channel {row.channel!r} is not configured", retryable=False)
        return ChannelTarget(
            key=row.channel,
            name=configured.name,
            slack_id=configured.slack_id,
            teams_id=configured.teams_id,
        )

    def _send(self, job: _Job, queued: dict[tuple[str, str], _Backlog]) -> None:
        """Send one job. A destination whose budget is spent is not asked again in this batch:
        its later messages queue behind, each one slot further back, so a backlog drains at
        the platform's pace instead of every deferred message coming due at the same moment."""
        if job.dead or job.failure is not None or job.target is None or job.reply is None:
            return
        target, reply = job.target, job.reply
        destination = (
            ("person", str(target.staff_id))
            if isinstance(target, Recipient)
            else ("channel", target.key)
        )
        backlog = queued.get(destination)
        if backlog is not None:
            backlog.wait += backlog.step
            job.failure = DeliveryError(
                backlog.reason, retryable=True, retry_after=backlog.wait, deferred=True
            )
            return
        try:
            for platform in self._platforms:
                job.platform = platform.name
                if isinstance(target, Recipient):
                    if platform.can_reach_person(target):
                        job.handle = platform.send_to_person(target, reply)
                        return
                elif platform.can_reach_channel(target):
                    job.handle = platform.post_to_channel(target, reply)
                    return
            what = "person" if isinstance(target, Recipient) else "channel"
            job.failure = DeliveryError(
                f"no connected platform can reach this {what}", retryable=False
            )
        except DeliveryError as exc:
            job.failure = exc
            if exc.deferred:
                step = exc.retry_after or 1.0
                queued[destination] = _Backlog(exc.reason, step=step, wait=step)
        except Exception as exc:  # an adapter bug must not lose the message
            log.exception("outbox message %s: unexpected error from %s", job.id, job.platform)
            job.failure = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)

    def _record(self, row: OutboxMessage, job: _Job, report: DispatchReport) -> None:
        row.claimed_by = None
        row.claimed_until = None
        if job.dead:
            row.status = "dead"
            row.last_error = (row.last_error or "the sender stopped while sending")[:500]
            report.dead += 1
        elif job.failure is not None:
            self._record_failure(row, job.failure, report)
        else:
            row.status = "sent"
            row.sent_at = self._clock.now()
            row.platform = job.platform
            row.platform_ref = dict(job.handle)
            report.sent += 1

    def _record_failure(
        self, row: OutboxMessage, exc: DeliveryError, report: DispatchReport
    ) -> None:
        now = self._clock.now()
        row.last_error = exc.reason[:500]
        row.claimed_by = None
        row.claimed_until = None
        if exc.deferred:
            row.attempts = max(row.attempts - 1, 0)  # never attempted: not the message's fault
            row.status = "pending"
            row.next_attempt_at = now + timedelta(seconds=exc.retry_after or 1.0)
            report.deferred += 1
        elif not exc.retryable:
            row.status = "failed"
            report.unreachable += 1
            log.warning("outbox message %s undeliverable: %s", row.id, exc.reason)
        elif row.attempts >= self._max_attempts:
            row.status = "dead"
            report.dead += 1
            log.error(
                "outbox message %s dead after %s attempts: %s", row.id, row.attempts, exc.reason
            )
        else:
            delay = exc.retry_after if exc.retry_after is not None else backoff(row.attempts)
            row.status = "pending"
            row.next_attempt_at = now + timedelta(seconds=delay)
            report.retried += 1
