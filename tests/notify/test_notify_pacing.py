"""Notify is paced on its own: a 429 storm at Notify pauses texts and emails, and Slack's
messages go on at Slack's full budget meanwhile (bot/pacing.py, one Pacer per platform; the
sender's threads are per platform, so waiting texts hold none of Slack's). Real HTTP to the
enforcing fake Slack (tests/limited_fakes.py) and the fake Notify, real database."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bench.broadcast import BOT_TOKEN, outbox_outcome, seed
from bot.app import create_app
from bot.notify.platform import notify_channels
from bot.outbox_workers import OutboxLoop, broadcast_sender, connected_platforms
from bot.settings import Settings
from handlers.config import NotifySettings
from handlers.contacts import ContactChange, apply_changes
from handlers.outbox.enqueue import Enqueuer
from messages.view import Reply
from tests.conftest import START
from tests.limited_fakes import LimitedSlack
from tests.notify.fake_notify import FakeNotify

PER_MINUTE = 6_000
"""Slack's workspace budget here: 100 messages a second, enforced by the fake."""
SMS = "((org)) critical alert ((ref)). Acknowledge: ((ack_url))"


@pytest.fixture
def fakes() -> Iterator[tuple[LimitedSlack, FakeNotify]]:
    slack, notify = LimitedSlack(workspace=(PER_MINUTE, 60.0)), FakeNotify()
    slack.start()
    notify.start()
    yield slack, notify
    slack.stop()
    notify.stop()


@pytest.mark.slow
def test_a_notify_429_storm_pauses_texts_and_does_not_delay_slack(
    db_url: str, fakes: tuple[LimitedSlack, FakeNotify]
) -> None:
    slack, notify = fakes
    people, texted = 300, 40
    seed(db_url, people, teams_url=None, slack=True, key="storm")  # one Slack message each
    settings = Settings(
        database_url=db_url,
        _env_file=None,
        slack_bot_token=BOT_TOKEN,  # type: ignore[arg-type]
        slack_api_url=slack.url + "/",
        slack_messages_per_minute=int(PER_MINUTE * 0.95),
        notify_api_key=notify.api_key(),  # type: ignore[arg-type]
        notify_api_url=notify.url,
    )
    app = create_app(settings)
    with app.uow_factory() as uow:
        changes = [ContactChange(i, mobile=f"+447700900{i:03d}") for i in range(1, texted + 1)]
        apply_changes(uow, changes, "csv", START)
        enqueue = Enqueuer(uow, app.config, START)
        for i in range(1, texted + 1):
            enqueue.direct_to_person(
                i, "sms", Reply(summary="Alert"), "alert:A-1:direct0",
                personalisation={"org": "CCC", "ref": "A-1", "ack_url": f"https://q/ack/{i}"},
            )  # fmt: skip
        uow.commit()
    templates = NotifySettings(sms_template_id=notify.add_template("sms", SMS))
    direct = notify_channels(settings, templates)
    sender = broadcast_sender(app, connected_platforms(app), worker="storm", direct=direct)
    loop = OutboxLoop(sender, app.uow_factory, app.clock, database_url=db_url, idle_poll=0.1)

    storm = 5.0
    started = time.monotonic()
    notify.start_storm(storm)
    total = loop.run(until_idle=True)
    loop.stop()
    app.engine.dispose()

    stamps = sorted(slack.tally.stamps)
    assert notify.answered[429] > 0
    assert len(stamps) == people and slack.tally.duplicates == 0
    slack_rate = (people - 1) / (stamps[-1] - stamps[0])
    print(f"Slack {slack_rate:.0f}/s during Notify's storm; {notify.answered[429]} x 429")
    assert stamps[-1] < started + storm, "Slack finished inside Notify's storm"
    assert slack_rate >= 0.8 * PER_MINUTE * 0.95 / 60
    texts = sorted(t for t, _ in notify.stamps)
    assert len(texts) == texted and notify.duplicates() == 0
    assert texts[0] >= started + storm  # none went during the storm: nothing lost either
    assert total.dead == 0
    assert outbox_outcome(db_url) == {"sent": people + texted}
