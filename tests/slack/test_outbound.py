"""The outbox delivering through SlackPlatform to the fake Web API: a 429 pauses every Slack send
for Retry-After (deferred, no attempt used, no call made meanwhile); server errors back off and
end dead-lettered with the reason; permanent errors are not retried; people never seen in Slack
are found by email."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.app import QIHub, create_app
from bot.settings import Settings
from bot.slack.app import slack_platform
from bot.slack.platform import SlackPlatform
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.outbox.enqueue import Enqueuer
from handlers.outbox.sender import OutboxSender
from messages.view import Heading, Reply, Text
from store.models import OutboxMessage
from tests.conftest import START
from tests.harness import RUTH, TOM
from tests.slack import signed
from tests.slack.conftest import slack_config
from tests.slack.fake_api import FakeSlack
from tests.slack.kit import validate_message


@dataclass
class Outbound:
    hub: QIHub
    clock: ManualClock
    fake: FakeSlack
    platform: SlackPlatform

    def sender(self, max_attempts: int = 8) -> OutboxSender:
        return OutboxSender(
            self.hub.uow_factory,
            [self.platform],
            self.hub.config,
            self.clock,
            max_attempts=max_attempts,
        )

    def queue(
        self, key: str, *, channels: tuple[str, ...] = (), people: tuple[str, ...] = ()
    ) -> None:
        reply = Reply(summary=f"Message {key}", blocks=(Heading(key), Text(f"About {key}.")))
        with self.hub.uow_factory() as uow:
            enqueuer = Enqueuer(uow, self.hub.config, self.clock.now())
            for channel in channels:
                enqueuer.to_channel(channel, reply, key)
            ids = [s.id for s in uow.staff.by_emails(people)]
            enqueuer.to_people(ids, reply, key)
            uow.commit()

    def rows(self) -> list[OutboxMessage]:
        with self.hub.uow_factory() as uow:
            rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            uow.session.expunge_all()
            return rows

    def posts(self) -> list[dict]:
        return self.fake.of("chat.postMessage")


def _client(url: str, **options: object) -> WebClient:
    return WebClient(token="xoxb-test-token", base_url=url, timeout=2, **options)  # type: ignore[arg-type]


@pytest.fixture
def outbound(db_url: str, config: OrgConfig, fake_slack: FakeSlack) -> Iterator[Outbound]:
    clock = ManualClock(START)
    hub = create_app(
        Settings(database_url=db_url, _env_file=None), clock=clock, config=slack_config(config)
    )
    hub.sync_directory()
    platform = SlackPlatform(
        _client(f"{fake_slack.url}/api/"),
        messages_per_minute=Settings(_env_file=None).slack_messages_per_minute,
        channel_messages_per_second=5,
    )
    yield Outbound(hub, clock, fake_slack, platform)
    hub.engine.dispose()


def test_a_429_pauses_every_slack_send_until_retry_after(outbound: Outbound) -> None:
    recorded = signed.fixture("web_api_429_ratelimited.json")
    retry_after = int(recorded["headers"]["retry-after"])
    outbound.fake.fail("chat.postMessage", recorded["status"], retry_after=retry_after)
    outbound.queue("digest", channels=("psc", "pec", "cec", "ideas_panel"))
    sender = outbound.sender()
    now = outbound.clock.now()

    report = sender.run_once()
    assert (report.claimed, report.deferred, report.sent) == (4, 4, 0)
    assert len(outbound.posts()) == 1  # the other three were never attempted
    assert outbound.platform.paused_for > 0
    rows = outbound.rows()
    assert {r.status for r in rows} == {"pending"}
    assert [r.attempts for r in rows] == [0, 0, 0, 0]  # deferred: no attempt used up
    assert rows[0].last_error == "Slack rate limit (429)"
    assert rows[0].next_attempt_at == now + timedelta(seconds=retry_after)
    assert all(r.last_error == "Slack asked us to slow down" for r in rows[1:])
    assert all(now < r.next_attempt_at <= now + timedelta(seconds=retry_after) for r in rows)

    outbound.clock.advance(timedelta(seconds=retry_after + 1))  # due again, but Slack said wait
    assert outbound.platform.paused_for > 0
    again = sender.run_once()
    assert (again.claimed, again.deferred, again.sent) == (4, 4, 0)
    assert len(outbound.posts()) == 1  # no API call during the pause

    deadline = time.monotonic() + retry_after + 2
    while outbound.platform.paused_for > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    outbound.clock.advance(timedelta(seconds=retry_after + 1))
    done = sender.run_once()
    assert (done.sent, done.deferred) == (4, 0)
    rows = outbound.rows()
    assert {r.status for r in rows} == {"sent"}
    assert [r.attempts for r in rows] == [1, 1, 1, 1]
    assert sorted(p["channel"] for p in outbound.posts()[1:]) == [
        "C0CEC",
        "C0IDEAS",
        "C0PEC",
        "C0PSC",
    ]
    for post in outbound.posts():
        validate_message(post)
    assert all(r.platform == "slack" and r.platform_ref["ts"] for r in rows)


def test_server_errors_back_off_then_the_message_is_dead_lettered(outbound: Outbound) -> None:
    outbound.fake.fail("chat.postMessage", 500, times=10)
    outbound.queue("decision", channels=("psc",))
    sender = outbound.sender(max_attempts=3)
    for attempt in (1, 2, 3):
        now = outbound.clock.now()
        report = sender.run_once()
        assert report.claimed == 1
        (row,) = outbound.rows()
        assert row.attempts == attempt
        assert row.last_error == "Slack error: internal_error"
        if attempt < 3:
            assert report.retried == 1 and row.status == "pending"
            cap = timedelta(seconds=5 * 2 ** (attempt - 1))
            assert now < row.next_attempt_at <= now + cap  # full-jitter exponential backoff
            assert sender.run_once().claimed == 0  # not before its time
        else:
            assert report.dead == 1 and row.status == "dead"
        outbound.clock.advance(timedelta(hours=1))
    assert sender.run_once().claimed == 0
    assert len(outbound.posts()) == 3


def test_channel_not_found_is_reported_not_retried(outbound: Outbound) -> None:
    outbound.fake.fail("chat.postMessage", 200, error="channel_not_found")
    outbound.queue("post", channels=("pec",))
    sender = outbound.sender()
    report = sender.run_once()
    assert (report.unreachable, report.retried) == (1, 0)
    (row,) = outbound.rows()
    assert (row.status, row.last_error, row.attempts) == (
        "failed",
        "Slack refused it: channel_not_found",
        1,
    )
    outbound.clock.advance(timedelta(days=1))
    assert sender.run_once().claimed == 0
    assert len(outbound.posts()) == 1


def test_people_never_seen_in_slack_are_looked_up_by_email_once(outbound: Outbound) -> None:
    outbound.queue("first", people=(TOM, RUTH))
    outbound.queue("second", people=(TOM,))
    with outbound.hub.uow_factory() as uow:  # Helen has used QI Hub from Slack already
        helen = uow.staff.by_email("helen.roberts@clatterbridge.example")
        assert helen is not None
        uow.staff.link_slack(helen, "U0HELEN")
        uow.commit()
    outbound.queue("third", people=("helen.roberts@clatterbridge.example",))
    report = outbound.sender().run_once()
    assert (report.sent, report.unreachable) == (3, 1)
    lookups = [c["email"] for c in outbound.fake.of("users.lookupByEmail")]
    assert sorted(lookups) == sorted([TOM, RUTH])  # once each, and never for Helen
    assert [p["channel"] for p in outbound.posts()] == ["U0TOM", "U0TOM", "U0HELEN"]
    ruth = next(r for r in outbound.rows() if r.status == "failed")
    assert ruth.last_error == "no connected platform can reach this person"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_slack_unreachable_is_retried_later_not_a_lost_batch(outbound: Outbound) -> None:
    unreachable = _client(f"http://127.0.0.1:{_closed_port()}/api/", retry_handlers=[])
    outbound.platform = slack_platform(Settings(_env_file=None), unreachable)
    outbound.queue("one", people=(TOM,), channels=("psc",))  # a lookup, then a post
    sender = outbound.sender()
    report = sender.run_once()
    assert (report.claimed, report.retried, report.sent) == (2, 2, 0)
    rows = outbound.rows()
    assert [(r.status, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert all(r.next_attempt_at > outbound.clock.now() for r in rows)


def test_slack_unreachable_is_reported_as_such(outbound: Outbound) -> None:
    unreachable = _client(f"http://127.0.0.1:{_closed_port()}/api/", retry_handlers=[])
    outbound.platform = slack_platform(Settings(_env_file=None), unreachable)
    outbound.queue("one", channels=("psc",))
    outbound.sender().run_once()
    (row,) = outbound.rows()
    assert row.last_error == "Slack could not be reached (URLError)"
