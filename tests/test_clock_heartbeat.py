"""A stopped clock is noticed: the leading clock's reminder tick writes a heartbeat; the web
process (over HTTP) says "degraded" on /healthz and shows the heartbeat's age on /metrics,
and tells the admins in chat, through the outbox, once per outage and again when the clock
is back. Real parts throughout: bot.clock's tick, the web app, the outbox to a fake platform."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from bot.clock import reminder_tick
from bot.clock_watch import ClockWatch
from bot.web import create_web_app
from messages.view import Reply
from tests.harness import ALEX, HELEN, NADIA, Harness

LOCAL = ("127.0.0.1", 50000)


@pytest.fixture
def web(hub: Harness) -> Iterator[tuple[FastAPI, TestClient]]:
    made = create_web_app(hub.app)
    with TestClient(made, client=LOCAL) as client:
        yield made, client


def _watch(made: FastAPI) -> ClockWatch:
    watch = made.state.clock_watch
    assert isinstance(watch, ClockWatch)
    return watch


def _admins(hub: Harness) -> set[str]:
    with hub.app.uow_factory() as uow:
        return {s.email for s in uow.staff.with_role("admin")}


def _clock_messages(hub: Harness) -> dict[str, list[str]]:
    said: dict[str, list[str]] = {}
    for sent in hub.platform.sent:
        if "QI Hub's clock" in sent.reply.summary:
            said.setdefault(sent.to, []).append(sent.reply.summary)
    return said


def test_healthz_degrades_and_metrics_show_the_age_when_no_clock_has_ticked_for_five_minutes(
    hub: Harness, web: tuple[FastAPI, TestClient]
) -> None:
    _, client = web
    reminder_tick(hub.app, "clock-a")
    hub.clock.advance(timedelta(minutes=4, seconds=59))
    assert client.get("/healthz").json() == {
        "status": "ok",
        "database": "up",
        "clock": "ticking",
        "clock_last_tick_seconds": 299,
    }
    hub.clock.advance(timedelta(seconds=1))
    stopped = client.get("/healthz")
    assert stopped.status_code == 200, "the web still serves: the load balancer keeps it"
    assert stopped.json() == {
        "status": "degraded",
        "database": "up",
        "clock": "stopped",
        "clock_last_tick_seconds": 300,
    }
    assert "qihub_clock_heartbeat_age_seconds 300.0" in client.get("/metrics").text
    reminder_tick(hub.app, "clock-b")  # a standby took over
    assert client.get("/healthz").json()["status"] == "ok"


def test_metrics_keep_their_token_rule(hub: Harness) -> None:
    """The heartbeat's age is behind the same door as every other figure."""
    with TestClient(create_web_app(hub.app), client=("198.51.100.7", 1)) as remote:
        assert remote.get("/metrics").status_code == 401


def test_admins_are_told_once_per_outage_and_again_when_the_clock_is_back(
    hub: Harness, web: tuple[FastAPI, TestClient]
) -> None:
    made, client = web
    watch = _watch(made)
    other_replica = ClockWatch(hub.app, lambda: None)  # a second web process watching too
    admins = _admins(hub)
    assert NADIA in admins and ALEX not in admins and HELEN not in admins
    hub.clock.set(hub.clock.now().replace(hour=14, minute=0))
    reminder_tick(hub.app, "clock-a")
    hub.clock.advance(timedelta(minutes=4))
    assert watch.check() is None
    hub.clock.advance(timedelta(minutes=2))
    assert watch.check() == "stopped"
    assert other_replica.check() is None, "one web process speaks for the outage"
    hub.clock.advance(timedelta(minutes=30))
    assert watch.check() is None, "once per outage, not every half minute"
    assert client.get("/healthz").json()["status"] == "degraded"
    hub.deliver()
    told = _clock_messages(hub)
    assert set(told) == admins
    assert told[NADIA] == [
        "QI Hub's clock has stopped: it has not ticked since 14:00 on Thu 26 Nov (6 minutes). "
        "Reminders and alert follow-ups are not going out."
    ]
    card = hub.platform.to(NADIA)[-1]
    assert isinstance(card, Reply)
    words = " ".join(getattr(block, "text", "") for block in card.blocks)
    assert "critical alerts are not sent again to people who have not acknowledged" in words
    assert "committee digests" in words and "restart the `qihub clock`" in words

    reminder_tick(hub.app, "clock-b")
    assert other_replica.check() == "back"
    assert watch.check() is None
    hub.deliver()
    told = _clock_messages(hub)
    assert told[NADIA][1:] == [
        "QI Hub's clock is running again. Reminders that fell due while it was stopped go out "
        "now, each once (the latest one due, not one for every minute missed)."
    ]
    assert all(len(said) == 2 for said in told.values())

    hub.clock.advance(timedelta(minutes=5))  # a second outage is a second message
    assert watch.check() == "stopped"
    hub.deliver()
    assert len(_clock_messages(hub)[NADIA]) == 3


def test_a_clock_that_never_started_is_noticed_five_minutes_after_the_web_started(
    hub: Harness, web: tuple[FastAPI, TestClient]
) -> None:
    made, client = web
    hub.clock.advance(timedelta(minutes=4))
    assert _watch(made).check() is None
    assert client.get("/healthz").json()["clock"] == "ticking"
    hub.clock.advance(timedelta(minutes=1))
    assert client.get("/healthz").json()["status"] == "degraded"
    assert _watch(made).check() == "stopped"
    hub.deliver()
    assert _clock_messages(hub)[NADIA] == [
        "QI Hub's clock has stopped: it has not ticked since QI Hub's web service started "
        "(5 minutes). "
        "Reminders and alert follow-ups are not going out."
    ]
