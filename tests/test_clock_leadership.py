"""One clock leads; a standby takes over when the leader dies, without a duplicate reminder.

The unit test drives two Leadership objects on one database with a manual clock. The process
test runs two real `qihub clock` processes on PostgreSQL, kills the leader with SIGKILL and
times the handover (with a short lease so the test is quick; the default lease is asserted to
hand over within the 60 s the operations brief allows)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import QIHub
from handlers.clock import ManualClock
from handlers.leadership import CHECK_EVERY, TTL, Leadership
from store.db import make_engine
from store.models import Lease, OutboxMessage, ReminderSent
from tests.harness import Harness


def test_the_default_lease_hands_over_within_a_minute() -> None:
    assert TTL.total_seconds() + CHECK_EVERY <= 60


def test_one_leads_and_a_standby_takes_over_when_the_lease_runs_out(
    app: QIHub, clock: ManualClock
) -> None:
    first = Leadership(app.uow_factory, clock, "host:1")
    second = Leadership(app.uow_factory, clock, "host:2")
    assert first.check() is True
    assert second.check() is False
    clock.advance(timedelta(seconds=20))
    assert first.check() is True  # renewed
    clock.advance(timedelta(seconds=30))
    assert second.check() is False  # still within the renewed lease
    clock.advance(timedelta(seconds=15))  # the leader went quiet: its lease has run out
    assert second.check() is True
    assert first.check() is False  # it learns it no longer leads
    second.release()
    assert first.check() is True  # a clean stop hands over at once


def _lease_holder(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(Lease.holder).where(Lease.name == "clock"))
    finally:
        engine.dispose()


def _clock_process(url: str, tmp_path: Path) -> subprocess.Popen[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("QIHUB_", "DATABASE_URL", "SLACK_", "TEAMS_"))
    }
    environment.update(DATABASE_URL=url, CLOCK_LEASE_SECONDS="6", LOG_LEVEL="WARNING")
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "clock"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def clocks() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait_for(what: object, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if what():  # type: ignore[operator]
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s")


@pytest.mark.postgres
@pytest.mark.slow
def test_killing_the_leading_clock_hands_over_without_a_duplicate_reminder(
    hub: Harness, clocks: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    if hub.app.engine.dialect.name != "postgresql":
        pytest.skip("the handover test runs on PostgreSQL")
    hub.submit_idea()  # something the reminder rules look at
    url = hub.app.settings.database_url
    leader = _clock_process(url, tmp_path)
    clocks.append(leader)
    _wait_for(lambda: (_lease_holder(url) or "").endswith(f":{leader.pid}"), 60)
    standby = _clock_process(url, tmp_path)
    clocks.append(standby)
    time.sleep(3)
    assert (_lease_holder(url) or "").endswith(f":{leader.pid}")  # the standby waits
    leader.send_signal(signal.SIGKILL)
    leader.wait(timeout=10)
    took = _wait_for(lambda: (_lease_holder(url) or "").endswith(f":{standby.pid}"), 60)
    assert took <= 60
    time.sleep(2)  # the new leader ticks
    assert standby.poll() is None, standby.stdout.read() if standby.stdout else ""
    with hub.app.uow_factory() as uow:
        ledger = uow.session.execute(
            select(ReminderSent.rule, ReminderSent.item_key, ReminderSent.occasion)
        ).all()
        assert len(ledger) == len(set(ledger))  # each reminder once
        keys = uow.session.scalar(select(func.count(func.distinct(OutboxMessage.dedupe_key))))
        assert keys == uow.session.scalar(select(func.count()).select_from(OutboxMessage))
