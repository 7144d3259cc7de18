"""The outbox dispatcher: claims due messages, delivers them through a platform, records results.

Claims are leases: a dispatcher that dies mid-send leaves rows that another picks up once the
lease expires. Failures back off with jitter; after `max_attempts` a message is dead-lettered
with its reason, never dropped silently.

For a broadcast (tens of thousands of rows) the same loop runs with `concurrency` sending
threads for each platform (a few routing threads hand each job to the platform that will carry
it) and `max_wait`: a message whose platform is paused, or whose budget is momentarily spent,
is set aside and tried again when the wait is over (the rows are leased to us) instead of
being written back as deferred and claimed again a second later, and without holding a thread
another platform's messages could use. Outcomes are recorded in small groups while the batch
is still sending, so a dispatcher killed mid-batch re-sends at most the messages that were
sent but not yet recorded: the group being collected plus the sends in flight, never a whole
batch.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, fields
from datetime import timedelta
from typing import Any

from handlers.clock import Clock
from handlers.config import OrgConfig
from handlers.later import Later
from handlers.platform import ChannelTarget, DeliveryError, MessageHandle, Platform, Recipient
from messages.view import Reply, reply_from_payload
from store.repos.lease import held
from store.repos.outbox import ClaimedRow
from store.repos.staff import Reachable
from store.uow import UnitOfWork

log = logging.getLogger(__name__)

OUT_OF_TIME = "the batch ran out of time before this message's turn"
ROUTING = "routing"


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
    attempts: int = 0
    """The row's attempts, this claim included (claim_due counts it)."""
    last_error: str | None = None
    update: tuple[str, MessageHandle] | None = None
    """Replace this already-delivered message (platform, handle) instead of posting."""
    route: Platform | None = None
    """The platform that will carry it (the first that can reach the target), once known."""


@dataclass
class _Backlog:
    """A destination that is out of budget for now: each further message waits one slot more."""

    reason: str
    step: float
    wait: float


