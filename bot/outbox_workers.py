"""Delivery for the long-running processes: which platforms are connected, the broadcast
sender `qihub clock` runs continuously, and a sender the web process can nudge so a
decision's notification goes out in a second, not at the clock's next pass. All are safe
together: claims are leases."""

from __future__ import annotations

import gc
import logging
import math
import os
import socket
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO

from bot.app import QIHub
from bot.settings import Settings
from handlers.clock import Clock
from handlers.outbox.report import SendReport
from handlers.outbox.sender import OutboxSender
from handlers.platform import DIRECT_VIAS, Platform
from store.db import sqlite_file
from store.uow import UnitOfWork

log = logging.getLogger(__name__)


def connected_platforms(hub: QIHub, *, teams_token: str | None = None) -> list[Platform]:
    """Every chat platform with credentials, in order of preference for reaching a person.

    `teams_token` stands in for Entra ID in tests (a fixed Bot Connector token)."""
    platforms: list[Platform] = []
    settings = hub.settings
    if settings.slack_bot_token is not None:
        from bot.slack.app import slack_platform, web_client

        platforms.append(slack_platform(settings, web_client(settings), _slack_ids(hub)))
    if settings.teams_client_id is not None:
        from bot.teams.auth import StaticToken
        from bot.teams.platform import teams_platform

        platforms.append(
            teams_platform(hub, StaticToken(teams_token) if teams_token is not None else None)
        )
    return platforms


def _slack_ids(hub: QIHub) -> Callable[[int, str], None]:
    """Keep each Slack id found by email on the person's record (who Slack reaches is then
    known before the next alert is approved, store.repos.reach)."""

    def remember(staff_id: int, slack_id: str) -> None:
        with hub.uow_factory() as uow:
            staff = uow.staff.get(staff_id)
            if staff is not None and staff.slack_user_id != slack_id:
                uow.staff.link_slack(staff, slack_id)
                uow.commit()

    return remember


def freeze_startup_heap() -> None:
    """Take what a long-running process has loaded before it starts work out of the garbage
    collector's sight (gc.freeze): it lives as long as the process anyway. Otherwise every
    full collection walks the whole startup heap (the libraries, the ORM's mappings), which
    took 120-140 ms in the broadcast benchmark: a stall in which no message is sent, after
    which the held-up sends leave together."""
    gc.collect()
    gc.freeze()


def worker_name(role: str) -> str:
    return f"{role}:{socket.gethostname()}:{os.getpid()}"


class OutboxKicker:
    """A background thread that drains the outbox whenever it is kicked.

    Kicks are coalesced: however many requests arrive, it drains at most every `interval`
    seconds, so a burst of submissions costs a few delivery passes, not one each.
    """

    def __init__(self, sender: OutboxSender, interval: float = 0.2) -> None:
        self._interval = interval
        self._sender = sender
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox-kicker", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._sender.drain(max_rounds=20)
            except Exception:  # the clock process retries whatever is left
                log.exception("outbox delivery from the web process failed")
            self._stop.wait(self._interval)


# ---------------------------------------------------------------------- the broadcast sender
BATCH_SECONDS = 2.0
"""A claim holds about this many seconds of the platforms' combined budget: big enough that a
claim's cost (one sorted query) is spread over many sends, small enough that a sender
killed mid-batch leaves few rows waiting for their lease to end."""
ROUND_TRIP_SECONDS = 0.25
"""A pessimistic chat API round trip: enough sending threads to keep every budget busy."""
WAIT_IN_PLACE_SECONDS = 2.0
"""Budget waits up to this long are waited out holding the lease (see OutboxSender.max_wait)."""


def platform_rate(settings: Settings, platform: Platform) -> float:
    """The sustained send rate one platform's configured budget allows: Slack's workspace
    budget, Teams' per-tenant budget (the per-channel and per-conversation ones do not bind
    when every recipient has their own DM). Unknown platforms count as 10 a second."""
    if platform.name == "slack":
        return settings.slack_messages_per_minute / 60
    if platform.name == "teams":
        return float(settings.teams_tenant_requests_per_second)
    if platform.name in DIRECT_VIAS:  # texts and emails share Notify's one rate limit
        return settings.notify_requests_per_minute / 60
    return 10.0


def direct_channels(hub: QIHub) -> list[Platform]:
    """GOV.UK Notify's text and email channels when NOTIFY_API_KEY is set. Only the clock's
    sender gets them: one process, so one token bucket against Notify's one rate limit."""
    from bot.notify.platform import notify_channels

    return list(notify_channels(hub.settings, hub.config.notify))


def sends_per_second(settings: Settings, platforms: Sequence[Platform]) -> float:
    """The sustained send rate of all the platforms together (Notify's channels once)."""
    counted = {p.name: p for p in platforms if p.name not in DIRECT_VIAS}
    direct = next((p for p in platforms if p.name in DIRECT_VIAS), None)
    if direct is not None:
        counted[direct.name] = direct
    return sum(platform_rate(settings, platform) for platform in counted.values())


