"""`qihub clock`: APScheduler ticks the reminder rules; the outbox sender drains
continuously beside it.

The scheduler only ticks: reminders are rows and the ledger makes each one fire once, so a
second clock process is harmless (it finds nothing left to claim). The outbox is not a tick:
a broadcast to every member of staff has to move at the platforms' pace, so a dedicated thread
runs batch after batch while anything is due and sleeps until the next row is due otherwise
(bot.outbox_workers.OutboxLoop). On SQLite only one clock per database file sends.

One clock leads (handlers.leadership): the scheduled jobs run only in the process holding the
database lease; any other `qihub clock` is a standby that takes over within a minute of the
leader dying, and steps in at once when the leader stops cleanly.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.app import QIHub, create_app, require_current_schema
from bot.notify.poll import receipt_poller
from bot.outbox_workers import (
    OutboxLoop,
    broadcast_sender,
    connected_platforms,
    direct_channels,
    freeze_startup_heap,
)
from bot.settings import Settings
from handlers.context import SYSTEM, Context
from handlers.heartbeat import beat
from handlers.leadership import CHECK_EVERY, Leadership
from handlers.platform import Platform
from handlers.reminders import tick
from handlers.retention import queue_retention_review

log = logging.getLogger(__name__)


def reminder_tick(app: QIHub, holder: str = "clock") -> int:
    """One pass of the reminder rules, and the heartbeat that says the clock is alive (in
    the same transaction: a tick that fails is no heartbeat; see handlers.heartbeat)."""
    with app.uow_factory() as uow:
        report = tick(Context(app.services, uow, SYSTEM, "clock"), app.rules)
        beat(uow, holder, app.clock.now())
        uow.commit()
    if report.total:
        log.info("reminders raised: %s", report.raised)
    return report.total


INBOUND_MEMORY = timedelta(days=1)
"""Slack retries an event for about an hour; a day of replay keys is plenty."""


def housekeeping(app: QIHub) -> int:
    """Forget replay keys no platform will retry any more, and form sessions that expired a
    day ago (a late submit of one is told it expired until then, not that it is unknown)."""
    with app.uow_factory() as uow:
        now = app.clock.now()
        forgotten = uow.inbound.forget_before(now - INBOUND_MEMORY)
        forgotten += uow.forms.forget_before(now - INBOUND_MEMORY)
        uow.commit()
    return forgotten


def retention_review(app: QIHub) -> int:
    """Weekly: tell admins which records are past their retention period (never deletes)."""
    with app.uow_factory() as uow:
        queued = queue_retention_review(uow, app.config, app.clock.now())
        uow.commit()
    return queued


def _led(leadership: Leadership, job: Callable[[], object]) -> Callable[[], object]:
    """`job`, run only while this process leads the clock (a standby skips it)."""

    def run() -> object:
        if leadership.leading:
            return job()
        return None

    return run


REMINDER_SECONDS = 60
RECEIPT_POLL_SECONDS = 60


@dataclass(frozen=True)
class ClockJob:
    """One scheduled job of `qihub clock`, as data, so the whole schedule reads as one table."""

    id: str
    """Fixed, so registering again replaces the job rather than adding a second."""
    trigger: str
    """An APScheduler trigger ("interval" or "cron"), with its fields in `when`."""
    when: Mapping[str, Any]
    run: Callable[[], object]
    description: str
    led: bool = True
    """Run only in the process that leads the clock (handlers.leadership)."""
    start_now: bool = False
    """Run once at start-up, not only after the first interval."""


def clock_jobs(
    app: QIHub, leadership: Leadership, direct: Sequence[Platform] = ()
) -> list[ClockJob]:
    """The clock's schedule. Every job is a short pass over rows (reminders and the rest are
    ledgered, so a missed or doubled run is harmless); sending lives in the outbox loop.
    `direct`: the sender's Notify channels, whose rate limit the receipt poll shares."""
    settings = app.settings
    jobs = [
        ClockJob(
            "leadership",
            "interval",
            {"seconds": min(CHECK_EVERY, settings.clock_lease_seconds / 4)},
            leadership.check,
            "take or renew the clock's lease; a standby takes over when the leader dies",
            led=False,
        ),
        ClockJob(
            "reminders",
            "interval",
            {"seconds": REMINDER_SECONDS},
            partial(reminder_tick, app, leadership.me),
            "raise the reminders the rules find due, and note the clock's heartbeat",
        ),
        ClockJob(
            "retention",
            "cron",
            {"day_of_week": "mon", "hour": 7},
            partial(retention_review, app),
            "weekly: tell admins which records are past their retention period",
        ),
        ClockJob(
            "housekeeping",
            "interval",
            {"hours": 1},
            partial(housekeeping, app),
            "forget replay keys no platform will retry any more",
        ),
    ]
    poller = receipt_poller(app, direct)
    if poller is not None:
        jobs.append(
            ClockJob(
                "notify-receipts",
                "interval",
                {"seconds": RECEIPT_POLL_SECONDS},
                poller,
                "ask GOV.UK Notify whether texts and emails arrived (NOTIFY_RECEIPTS polling)",
            )
        )
    directory = _directory_sync(app)
    if directory is not None:
        jobs.append(
            ClockJob(
                "directory",
                "interval",
                {"minutes": settings.directory_sync_minutes},
                directory,
                "keep the staff directory in step with Microsoft Graph (delta queries)",
                start_now=True,
            )
        )
    return jobs