@dataclass
class _Batch:
    """What the sending threads share about one claimed batch."""

    deadline: float
    """Sends not started by now are released unattempted (half the lease has gone)."""
    finished: queue.SimpleQueue[_Job] = field(default_factory=queue.SimpleQueue)
    """Jobs handed back, however they went, for the claiming thread to record."""
    queued: dict[tuple[str, str], _Backlog] = field(default_factory=dict)
    """Destinations out of budget in this batch, and how far back their next message goes."""


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    unreachable: int = 0
    deferred: int = 0
    resume_in: float | None = None
    """The shortest wait among this batch's deferrals (seconds): a caller looping while work
    is due sleeps this long after a batch that only deferred, instead of claiming (and
    deferring again) the rest of the queue while a platform is paused."""

    def add(self, other: DispatchReport) -> None:
        for item in fields(self):
            if item.name != "resume_in":
                setattr(self, item.name, getattr(self, item.name) + getattr(other, item.name))
        if other.resume_in is not None:
            self.resume_in = (
                other.resume_in if self.resume_in is None else min(self.resume_in, other.resume_in)
            )

    @property
    def progressed(self) -> bool:
        """Something other than a deferral happened: more work may be due right away."""
        return self.claimed > self.deferred


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
        concurrency: int = 1,
        max_wait: float = 0.0,
        record_every: int = 25,
        record_seconds: float = 0.5,
        leave_bulk_to: str | None = None,
    ) -> None:
        """`concurrency`: sending threads (1 sends in the caller's thread, in claim order).
        `max_wait`: a budget deferral this short (seconds) is waited out in place, not
        recorded. `record_every` / `record_seconds`: outcomes are written once this many sends
        succeeded or this long passed, bounding what a kill can make us send twice.
        `leave_bulk_to`: a lease name (the clock's); while some process holds it, fan-out rows
        (a broadcast) are left to that process. The web process's dispatcher uses it: each
        process paces itself to the whole budget, so web replicas joining in a broadcast would
        send at a multiple of the rate Slack and Teams allow."""
        self._uow_factory = uow_factory
        self._platforms = list(platforms)
        self._config = config
        self._clock = clock
        self._worker = worker
        self._batch = batch
        self._lease = lease
        self._max_attempts = max_attempts
        self._concurrency = max(1, concurrency)
        self._max_wait = max_wait
        self._record_every = max(1, record_every)
        self._record_seconds = record_seconds
        self._leave_bulk_to = leave_bulk_to
        self._lock = threading.Lock()
        self._pools: dict[str, ThreadPoolExecutor] = {}
        """The sending threads: `concurrency` for each platform, so a platform that is paused
        or slow never holds up another's messages, and a few that route each job to one."""
        self._waiting: Later | None = None
        self._closing = False

    @property
    def batch(self) -> int:
        return self._batch

    # ------------------------------------------------------------------ the loop
    def run_once(self) -> DispatchReport:
        """Deliver one batch of due messages. Safe to call from several processes at once.

        Claim and read in one short transaction, send with no transaction open (a network
        call must never hold SQLite's write lock), record outcomes in a few more. Sends that
        have not started when half the lease has gone are released, never attempted, so no
        message is ever sent after another dispatcher may have reclaimed it.
        """
        report = DispatchReport()
        if not self._platforms:
            return report
        with self._uow_factory() as uow:
            now = self._clock.now()
            bulk = self._leave_bulk_to is None or not held(uow.session, self._leave_bulk_to, now)
            rows = uow.outbox.claim_due(now, self._worker, self._batch, self._lease, bulk=bulk)
            jobs = self._prepare(uow, rows)
            uow.commit()
        report.claimed = len(jobs)
        if not jobs:
            return report
        self._prepare_platforms(jobs)
        batch = _Batch(deadline=time.monotonic() + self._lease.total_seconds() / 2)
        recorder = _Recorder(
            lambda done: self._write(done, report), self._record_every, self._record_seconds
        )
        if self._concurrency == 1 or len(jobs) == 1:
            for job in jobs:
                self._send(job, batch)
                recorder.done(job)
        else:
            router = self._executor(ROUTING)
            for job in jobs:
                router.submit(self._route_into, job, batch)
            for _ in jobs:
                while True:  # wake at least every record_seconds to write what is done
                    try:
                        recorder.done(batch.finished.get(timeout=self._record_seconds))
                        break
                    except queue.Empty:
                        recorder.maybe_flush()
        recorder.flush()
        return report

    def drain(self, max_rounds: int = 100) -> DispatchReport:
        """Run batches until nothing is due (the console and tests deliver synchronously)."""
        total = DispatchReport()
        for _ in range(max_rounds):
            report = self.run_once()
            if report.claimed == 0:
                break
            total.add(report)
        return total

    def close(self) -> None:
        """Stop the sending threads (a no-op with concurrency 1). Jobs set aside to wait are
        tried once more and, if they still must wait, recorded as deferred."""
        self._closing = True
        if self._waiting is not None:
            self._waiting.stop()
            self._waiting = None
        with self._lock:
            pools = sorted(self._pools.items(), key=lambda item: item[0] != ROUTING)
            self._pools = {}
        for _, pool in pools:  # the routing threads first: they hand work to the others
            pool.shutdown(wait=True)
        self._closing = False

    def _executor(self, name: str) -> ThreadPoolExecutor:
        """The threads for one platform's sends (or for routing, or for jobs with no platform)."""
        with self._lock:
            pool = self._pools.get(name)
            if pool is None:
                threads = max(2, self._concurrency // 4) if name == ROUTING else self._concurrency
                pool = self._pools[name] = ThreadPoolExecutor(
                    threads, thread_name_prefix=f"outbox-{name or 'other'}"
                )
            return pool

    def _later(self) -> Later:
        with self._lock:
            if self._waiting is None:
                self._waiting = Later()
            return self._waiting

    # ------------------------------------------------------------------ claim
    def _prepare(self, uow: UnitOfWork, rows: Sequence[ClaimedRow]) -> list[_Job]:
        """Turn claimed rows into jobs. A broadcast's rows all carry the same payload, so
        each distinct payload is read into a Reply once per claim, not once per row."""
        people = uow.staff.reach_by_ids(
            [r.recipient_id for r in rows if r.recipient_id is not None]
        )
        read: list[tuple[Mapping[str, Any], Reply, tuple[str, MessageHandle] | None]] = []
        jobs: list[_Job] = []
        for row in rows:
            job = _Job(row.id, attempts=row.attempts, last_error=row.last_error)
            jobs.append(job)
            if row.attempts > self._max_attempts:
                # Only reachable when earlier attempts died with their worker mid-send.
                job.dead = True
                continue
            try:
                seen = next((r for r in read if r[0] == row.payload), None)
                if seen is None:
                    seen = (
                        row.payload,
                        reply_from_payload(row.payload["reply"]),
                        update_of(row.payload),
                    )
                    read = [seen, *read[:3]]
                _, job.reply, job.update = seen
                job.target = self._target(row, people)
            except DeliveryError as exc:
                job.failure = exc
        return jobs

    def _prepare_platforms(self, jobs: Sequence[_Job]) -> None:
        """Let each platform look up a whole batch at once (Teams reads the batch's 1:1 chats
        in one query). Only an optimisation: a failure is logged and each send looks its
        recipient up itself."""
        people = [job.target for job in jobs if isinstance(job.target, Recipient)]
        if not people:
            return
        for platform in self._platforms:
            try:
                platform.prepare(people)
            except Exception:
                log.exception("%s could not prepare a batch; sending without", platform.name)

    def _target(
        self, row: ClaimedRow, people: Mapping[int, Reachable]
    ) -> Recipient | ChannelTarget:
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

    # ------------------------------------------------------------------ send
    def _route_into(self, job: _Job, batch: _Batch) -> None:
        """A routing thread's work: choose the job's platform (which may mean looking the
        person up) and hand the job to that platform's sending threads."""
        try:
            job.route = self._route(job)
        except Exception:  # a lookup failed: the send itself will try every platform again
            log.exception("outbox message %s: could not choose a platform", job.id)
        pool = self._executor(job.route.name if job.route is not None else "")
        pool.submit(self._send_into, job, batch)

    def _route(self, job: _Job) -> Platform | None:
        """The first platform that can reach the job's target (None: nothing to send, or no
        platform can, which the attempt reports)."""
        target = job.target
        if job.dead or job.failure is not None or target is None or job.reply is None:
            return None
        if job.update is not None:
            return next((p for p in self._platforms if p.name == job.update[0]), None)
        for platform in self._platforms:
            if isinstance(target, Recipient):
                if platform.can_reach_person(target):
                    return platform
            elif platform.can_reach_channel(target):
                return platform
        return None

    def _send_into(self, job: _Job, batch: _Batch) -> None:
        """A sending thread's work: try the job once, then hand it back, or, when it must wait
        a moment for its platform (a 429's pause, a spent budget), set it aside to be tried
        again then. The thread never sleeps holding it: while Teams is paused the threads keep
        sending Slack's messages, and the other way round."""
        try:
            wait = self._try(job, batch)
        except BaseException as exc:  # _attempt catches adapters' errors; this is a bug here
            job.failure = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)
            batch.finished.put(job)
            raise
        if wait is not None and self._closing:
            job.failure = DeliveryError(
                "the dispatcher stopped", retryable=True, retry_after=wait, deferred=True
            )
            wait = None
        if wait is None:
            batch.finished.put(job)
            return
        pool = self._executor(job.route.name if job.route is not None else "")
        self._later().call(wait, lambda: pool.submit(self._send_into, job, batch))

    def _send(self, job: _Job, batch: _Batch) -> None:
        """Send one job in the caller's thread, waiting in place when it must wait."""
        while (wait := self._try(job, batch)) is not None:
            time.sleep(wait)

    def _try(self, job: _Job, batch: _Batch) -> float | None:
        """Try one job once. Returns how long to wait before trying it again, or None when it
        is finished (sent, failed or deferred: see job.failure).

        A destination whose budget is spent is not asked again in this batch: its later
        messages queue behind, each one slot further back, so a backlog drains at the
        platform's pace instead of every deferred message coming due at the same moment. A
        deferral no longer than `max_wait` is waited out instead (the message is ours until
        the lease ends), which keeps a broadcast at the budget's pace without writing each
        waiting row back to the database."""
        if job.dead or job.failure is not None or job.target is None or job.reply is None:
            return None
        target = job.target
        destination = (
            ("person", str(target.staff_id))
            if isinstance(target, Recipient)
            else ("channel", target.key)
        )
        with self._lock:
            backlog = batch.queued.get(destination)
            if backlog is not None:
                backlog.wait += backlog.step
                job.failure = DeliveryError(
                    backlog.reason, retryable=True, retry_after=backlog.wait, deferred=True
                )
                return None
        if time.monotonic() >= batch.deadline:
            job.failure = DeliveryError(OUT_OF_TIME, retryable=True, deferred=True)
            return None
        self._attempt(job)
        failure = job.failure
        if failure is None or not failure.deferred:
            return None
        pause = failure.retry_after or 1.0
        if pause <= self._max_wait and time.monotonic() + pause < batch.deadline:
            job.failure = None
            return pause
        with self._lock:
            batch.queued.setdefault(destination, _Backlog(failure.reason, step=pause, wait=pause))
        return None

    def _attempt(self, job: _Job) -> None:
        """One try through the first platform that can reach the target: sets job.handle on
        success, job.failure otherwise (an adapter's own bug included, so nothing is lost)."""
        target, reply = job.target, job.reply
        assert target is not None
        assert reply is not None
        try:
            if job.update is not None:
                self._update_message(job, job.update, reply)
                return
            platform = job.route if job.route is not None else self._route(job)
            if platform is None:
                what = "person" if isinstance(target, Recipient) else "channel"
                job.failure = DeliveryError(
                    f"no connected platform can reach this {what}", retryable=False
                )
                return
            job.platform = platform.name
            if isinstance(target, Recipient):
                job.handle = platform.send_to_person(target, reply)
            else:
                job.handle = platform.post_to_channel(target, reply)
        except DeliveryError as exc:
            job.failure = exc
        except Exception as exc:  # an adapter bug must not lose the message
            log.exception("outbox message %s: unexpected error from %s", job.id, job.platform)
            job.failure = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)

    def _update_message(self, job: _Job, update: tuple[str, MessageHandle], reply: Reply) -> None:
        """Replace a message in place through the platform that delivered it."""
        name, handle = update
        job.platform, job.handle = name, handle
        platform = next((p for p in self._platforms if p.name == name), None)
        if platform is None:
            raise DeliveryError(
                f"{name} is not connected: cannot update the message", retryable=False
            )
        platform.update_message(handle, reply)

    # ------------------------------------------------------------------ record
    def _write(self, jobs: Sequence[_Job], report: DispatchReport) -> None:
        """Record outcomes in one transaction, only for rows still leased to this worker (a
        row whose lease ran out may already belong to another dispatcher). Plain UPDATEs by
        id, one executemany per kind of outcome: loading each row (and its payload) back
        through the ORM cost more than sending it did."""
        with self._uow_factory() as uow:
            mine = uow.outbox.still_claimed([job.id for job in jobs], self._worker)
            outcomes = [self._outcome(job, report) for job in jobs if job.id in mine]
            uow.outbox.record(outcomes, self._worker)
            uow.commit()

    def _outcome(self, job: _Job, report: DispatchReport) -> dict[str, Any]:
        """The columns to write for one finished job (with its "id"), counted in `report`."""
        done: dict[str, Any] = {"id": job.id, "claimed_by": None, "claimed_until": None}
        if job.dead:
            done["status"] = "dead"
            done["last_error"] = (job.last_error or "the sender stopped while sending")[:500]
            report.dead += 1
        elif job.failure is not None:
            done.update(self._failure(job, job.failure, report))
        else:
            done["status"] = "sent"
            done["sent_at"] = self._clock.now()
            done["platform"] = job.platform
            done["platform_ref"] = dict(job.handle)
            report.sent += 1
        return done

    def _failure(self, job: _Job, exc: DeliveryError, report: DispatchReport) -> dict[str, Any]:
        now = self._clock.now()
        done: dict[str, Any] = {"last_error": exc.reason[:500]}
        if exc.deferred:
            done["attempts"] = max(job.attempts - 1, 0)  # never attempted: not its fault
            done["status"] = "pending"
            wait_s = exc.retry_after or 1.0
            done["next_attempt_at"] = now + timedelta(seconds=wait_s)
            report.deferred += 1
            report.resume_in = wait_s if report.resume_in is None else min(report.resume_in, wait_s)
        elif not exc.retryable:
            done["status"] = "failed"
            report.unreachable += 1
            log.warning("outbox message %s undeliverable: %s", job.id, exc.reason)
        elif job.attempts >= self._max_attempts:
            done["status"] = "dead"
            report.dead += 1
            log.error(
                "outbox message %s dead after %s attempts: %s", job.id, job.attempts, exc.reason
            )
        else:
            delay = exc.retry_after if exc.retry_after is not None else backoff(job.attempts)
            done["status"] = "pending"
            done["next_attempt_at"] = now + timedelta(seconds=delay)
            report.retried += 1
        return done