def broadcast_sender(
    app: QIHub,
    platforms: list[Platform],
    *,
    worker: str,
    lease: timedelta = timedelta(minutes=2),
    max_attempts: int = 8,
    direct: Sequence[Platform] = (),
) -> OutboxSender:
    """A sender sized to the platforms' budgets: claims of about BATCH_SECONDS of sends
    (10 to 500 rows), enough threads for the busiest platform's budget at ROUND_TRIP_SECONDS
    per call (2 to 16, for each platform), and short budget waits taken in place rather than
    written back as deferrals."""
    rate = sends_per_second(app.settings, [*platforms, *direct])
    busiest = max((platform_rate(app.settings, p) for p in [*platforms, *direct]), default=rate)
    batch = min(500, max(10, math.ceil(rate * BATCH_SECONDS)))
    threads = min(16, max(2, math.ceil(busiest * ROUND_TRIP_SECONDS)))
    return OutboxSender(
        app.uow_factory,
        platforms,
        app.config,
        app.clock,
        direct=direct,
        worker=worker,
        batch=batch,
        lease=lease,
        max_attempts=max_attempts,
        concurrency=threads,
        max_wait=WAIT_IN_PLACE_SECONDS,
    )


class SenderLock:
    """On SQLite, one continuous sender per database file (an flock on `<db>.dispatch`,
    the name it had before the outbox was renamed, so an older clock still excludes this one).

    Two would be safe (claims are taken under BEGIN IMMEDIATE, so no row is claimed twice),
    but they would only fight over SQLite's single writer lock for no extra throughput: the
    platforms' budgets are per workspace and tenant, not per process. PostgreSQL needs no lock:
    FOR UPDATE SKIP LOCKED shares the queue out. Where flock is missing the lock always holds.
    """

    def __init__(self, database_url: str) -> None:
        database = sqlite_file(database_url)
        self._path: Path | None = None
        if database is not None:
            self._path = database.resolve().with_name(database.name + ".dispatch")
        self._file: IO[bytes] | None = None
        self._guard = threading.Lock()  # the loop's lanes share one lock file

    def acquire(self) -> bool:
        """Take the lock without waiting; True if this process holds it now."""
        with self._guard:
            if self._path is None or self._file is not None:
                return True
            try:
                import fcntl
            except ImportError:  # not on Linux or macOS
                return True
            handle = self._path.open("ab")
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                return False
            self._file = handle
            return True

    def release(self) -> None:
        with self._guard:
            if self._file is not None:
                self._file.close()  # closing the file releases the flock
                self._file = None


class OutboxLoop:
    """Drain the outbox continuously: batch after batch while anything is due, so a broadcast
    moves at the platforms' pace, not one batch per scheduler tick. When a batch only
    deferred (a platform paused by a 429) it sleeps until the first deferral is due instead of
    claiming and deferring the rest of the queue; when nothing is due it sleeps until the next
    row is (at most `idle_poll` seconds, so work queued by other processes is seen soon).

    With `may_send`, a loop sends only while it returns True: a standby `qihub clock` leaves
    the outbox to the leading one, because the platforms' budgets are per workspace and tenant
    and two senders each pacing to the whole budget would send at twice the rate allowed.

    `lanes` loops share the sender (its sending threads and the platforms' budgets): while
    one lane records its batch and claims the next, the other's messages are being sent, so
    the budget is not left idle between batches. The sending threads take work first come,
    first served, so the lanes settle into turns of their own accord.
    """

    def __init__(
        self,
        sender: OutboxSender,
        uow_factory: Callable[[], UnitOfWork],
        clock: Clock,
        *,
        database_url: str,
        idle_poll: float = 1.0,
        lanes: int = 6,
        may_send: Callable[[], bool] | None = None,
    ) -> None:
        self._sender = sender
        self._uow_factory = uow_factory
        self._clock = clock
        self._lock = SenderLock(database_url)
        self._idle_poll = idle_poll
        self._lanes = max(1, lanes)
        self._may_send = may_send
        self._total_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.total = SendReport()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="outbox-loop", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60) -> None:
        """Finish the batch in hand (its outcomes are recorded), then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._sender.close()
        self._lock.release()

    def run(self, *, until_idle: bool = False) -> SendReport:
        """Loop until stopped (or, with `until_idle`, until no row is pending or leased)."""
        helpers = [
            threading.Thread(target=self._lane, args=(until_idle,), name=f"outbox-lane-{n}")
            for n in range(1, self._lanes)
        ]
        for helper in helpers:
            helper.start()
        self._lane(until_idle)
        for helper in helpers:
            helper.join()
        return self.total

    def _lane(self, until_idle: bool) -> None:
        waiting_for_lock = False
        while not self._stop.is_set():
            if self._may_send is not None and not self._may_send():
                self._lock.release()  # on SQLite, let the leading clock's loop take it
                self._stop.wait(self._idle_poll)
                continue
            if not self._lock.acquire():
                if not waiting_for_lock:
                    log.warning("another process is sending from this SQLite outbox; standing by")
                    waiting_for_lock = True
                self._stop.wait(self._idle_poll)
                continue
            waiting_for_lock = False
            try:
                report = self._sender.run_once()
            except Exception:  # the database went away for a moment: try again shortly
                log.exception("outbox delivery failed; retrying")
                self._stop.wait(self._idle_poll)
                continue
            with self._total_lock:
                self.total.add(report)
            if report.progressed:
                continue
            if report.claimed:  # everything was deferred: wait for the first to come due
                self._stop.wait(min(report.resume_in or self._idle_poll, self._idle_poll))
                continue
            pause = self._seconds_to_next_due()
            if pause is None and until_idle:
                return
            self._stop.wait(self._idle_poll if pause is None else min(pause, self._idle_poll))

    def _seconds_to_next_due(self) -> float | None:
        """Seconds until the next row comes due (a little if one is due now), None if no row
        is pending or leased."""
        with self._uow_factory() as uow:
            now = self._clock.now()
            when = uow.outbox.next_due(now)
        if when is None:
            return None
        return max((when - now).total_seconds(), 0.05)
