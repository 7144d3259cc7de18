"""A 429 storm slows a broadcast down without dropping anything, and the outbox's streaming
enqueue and continuous drain behave as the broadcast engine needs.

The storm: the fake Slack Web API (tests/limited_fakes.py) answers 70 % of chat.postMessage
calls with 429 and Retry-After: 1 for two seconds. Each 429 pauses every Slack send for that
second (bot.pacing); the messages it touched are deferred, which costs them no attempt, so
nothing is dead-lettered however long the storm; afterwards the broadcast runs at its budget.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bench.broadcast import BOT_TOKEN, outbox_outcome, seed
from bot.app import QIHub, create_app
from bot.outbox_workers import OutboxLoop, broadcast_sender, connected_platforms
from bot.settings import Settings
from handlers.leadership import CLOCK
from handlers.outbox.sender import OutboxSender
from messages.view import Reply, reply_to_payload
from store.models import OutboxMessage, Staff
from store.uow import UnitOfWorkFactory
from tests.conftest import START
from tests.limited_fakes import LimitedSlack

PER_MINUTE = 9_000
"""300/min x 30: 150 messages a second, enforced by the fake."""


@pytest.fixture
def fake_slack() -> Iterator[LimitedSlack]:
    fake = LimitedSlack(workspace=(PER_MINUTE, 60.0))
    fake.start()
    yield fake
    fake.stop()


def _app(db_url: str, fake: LimitedSlack) -> QIHub:
    settings = Settings(
        database_url=db_url,
        _env_file=None,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=fake.url + "/",
        slack_messages_per_minute=int(PER_MINUTE * 0.95),
    )
    return create_app(settings)


def _loop(
    db_url: str, fake: LimitedSlack, may_send: Callable[[], bool] | None = None
) -> tuple[OutboxLoop, int]:
    app = _app(db_url, fake)
    sender = broadcast_sender(app, connected_platforms(app), worker="storm-test")
    loop = OutboxLoop(
        sender,
        app.uow_factory,
        app.clock,
        database_url=db_url,
        idle_poll=0.1,
        may_send=may_send,
    )
    return loop, sender.batch


@pytest.mark.slow
def test_a_429_storm_slows_the_broadcast_but_loses_and_dead_letters_nothing(
    db_url: str, fake_slack: LimitedSlack
) -> None:
    recipients = 900
    seeded = seed(db_url, recipients, teams_url=None, slack=True, key="storm")
    loop, _ = _loop(db_url, fake_slack)
    storm_s = 2.0
    started = time.monotonic()
    fake_slack.start_storm(share=0.7, seconds=storm_s, retry_after=1)
    total = loop.run(until_idle=True)
    loop.stop()

    tally = fake_slack.tally
    assert tally.storm_limited > 0
    assert total.dead == 0
    assert tally.duplicates == 0
    assert set(tally.delivered) == set(seeded["slack"])
    assert outbox_outcome(db_url) == {"sent": recipients}
    in_storm = sum(1 for t in tally.stamps if t < started + storm_s) / storm_s
    after = [t for t in tally.stamps if t >= started + storm_s + 1.0]  # a window on: no burst
    assert len(after) > 100, "the broadcast should outlast the storm"
    steady = (len(after) - 1) / (after[-1] - after[0])
    print(f"{in_storm:.0f}/s in the storm, {steady:.0f}/s after; {tally.storm_limited} x 429")
    assert in_storm < 0.6 * steady
    assert steady >= 0.8 * PER_MINUTE * 0.95 / 60


def test_enqueue_from_select_queues_once_per_person_without_loading_them(
    db_url: str,
) -> None:
    """INSERT ... SELECT from a staff-id query: one row per person with Enqueuer's dedupe key
    (so a second run queues nobody twice), the payload and urgency given."""
    seed(db_url, 50, teams_url=None, slack=True, key="seeded")  # 50 people, already queued
    from store.db import make_engine

    engine = make_engine(db_url)
    uow_factory = UnitOfWorkFactory(engine)
    wanted = select(Staff.id).where(Staff.id <= 20)
    payload = {"reply": {"summary": "Alert A-7"}}
    with uow_factory() as uow:
        assert (
            uow.outbox.enqueue_from_select(
                wanted, key="alert:A-7", payload=payload, now=START, urgent=True
            )
            == 20
        )
        uow.commit()
    with uow_factory() as uow:
        assert (
            uow.outbox.enqueue_from_select(
                select(Staff.id), key="alert:A-7", payload=payload, now=START
            )
            == 30
        ), "the 20 already queued are skipped"
        uow.commit()
    with uow_factory() as uow:
        rows = list(
            uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like("alert:A-7>%"))
            )
        )
        uow.session.expunge_all()
    engine.dispose()
    assert len(rows) == 50
    first = next(r for r in rows if r.recipient_id == 7)
    assert first.dedupe_key == "alert:A-7>p7"
    assert (first.payload, first.urgent, first.status, first.attempts) == (
        payload,
        True,
        "pending",
        0,
    )
    assert first.next_attempt_at == START
    assert first.channel is None


def test_the_loop_sleeps_until_work_is_due_and_stops_when_idle(
    db_url: str, fake_slack: LimitedSlack
) -> None:
    """Nothing due now but a row due in a moment: the loop waits for it rather than a fixed
    tick, delivers it, and (until_idle) returns once no row is pending or leased."""
    seed(db_url, 1, teams_url=None, slack=True, key="now")
    from store.db import make_engine

    engine = make_engine(db_url)
    with UnitOfWorkFactory(engine)() as uow:
        row = uow.session.scalars(select(OutboxMessage)).one()
        row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=1)
        uow.commit()
    due = time.monotonic() + 1
    engine.dispose()
    loop, _ = _loop(db_url, fake_slack)
    total = loop.run(until_idle=True)
    loop.stop()
    assert total.sent == 1
    assert due - 0.05 <= time.monotonic() < due + 3
    assert fake_slack.tally.messages == 1


def _wait_until(done: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_standby_clock_leaves_the_outbox_to_the_leader(
    db_url: str, fake_slack: LimitedSlack
) -> None:
    """Each sender paces itself to the whole budget, so only the leading clock sends."""
    seed(db_url, 30, teams_url=None, slack=True, key="standby")
    leading = threading.Event()
    loop, _ = _loop(db_url, fake_slack, may_send=leading.is_set)
    loop.start()
    try:
        time.sleep(1.0)
        assert fake_slack.tally.messages == 0
        assert outbox_outcome(db_url) == {"pending": 30}
        leading.set()  # it takes over the lease
        _wait_until(lambda: outbox_outcome(db_url) == {"sent": 30})
    finally:
        loop.stop()
    assert fake_slack.tally.duplicates == 0


def test_the_web_leaves_a_broadcast_to_a_running_clock(
    db_url: str, fake_slack: LimitedSlack
) -> None:
    """Fan-out rows are `bulk`: while a clock holds its lease the web's sender delivers only
    the messages its requests queued; with no clock running it delivers everything."""
    seed(db_url, 20, teams_url=None, slack=True, key="broadcast")
    app = _app(db_url, fake_slack)
    reply = reply_to_payload(Reply(summary="Your idea was approved"))
    with app.uow_factory() as uow:
        uow.outbox.enqueue(
            dedupe_key="idea:1:approved",
            payload={"reply": reply},
            now=app.clock.now(),
            recipient_id=1,
        )
        uow.leases.take_or_renew(CLOCK, "clock:elsewhere", app.clock.now(), timedelta(seconds=40))
        uow.commit()
    web = OutboxSender(
        app.uow_factory, connected_platforms(app), app.config, app.clock, leave_bulk_to=CLOCK
    )
    assert web.drain().sent == 1
    assert outbox_outcome(db_url) == {"pending": 20, "sent": 1}
    with app.uow_factory() as uow:
        uow.leases.step_down(CLOCK, "clock:elsewhere", app.clock.now())
        uow.commit()
    time.sleep(1.1)  # person 1's DM channel takes one message a second
    assert web.drain().sent == 20
    assert outbox_outcome(db_url) == {"sent": 21}