class _Recorder:
    """Collects finished jobs and writes them in groups: after `every` successful sends or
    `seconds`, whichever comes first, and at the end of the batch. A send is only safe from
    being repeated once its row says "sent"; the groups keep that window small."""

    def __init__(self, write: Callable[[list[_Job]], None], every: int, seconds: float) -> None:
        self._write = write
        self._every = every
        self._seconds = seconds
        self._finished: list[_Job] = []
        self._sent = 0
        self._since = time.monotonic()

    def done(self, job: _Job) -> None:
        self._finished.append(job)
        if job.failure is None and not job.dead and job.reply is not None:
            self._sent += 1
        self.maybe_flush()

    def maybe_flush(self) -> None:
        due = time.monotonic() - self._since >= self._seconds
        if self._sent >= self._every or (self._sent and due):
            self.flush()

    def flush(self) -> None:
        if self._finished:
            self._write(self._finished)
        self._finished = []
        self._sent = 0
        self._since = time.monotonic()


def update_of(payload: Mapping[str, Any]) -> tuple[str, MessageHandle] | None:
    """An outbox payload may ask for a message already delivered to be replaced rather than a
    new one posted: {"reply": ..., "update": {"platform": "slack", "handle": {...}}} (critical
    alert corrections and retractions, the publisher's live status). Payloads without the key
    are posted as before."""
    wanted = payload.get("update")
    if not isinstance(wanted, Mapping):
        return None
    handle = wanted.get("handle")
    if not isinstance(handle, Mapping) or not wanted.get("platform"):
        return None
    return str(wanted["platform"]), {str(k): str(v) for k, v in handle.items()}
