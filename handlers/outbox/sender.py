"""The outbox sender: claims due messages, delivers them through a platform, records results.

Claims are leases: a sender that dies mid-send leaves rows that another picks up once the
lease expires. Failures back off with jitter; after `max_attempts` a message is dead-lettered
with its reason, never dropped silently.

For a broadcast (tens of thousands of rows) the same loop runs with `concurrency` sending
threads for each platform (a few routing threads hand each job to the platform that will carry
it) and `max_wait`: a message whose platform is paused, or whose budget is momentarily spent,
is set aside and tried again when the wait is over (the rows are leased to us) instead of
being written back as deferred and claimed again a second later, and without holding a thread
another platform's messages could use. Outcomes are recorded in small groups while the batch
is still sending, so a sender killed mid-batch re-sends at most the messages that were
sent but not yet recorded: the group being collected plus the sends in flight, never a whole
batch.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from handlers.clock import Clock
from handlers.config import OrgConfig
from handlers.outbox.claim import Job, claimed_jobs
from handlers.outbox.later import Later
from handlers.outbox.outcome import DEFERRAL_SECONDS, classify
from handlers.outbox.record import Recorder, write_outcomes
from handlers.outbox.report import SendReport
from handlers.platform import DeliveryError, MessageHandle, Platform, Recipient
from messages.view import Reply
from store.uow import UnitOfWork

log = logging.getLogger(__name__)

OUT_OF_TIME = "the batch ran out of time before this message's turn"
NO_DIRECT = "this process does not send {via} (is NOTIFY_API_KEY set for the clock?)"
"""Retried (an attempt spent): another process (the clock) may send it; dead-lettered with this
reason when none does."""
ROUTING = "routing"


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
    finished: queue.SimpleQueue[Job] = field(default_factory=queue.SimpleQueue)
    """Jobs handed back, however they went, for the claiming thread to record."""
    queued: dict[tuple[str, str], _Backlog] = field(default_factory=dict)
    """Destinations out of budget in this batch, and how far back their next message goes."""


class OutboxSender:
    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        platforms: Sequence[Platform],
        config: OrgConfig,
        clock: Clock,
        *,
        direct: Sequence[Platform] = (),
        worker: str = "sender",
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
        (a broadcast) are left to that process. The web process's sender uses it: each
        process paces itself to the whole budget, so web replicas joining in a broadcast would
        send at a multiple of the rate Slack and Teams allow.
        `direct`: channels a message must name to be sent through (`via`: GOV.UK Notify's
        "sms" and "email"); never chosen to reach someone a chat platform does not."""
        self._uow_factory = uow_factory
        self._platforms = list(platforms)
        self._direct = {p.name: p for p in direct}
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
    def run_once(self) -> SendReport:
        """Deliver one batch of due messages. Safe to call from several processes at once.

        Claim and read in one short transaction, send with no transaction open (a network
        call must never hold SQLite's write lock), record outcomes in a few more. Sends that
        have not started when half the lease has gone are released, never attempted, so no
        message is ever sent after another sender may have reclaimed it.
        """
        report = SendReport()
        if not self._platforms and not self._direct:
            return report
        with self._uow_factory() as uow:
            now = self._clock.now()
            bulk = self._leave_bulk_to is None or not uow.leases.held(self._leave_bulk_to, now)
            rows = uow.outbox.claim_due(now, self._worker, self._batch, self._lease, bulk=bulk)
            jobs = claimed_jobs(uow, rows, self._config, self._max_attempts)
            uow.commit()
        report.claimed = len(jobs)
        if not jobs:
            return report
        self._prepare_platforms(jobs)
        batch = _Batch(deadline=time.monotonic() + self._lease.total_seconds() / 2)
        recorder = Recorder(
            lambda done: write_outcomes(self._uow_factory, self._clock, self._worker, done, report),
            self._record_every,
            self._record_seconds,
        )
        if self._concurrency == 1 or len(jobs) == 1:
            for job in jobs:
                self._send_here(job, batch)
                recorder.done(batch.finished.get_nowait())
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

    def drain(self, max_rounds: int = 100) -> SendReport:
        """Run batches until nothing is due (the console and tests deliver synchronously)."""
        total = SendReport()
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
    def _prepare_platforms(self, jobs: Sequence[Job]) -> None:
        """Let each platform look up a whole batch at once (Teams reads the batch's 1:1 chats
        in one query). Only an optimisation: a failure is logged and each send looks its
        recipient up itself."""
        people = [
            job.target for job in jobs if isinstance(job.target, Recipient) and job.via is None
        ]
        if not people:
            return
        for platform in self._platforms:
            try:
                platform.prepare(people)
            except Exception:
                log.exception("%s could not prepare a batch; sending without", platform.name)

    # ------------------------------------------------------------------ send
    def _route_into(self, job: Job, batch: _Batch) -> None:
        """A routing thread's work: choose the job's platform (which may mean looking the
        person up) and hand the job to that platform's sending threads."""
        try:
            job.route = self._route(job)
        except Exception:  # a lookup failed: the send itself will try every platform again
            log.exception("outbox message %s: could not choose a platform", job.id)
        pool = self._executor(job.route.name if job.route is not None else "")
        pool.submit(self._send_pooled, job, batch)

    def _route(self, job: Job) -> Platform | None:
        """The first platform that can reach the job's target (None: nothing to send, or no
        platform can, which the attempt reports)."""
        target = job.target
        if not job.to_try or target is None:
            return None
        if job.via is not None:
            return self._direct.get(job.via)  # only by name: never a chat platform
        if job.update is not None:
            return next((p for p in self._platforms if p.name == job.update[0]), None)
        for platform in self._platforms:
            if isinstance(target, Recipient):
                if platform.can_reach_person(target):
                    return platform
            elif platform.can_reach_channel(target):
                return platform
        return None

    def _send(self, job: Job, batch: _Batch) -> float | None:
        """The one path every claimed job takes, whichever thread runs it: try it once, then
        either finish it (its outcome decided and handed back to be recorded) or, when it must
        wait a moment for its platform (a 429's pause, a spent budget), return how long; the
        caller tries it again then, by sleeping (one sending thread) or by setting it aside."""
        try:
            wait = self._try(job, batch)
        except BaseException as exc:  # _attempt catches adapters' errors; this is a bug here
            job.failure = DeliveryError(f"unexpected {type(exc).__name__}", retryable=True)
            self._finish(job, batch)
            raise
        if wait is not None and self._closing:
            job.failure = DeliveryError(
                "the sender stopped", retryable=True, retry_after=wait, deferred=True
            )
            wait = None
        if wait is None:
            self._finish(job, batch)
        return wait

    def _finish(self, job: Job, batch: _Batch) -> None:
        """Decide what became of the job and hand it back to the claiming thread to record."""
        job.outcome = classify(
            job.failure,
            job.attempts,
            self._max_attempts,
            last_error=job.last_error,
            draw=random.random(),  # noqa: S311 (jitter, not crypto)
        )
        batch.finished.put(job)

    def _send_here(self, job: Job, batch: _Batch) -> None:
        """Send one job in the caller's thread, waiting in place when it must wait."""
        while (wait := self._send(job, batch)) is not None:
            time.sleep(wait)

    def _send_pooled(self, job: Job, batch: _Batch) -> None:
        """A sending thread's work. The thread never sleeps holding a job that must wait: it
        is set aside and resubmitted when the wait is over, so while Teams is paused the
        threads keep sending Slack's messages, and the other way round."""
        wait = self._send(job, batch)
        if wait is not None:
            pool = self._executor(job.route.name if job.route is not None else "")
            self._later().call(wait, lambda: pool.submit(self._send_pooled, job, batch))

    def _try(self, job: Job, batch: _Batch) -> float | None:
        """Try one job once. Returns how long to wait before trying it again, or None when it
        is finished (sent, failed or deferred: see job.failure).

        A destination whose budget is spent is not asked again in this batch: its later
        messages queue behind, each one slot further back, so a backlog drains at the
        platform's pace instead of every deferred message coming due at the same moment. A
        deferral no longer than `max_wait` is waited out instead (the message is ours until
        the lease ends), which keeps a broadcast at the budget's pace without writing each
        waiting row back to the database."""
        target = job.target
        if not job.to_try or target is None:
            return None
        destination = (
            (f"person{':' + job.via if job.via else ''}", str(target.staff_id))
            if isinstance(target, Recipient)
            else ("channel", target.key)
        )  # a person's held text never holds back their email or chat message
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
        pause = failure.retry_after or DEFERRAL_SECONDS
        if pause <= self._max_wait and time.monotonic() + pause < batch.deadline:
            job.failure = None
            return pause
        with self._lock:
            batch.queued.setdefault(destination, _Backlog(failure.reason, step=pause, wait=pause))
        return None

    def _attempt(self, job: Job) -> None:
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
            if platform is None and job.via is not None:
                job.failure = DeliveryError(NO_DIRECT.format(via=job.via), retryable=True)
                return
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

    def _update_message(self, job: Job, update: tuple[str, MessageHandle], reply: Reply) -> None:
        """Replace a message in place through the platform that delivered it."""
        name, handle = update
        job.platform, job.handle = name, handle
        platform = next((p for p in self._platforms if p.name == name), None)
        if platform is None:
            raise DeliveryError(
                f"{name} is not connected: cannot update the message", retryable=False
            )
        platform.update_message(handle, reply)
