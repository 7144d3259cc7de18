"""Receipts by polling (issue 15 item 5, docs/notify.md "Delivery receipts"): with
NOTIFY_RECEIPTS=polling and no callback URL, the clock's own `notify-receipts` job asks the fake
Notify (over HTTP, through the official client's `get_notification_by_id`) about each text and
email it accepted, and records what it says exactly as a callback would: in the CSV ledger, in
`/alert status` by site, and a permanent failure refuses the number. The same mixed audience,
policy and real parts as tests/slack/test_channel_policy.py (real Slack adapter under uvicorn,
real outbox sender, real reminder engine, SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from bot.app import create_app
from bot.clock import clock_jobs
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.leadership import Leadership
from store.models import AlertAttempt
from tests.conftest import START
from tests.notify.fake_notify import FakeNotify
from tests.slack import kit, signed
from tests.slack.conftest import SlackHarness, serve
from tests.slack.fake_api import FakeSlack
from tests.slack.test_channel_policy import (
    ALEX,
    KIM,
    MOBILES,
    TOM,
    clock_tick,
    latest,
    ledger,
    policy_config,
    publish,
    send_all,
    setup_people,
)

PER_TICK = 2


@pytest.fixture
def slack(
    db_url: str, config: OrgConfig, fake_slack: FakeSlack, notify: FakeNotify
) -> Iterator[SlackHarness]:
    """The channel-policy server with receipts by polling and no callback route."""
    del fake_slack.users["U0KIM"], fake_slack.users["U0TOM"]  # not in the Slack workspace
    settings = Settings(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=signed.SECRET,
        slack_api_url=f"{fake_slack.url}/api/",
        notify_api_key=notify.api_key(),  # type: ignore[arg-type]
        notify_api_url=notify.url,
        notify_receipts="polling",
        notify_poll_per_minute=PER_TICK,
        _env_file=None,  # type: ignore[call-arg]
    )
    hub = create_app(settings, clock=ManualClock(START), config=policy_config(config, notify))
    with serve(hub, fake_slack) as harness:
        yield harness


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    fake = FakeNotify(default_status="sending")  # every message in flight until told
    fake.start()
    yield fake
    fake.stop()


def poll_job(slack: SlackHarness) -> Callable[[], object]:
    """The clock's `notify-receipts` job, as `qihub clock` schedules it."""
    leadership = Leadership(slack.hub.uow_factory, slack.hub.clock, "test-clock")
    jobs = {job.id: job for job in clock_jobs(slack.hub, leadership)}
    return jobs["notify-receipts"].run


def advance(slack: SlackHarness, minutes: float) -> None:
    assert isinstance(slack.hub.clock, ManualClock)
    slack.hub.clock.advance(timedelta(minutes=minutes))


def test_polling_records_every_status_as_a_callback_would_and_stops_when_final(
    slack: SlackHarness, notify: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    ids = setup_people(slack)
    poll = poll_job(slack)
    ref = publish(slack)
    send_all(slack)
    kim_text = latest(notify, MOBILES[KIM])
    assert slack.http.post("/notify/callback", json={}).status_code == 404, "no callback route"

    assert poll() == 0 and not notify.asked, "nothing asked before 5 minutes"
    advance(slack, 6)
    assert poll() == 1 and notify.asked[kim_text.id] == 1  # "sending": recorded
    assert ledger(slack, ref)[KIM]["sms_status"] == "sending"
    notify.set_status(kim_text.id, "permanent-failure")
    assert poll() == 0 and notify.asked[kim_text.id] == 1, "asked again only when due"
    advance(slack, 6)
    assert poll() == 1 and notify.asked[kim_text.id] == 2
    rows = ledger(slack, ref)
    assert rows[KIM]["sms_status"] == "permanent-failure"
    with slack.hub.uow_factory() as uow:
        assert uow.contacts.for_staff([ids[KIM]])[ids[KIM]].mobile_failed_at is not None

    clock_tick(slack, 4)  # 16 minutes: Alex's text (Kim's number is refused now: none to her)
    clock_tick(slack, 15)  # 31 minutes: emails to Alex, Kim and Tom
    alex_text = latest(notify, MOBILES[ALEX])
    emails = {s.to: s for s in notify.sent if s.kind == "email"}
    assert sorted(emails) == [ALEX, KIM, TOM]
    notify.set_status(alex_text.id, "delivered")
    notify.set_status(emails[KIM].id, "technical-failure")
    notify.set_status(emails[TOM].id, "temporary-failure")
    advance(slack, 6)
    assert poll() == PER_TICK and sum(notify.asked.values()) == 2 + PER_TICK, "bounded per tick"
    assert poll() == 2 and sum(notify.asked.values()) == 6, "the next tick asks the rest"
    rows = ledger(slack, ref)
    assert rows[ALEX]["sms_status"] == "delivered" and rows[ALEX]["email_status"] == "sending"
    assert rows[KIM]["email_status"] == "technical-failure"
    assert rows[TOM]["email_status"] == "temporary-failure"
    status = kit.flat(kit.reply_to(slack, kit.CHRIS, f"/alert status {ref}"))
    lines = status.split("\n")  # by site: the site's name, then its counts
    liverpool = lines[lines.index("Clatterbridge Cancer Centre - Liverpool") + 1]
    wirral = lines[lines.index("Clatterbridge Cancer Centre - Wirral") + 1]
    assert "1 text failed" in liverpool and "1 email failed" in liverpool, status
    assert "1 email failed" in wirral and "text" not in wirral, status

    finals = [kim_text.id, alex_text.id, emails[KIM].id, emails[TOM].id]
    before = {i: notify.asked[i] for i in finals}
    for _ in range(4):  # a final status is never asked about again
        advance(slack, 60)
        poll()
    assert {i: notify.asked[i] for i in finals} == before
    assert notify.asked[emails[ALEX].id] > 2, "the one still sending is asked again"

    advance(slack, 7 * 24 * 60)  # Notify keeps 7 days of data: then no more asks at all
    poll()
    asked = sum(notify.asked.values())
    advance(slack, 120)
    assert poll() == 0 and sum(notify.asked.values()) == asked
    with slack.hub.uow_factory() as uow:
        assert uow.session.query(AlertAttempt).count() == 5
    for text in caplog.messages:
        assert "7700900" not in text and "tom.baker" not in text


def test_a_message_notify_no_longer_has_is_not_asked_about_again(
    slack: SlackHarness, notify: FakeNotify
) -> None:
    setup_people(slack)
    poll = poll_job(slack)
    publish(slack)
    send_all(slack)
    kim_text = latest(notify, MOBILES[KIM])
    with notify._lock:
        notify.sent.clear()  # Notify's data is gone (a 404 for it)
    advance(slack, 6)
    assert poll() == 0 and notify.asked[kim_text.id] == 1
    advance(slack, 60)
    assert poll() == 0 and notify.asked[kim_text.id] == 1


def test_an_outage_at_notify_ends_the_tick_and_the_next_one_asks_again(
    slack: SlackHarness, notify: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    setup_people(slack)
    poll = poll_job(slack)
    ref = publish(slack)
    send_all(slack)
    kim_text = latest(notify, MOBILES[KIM])
    notify.set_status(kim_text.id, "delivered")
    notify.fail(503, times=1, path=f"/v2/notifications/{kim_text.id}")
    advance(slack, 6)
    assert poll() == 0
    assert ledger(slack, ref)[KIM]["sms_status"] == "queued", "nothing recorded from a 503"
    assert poll() == 1 and ledger(slack, ref)[KIM]["sms_status"] == "delivered"
