"""`qihub clock`: APScheduler ticks the reminder rules and the outbox dispatcher.

The scheduler only ticks: reminders are rows and the ledger makes each one fire once, so a
second clock process is harmless (it finds nothing left to claim).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from datetime import timedelta
from typing import Any

from bot.app import QIHub, create_app
from bot.delivery import connected_platforms
from bot.settings import Settings
from handlers.context import SYSTEM, Context
from handlers.delivery import Dispatcher
from handlers.reminders import tick
from store.migrate import current_revision, head_revision

log = logging.getLogger(__name__)


def reminder_tick(app: QIHub) -> int:
    with app.uow_factory() as uow:
        report = tick(Context(app.services, uow, SYSTEM, "clock"), app.rules)
        uow.commit()
    if report.total:
        log.info("reminders raised: %s", report.raised)
    return report.total


INBOUND_MEMORY = timedelta(days=1)
"""Slack retries an event for about an hour; a day of replay keys is plenty."""


def housekeeping(app: QIHub) -> int:
    """Forget replay keys no platform will retry any more."""
    with app.uow_factory() as uow:
        forgotten = uow.inbound.forget_before(app.clock.now() - INBOUND_MEMORY)
        uow.commit()
    return forgotten


def _directory_sync(app: QIHub, scheduler: Any) -> int | None:
    """With a complete Teams app registration, keep the staff directory in step with Microsoft
    Graph (delta queries: each run asks only for what changed). Returns the interval in minutes."""
    settings = app.settings
    if not (settings.teams_client_id and settings.teams_client_secret and settings.teams_tenant_id):
        return None
    from bot.teams.auth import GRAPH_SCOPE, MsalTokenSource
    from bot.teams.graph import GraphClient, sync_directory_job

    client = GraphClient(settings, MsalTokenSource(settings, GRAPH_SCOPE))
    scheduler.add_job(
        sync_directory_job,
        "interval",
        args=[app, client],
        minutes=settings.directory_sync_minutes,
        next_run_time=app.clock.now(),
        id="directory",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    return settings.directory_sync_minutes


def run_clock(settings: Settings) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    app = create_app(settings)
    if current_revision(app.engine) != head_revision():
        from handlers.config import ConfigError

        raise ConfigError("", "the database is not up to date; run `qihub db upgrade` first")
    app.sync_directory()
    platforms = connected_platforms(app)
    if not platforms:
        log.warning(
            "no chat platform is configured: messages wait in the outbox until Slack "
            "or Teams credentials are set"
        )
    worker = f"{socket.gethostname()}:{os.getpid()}"
    dispatcher = Dispatcher(app.uow_factory, platforms, app.config, app.clock, worker=worker)
    scheduler = BlockingScheduler(timezone=app.config.organisation.timezone)
    scheduler.add_job(
        reminder_tick,
        "interval",
        args=[app],
        seconds=60,
        id="reminders",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        housekeeping,
        "interval",
        args=[app],
        hours=1,
        id="housekeeping",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    scheduler.add_job(
        dispatcher.run_once,
        "interval",
        seconds=5,
        id="outbox",
        replace_existing=True,
        max_instances=1,
        coalesce=True,
    )
    directory = _directory_sync(app, scheduler)
    print(
        f"qihub clock: ticking reminders every 60 s and the outbox every 5 s as {worker}"
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
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        app.engine.dispose()
    return 0