def _directory_sync(app: QIHub) -> Callable[[], object] | None:
    """With a complete Teams app registration, a directory sync from Microsoft Graph (each run
    asks only for what changed); None without one."""
    settings = app.settings
    if not (settings.teams_client_id and settings.teams_client_secret and settings.teams_tenant_id):
        return None
    from bot.teams.auth import GRAPH_SCOPE, MsalTokenSource
    from bot.teams.directory_sync import sync_directory_job
    from bot.teams.graph import GraphClient

    client = GraphClient(settings, MsalTokenSource(settings, GRAPH_SCOPE))
    return partial(sync_directory_job, app, client)


def schedule(
    scheduler: Any, jobs: Sequence[ClockJob], leadership: Leadership, now: datetime
) -> None:
    """Register the table: fixed ids, replace_existing, one instance of each at a time, and
    runs missed while busy coalesced into one."""
    for job in jobs:
        scheduler.add_job(
            _led(leadership, job.run) if job.led else job.run,
            job.trigger,
            id=job.id,
            name=job.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            **({"next_run_time": now} if job.start_now else {}),
            **job.when,
        )


def run_clock(settings: Settings) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = create_app(settings)
    require_current_schema(app)
    app.sync_directory()
    platforms = connected_platforms(app)
    if not platforms:
        log.warning(
            "no chat platform is configured: messages wait in the outbox until Slack "
            "or Teams credentials are set"
        )
    worker = f"{socket.gethostname()}:{os.getpid()}"
    direct = direct_channels(app)
    sender = broadcast_sender(app, platforms, worker=worker, direct=direct)
    scheduler = BlockingScheduler(timezone=app.config.organisation.timezone)
    leadership = Leadership(
        app.uow_factory, app.clock, worker, ttl=timedelta(seconds=settings.clock_lease_seconds)
    )
    outbox = OutboxLoop(
        sender,
        app.uow_factory,
        app.clock,
        database_url=app.settings.database_url,
        may_send=lambda: leadership.leading,  # a standby leaves delivery to the leader
    )
    leadership.check()
    jobs = clock_jobs(app, leadership, direct)
    schedule(scheduler, jobs, leadership, app.clock.now())
    directory = settings.directory_sync_minutes if any(j.id == "directory" for j in jobs) else None
    role = "leads the clock" if leadership.leading else "is a standby (another clock leads)"
    print(
        f"qihub clock: ticking reminders every {REMINDER_SECONDS} s and draining the outbox "
        f"continuously "
        f"({sender.batch} a claim); {worker} {role}"
        + (
            f"; syncing the directory from Microsoft Graph every {directory} min"
            if directory
            else ""
        ),
        flush=True,
    )

    def stop(signum: int, _frame: object) -> None:
        log.warning("signal %s: finishing the running jobs, then stopping", signum)
        scheduler.shutdown(wait=True)

    signal.signal(signal.SIGTERM, stop)
    freeze_startup_heap()
    if platforms:
        outbox.start()
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        outbox.stop()  # the batch in hand is recorded before the process ends
        leadership.release()  # a standby need not wait for the lease to run out
        app.engine.dispose()
    return 0
