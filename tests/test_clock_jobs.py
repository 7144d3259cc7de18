"""`qihub clock`'s schedule is one table (bot.clock.clock_jobs), registered by one loop under
fixed ids: registering it again replaces each job instead of adding a second, and the jobs a
standby must not run are skipped until this process leads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.app import QIHub
from bot.clock import REMINDER_SECONDS, clock_jobs, schedule
from handlers.leadership import Leadership


@pytest.fixture
def scheduler() -> Iterator[BackgroundScheduler]:
    started = BackgroundScheduler(timezone="UTC")
    started.start(paused=True)  # jobs are registered for real, none runs
    yield started
    started.shutdown(wait=False)


def test_the_table_is_registered_once_under_fixed_ids(
    app: QIHub, scheduler: BackgroundScheduler
) -> None:
    leadership = Leadership(app.uow_factory, app.clock, "clock-a")
    jobs = clock_jobs(app, leadership)
    ids = [job.id for job in jobs]
    assert ids[:4] == ["leadership", "reminders", "retention", "housekeeping"]
    assert len(set(ids)) == len(ids)
    assert all(job.description for job in jobs)

    for _ in range(2):  # a second registration replaces, never duplicates
        schedule(scheduler, jobs, leadership, app.clock.now())
    registered = scheduler.get_jobs()
    assert sorted(job.id for job in registered) == sorted(ids)
    assert all(job.max_instances == 1 and job.coalesce for job in registered)
    reminders = scheduler.get_job("reminders")
    assert reminders.trigger.interval == timedelta(seconds=REMINDER_SECONDS)
    assert str(scheduler.get_job("retention").trigger.fields[4]) == "mon"  # day_of_week


def test_led_jobs_run_only_while_this_clock_leads(
    app: QIHub, scheduler: BackgroundScheduler
) -> None:
    leadership = Leadership(app.uow_factory, app.clock, "clock-a")
    schedule(scheduler, clock_jobs(app, leadership), leadership, app.clock.now())
    housekeeping = scheduler.get_job("housekeeping")

    assert not leadership.leading
    assert housekeeping.func() is None, "a standby skips it"
    assert leadership.check()
    assert housekeeping.func() == 0, "the leader runs it (nothing to forget yet)"
    leadership.release()
