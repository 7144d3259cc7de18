"""The outbox delivering through TeamsPlatform to the fake Bot Connector, on a real database:
DMs through a stored 1:1 chat or one opened on demand (once), channel posts, in-place updates;
a 429 pauses every Teams call for Retry-After (deferred, no attempt used); 412/5xx back off and
end dead-lettered; 403 MessageWritesBlocked is remembered and reported, never retried; each
conversation's budget defers the 8th send in a second. Every activity carries a valid Adaptive
Card and the bearer token."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import QIHub, create_app
from bot.settings import Settings
from bot.teams.auth import StaticToken
from bot.teams.platform import BLOCKED, CATCH_UP, TeamsPlatform, _retry_after, teams_platform
from handlers.clock import ManualClock
from handlers.config import Channel, OrgConfig
from handlers.outbox.enqueue import Enqueuer
from handlers.outbox.sender import OutboxSender
from handlers.platform import ChannelTarget, DeliveryError, Platform, Recipient
from messages.view import Heading, Reply, Text
from store.models import OutboxMessage, Staff, TeamsConversation
from tests.conftest import START
from tests.harness import HELEN, RUTH, TOM
from tests.teams.fake_connector import FakeConnector
from tests.teams_cards import validate_card

TOKEN = "eyJhbGciOiJub25lIn0.eyJhdWQiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0.secret-sig"
CLIENT_ID = "608cacfd-1cea-40c9-b678-4b93e69bb72b"
TENANT = FakeConnector.TENANT
CHANNEL_IDS = {
    "ideas_panel": "19:ideaspanel0b7f32667e064dd9b25d79698@thread.tacv2",
    "psc": "19:psc0b7f32667e064dd9b25d7969801541f4@thread.tacv2",
    "pec": "19:pec0b7f32667e064dd9b25d7969801541f4@thread.tacv2",
    "cec": "19:cec0b7f32667e064dd9b25d7969801541f4@thread.tacv2",
}
RUTH_AAD = "eddfa9d4-346e-4cce-a18f-fa6261ad776b"
TOM_CHAT = "a:1tomPersonalChat-jytfIlsZR3UZeg3TsIONNInBHsdjzj3"


def teams_config(config: OrgConfig) -> OrgConfig:
    channels = {
        key: Channel(name=c.name, slack_id=None, teams_id=CHANNEL_IDS.get(key))
        for key, c in config.channels.items()
    }
    return config.model_copy(update={"channels": channels})


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Outbound:
    hub: QIHub
    clock: ManualClock
    fake: FakeConnector
    platform: TeamsPlatform

    def make_platform(self, **options: Any) -> TeamsPlatform:
        defaults = Settings(_env_file=None)
        settings: dict[str, Any] = {
            "bot_id": CLIENT_ID,
            "tenant_id": TENANT,
            "default_service_url": self.fake.url,
            "service_hosts": ("127.0.0.1",),  # the fake connector stands in for Bot Framework
            "conversation_per_second": defaults.teams_conversation_messages_per_second,
            "conversation_per_30s": defaults.teams_conversation_messages_per_30s,
            "tenant_per_second": defaults.teams_tenant_requests_per_second,
            "clock": self.clock,
        }
        settings.update(options)
        return TeamsPlatform(self.hub.uow_factory, StaticToken(TOKEN), **settings)

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

    def staff_id(self, email: str) -> int:
        with self.hub.uow_factory() as uow:
            staff = uow.staff.by_email(email)
            assert staff is not None
            return staff.id

    def give_aad_id(self, email: str, aad_id: str) -> None:
        with self.hub.uow_factory() as uow:
            staff = uow.session.scalar(select(Staff).where(Staff.email == email))
            assert staff is not None
            staff.teams_aad_id = aad_id
            uow.commit()

    def installed_for(self, email: str, conversation_id: str, service_url: str = "") -> None:
        """As the inbound adapter does on installationUpdate for a person's personal scope."""
        staff_id = self.staff_id(email)
        with self.hub.uow_factory() as uow:
            uow.teams.remember(
                conversation_id=conversation_id,
                kind="personal",
                service_url=service_url or self.fake.url,
                tenant_id=TENANT,
                staff_id=staff_id,
                user_id=f"29:1user{staff_id}",
                now=self.clock.now(),
            )
            uow.commit()

    def conversation(self, conversation_id: str) -> TeamsConversation | None:
        with self.hub.uow_factory() as uow:
            row = uow.teams.conversation(conversation_id)
            uow.session.expunge_all()
            return row


@pytest.fixture
def outbound(db_url: str, config: OrgConfig, fake_connector: FakeConnector) -> Iterator[Outbound]:
    clock = ManualClock(START)
    hub = create_app(
        Settings(database_url=db_url, _env_file=None), clock=clock, config=teams_config(config)
    )
    hub.sync_directory()
    out = Outbound(hub, clock, fake_connector, None)  # type: ignore[arg-type]
    out.platform = out.make_platform()
    yield out
    out.platform.close()
    hub.engine.dispose()


def _activity_ok(call: Any) -> None:
    """An activity the Bot Connector would take: a message with one valid Adaptive Card,
    sent with the bot's bearer token."""
    assert call.authorization == f"Bearer {TOKEN}"
    activity = call.body
    assert activity["type"] == "message"
    cards = [
        a
        for a in activity["attachments"]
        if a["contentType"] == "application/vnd.microsoft.card.adaptive"
    ]
    assert len(cards) == 1
    validate_card(cards[0]["content"])


# ---------------------------------------------------------------------- people
def test_a_dm_goes_to_the_stored_personal_chat(outbound: Outbound) -> None:
    outbound.installed_for(TOM, TOM_CHAT)
    outbound.queue("hello", people=(TOM,))
    report = outbound.sender().run_once()
    assert (report.claimed, report.sent) == (1, 1)
    assert outbound.fake.created() == []  # no need to open a chat
    (call,) = outbound.fake.activities()
    assert call.path == f"/v3/conversations/{TOM_CHAT}/activities"
    _activity_ok(call)
    (row,) = outbound.rows()
    assert (row.status, row.platform, row.attempts) == ("sent", "teams", 1)
    assert row.platform_ref == {
        "conversation": TOM_CHAT,
        "activity": call.response["id"],
        "service_url": outbound.fake.url,
    }


def test_a_person_known_only_by_aad_id_gets_a_1to1_opened_once(outbound: Outbound) -> None:
    outbound.give_aad_id(RUTH, RUTH_AAD)
    outbound.queue("first", people=(RUTH, HELEN))  # Helen: no Teams identity at all
    report = outbound.sender().run_once()
    assert (report.sent, report.unreachable) == (1, 1)
    outbound.queue("second", people=(RUTH,))
    assert outbound.sender().run_once().sent == 1

    (create,) = outbound.fake.created()  # opened once, then reused from the database
    assert create.authorization == f"Bearer {TOKEN}"
    assert create.body == {
        "bot": {"id": f"28:{CLIENT_ID}", "name": "QI Hub"},
        "members": [{"id": RUTH_AAD}],
        "isGroup": False,
        "tenantId": TENANT,
        "channelData": {"tenant": {"id": TENANT}},
    }
    chat = create.response["id"]
    posts = outbound.fake.activities()
    assert [p.path for p in posts] == [f"/v3/conversations/{chat}/activities"] * 2
    for post in posts:
        _activity_ok(post)
    stored = outbound.conversation(chat)
    assert stored is not None
    assert (stored.kind, stored.staff_id, stored.tenant_id, stored.installed) == (
        "personal",
        outbound.staff_id(RUTH),
        TENANT,
        True,
    )
    helen = next(r for r in outbound.rows() if r.status == "failed")
    assert helen.last_error == "no connected platform can reach this person"


def test_a_new_chat_uses_the_tenants_service_url_before_the_default(outbound: Outbound) -> None:
    outbound.platform = outbound.make_platform(
        default_service_url=f"http://127.0.0.1:{_closed_port()}/"
    )
    outbound.installed_for(TOM, TOM_CHAT)  # Teams told us this tenant's serviceUrl
    outbound.give_aad_id(RUTH, RUTH_AAD)
    outbound.queue("hello", people=(RUTH,))
    assert outbound.sender().run_once().sent == 1
    assert len(outbound.fake.created()) == 1
    with outbound.hub.uow_factory() as uow:
        assert uow.teams.service_url_for_tenant(TENANT) == outbound.fake.url
        assert uow.teams.service_url_for_tenant("another-tenant") is None


# ---------------------------------------------------------------------- channels
def test_channel_posts_go_to_the_configured_channel_conversation(outbound: Outbound) -> None:
    outbound.queue("digest", channels=("psc", "pec", "all_staff"))  # all_staff: no teams_id
    report = outbound.sender().run_once()
    assert (report.sent, report.unreachable) == (2, 1)
    posts = outbound.fake.activities()
    assert sorted(p.path for p in posts) == sorted(
        f"/v3/conversations/{CHANNEL_IDS[key]}/activities" for key in ("psc", "pec")
    )
    for post in posts:
        _activity_ok(post)
    failed = next(r for r in outbound.rows() if r.status == "failed")
    assert failed.last_error == "no connected platform can reach this channel"
    with pytest.raises(DeliveryError) as raised:
        outbound.platform.post_to_channel(
            ChannelTarget(key="all_staff", name="all"), Reply(summary="x")
        )
    assert not raised.value.retryable
    assert "all_staff" in raised.value.reason and "teams_id" in raised.value.reason


def test_a_sent_message_is_updated_in_place(outbound: Outbound) -> None:
    outbound.queue("decision", channels=("psc",))
    outbound.sender().run_once()
    (row,) = outbound.rows()
    new = Reply(summary="Decided", blocks=(Heading("Decided"), Text("Approved by the panel.")))
    outbound.platform.update_message(row.platform_ref, new)
    (put,) = outbound.fake.of("PUT")
    assert put.path == (
        f"/v3/conversations/{CHANNEL_IDS['psc']}/activities/{row.platform_ref['activity']}"
    )
    assert put.body["id"] == row.platform_ref["activity"]
    _activity_ok(put)
    assert "Approved by the panel." in json.dumps(put.body)


def test_forms_are_never_opened_outbound(outbound: Outbound) -> None:
    """Teams opens a form only in its reply to an invoke: neither the Platform contract nor the
    Teams platform has an outbound way to open one, so nothing can try."""
    assert "open_form" not in dir(Platform)
    assert "open_form" not in dir(outbound.platform)
    assert outbound.fake.calls == []


# ---------------------------------------------------------------------- failures
def test_a_429_pauses_every_teams_send_until_retry_after(outbound: Outbound) -> None:
    outbound.fake.fail("/activities$", 429, retry_after=1)
    outbound.queue("digest", channels=("psc", "pec", "cec", "ideas_panel"))
    sender = outbound.sender()
    now = outbound.clock.now()

    report = sender.run_once()
    assert (report.claimed, report.deferred, report.sent) == (4, 4, 0)
    assert len(outbound.fake.activities()) == 1  # the other three were never attempted
    assert outbound.platform.paused_for > 0
    rows = outbound.rows()
    assert {r.status for r in rows} == {"pending"}
    assert [r.attempts for r in rows] == [0, 0, 0, 0]  # deferred: no attempt used up
    assert rows[0].last_error == "Teams rate limit (429)"
    assert rows[0].next_attempt_at == now + timedelta(seconds=1)
    assert all(r.last_error == "Teams asked us to slow down" for r in rows[1:])

    outbound.clock.advance(timedelta(seconds=2))  # due again, but Teams said wait
    if outbound.platform.paused_for > 0.3:
        again = sender.run_once()
        assert (again.deferred, again.sent) == (4, 0)
        assert len(outbound.fake.activities()) == 1  # no call during the pause

    deadline = time.monotonic() + 3
    while outbound.platform.paused_for > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    outbound.clock.advance(timedelta(seconds=2))
    done = sender.run_once()
    assert (done.sent, done.deferred) == (4, 0)
    rows = outbound.rows()
    assert {r.status for r in rows} == {"sent"}
    assert [r.attempts for r in rows] == [1, 1, 1, 1]


def test_retry_after_may_be_seconds_or_an_http_date() -> None:
    assert _retry_after("3") == 3.0
    assert _retry_after(None) == 1.0
    assert _retry_after("soon") == 1.0
    from datetime import UTC, datetime

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= _retry_after(later) <= 31


def test_412_502_and_503_are_retried_then_delivered(outbound: Outbound) -> None:
    outbound.fake.fail("/activities$", 502)
    outbound.fake.fail("/activities$", 503)
    outbound.fake.fail("/activities$", 412)
    outbound.queue("decision", channels=("psc",))
    sender = outbound.sender()
    for attempt, status in ((1, 502), (2, 503), (3, 412)):
        now = outbound.clock.now()
        report = sender.run_once()
        assert report.retried == 1
        (row,) = outbound.rows()
        assert (row.status, row.attempts) == ("pending", attempt)
        assert row.last_error == f"Teams error: HTTP {status}"
        assert now < row.next_attempt_at <= now + timedelta(seconds=5 * 2 ** (attempt - 1))
        assert sender.run_once().claimed == 0  # not before its time
        outbound.clock.advance(timedelta(hours=1))
    assert sender.run_once().sent == 1
    (row,) = outbound.rows()
    assert (row.status, row.attempts) == ("sent", 4)
    assert len(outbound.fake.activities()) == 4


def test_repeated_failure_ends_dead_lettered(outbound: Outbound) -> None:
    outbound.fake.fail("/activities$", 504, times=10)
    outbound.queue("decision", channels=("psc",))
    sender = outbound.sender(max_attempts=3)
    for _ in range(3):
        sender.run_once()
        outbound.clock.advance(timedelta(hours=1))
    (row,) = outbound.rows()
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "Teams error: HTTP 504")
    assert sender.run_once().claimed == 0
    assert len(outbound.fake.activities()) == 3


def test_teams_unreachable_is_retried_later(outbound: Outbound) -> None:
    outbound.platform = outbound.make_platform(
        default_service_url=f"http://127.0.0.1:{_closed_port()}/"
    )
    outbound.queue("one", channels=("psc",))
    report = outbound.sender().run_once()
    assert report.retried == 1
    (row,) = outbound.rows()
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error == "Teams could not be reached (ConnectError)"


@pytest.mark.parametrize(
    "body",
    [
        None,  # the fake's {"error": {"code": "MessageWritesBlocked"}}
        {  # as Teams really answers (msteams-docs, send-proactive-messages)
            "errorCode": 209,
            "message": '{\r\n  "subCode": "MessageWritesBlocked",\r\n  "details": "Thread is '
            'blocked from message writes."\r\n}',
        },
    ],
)
def test_a_blocked_bot_is_remembered_and_reported_not_retried(
    outbound: Outbound, body: dict[str, Any] | None
) -> None:
    outbound.installed_for(TOM, TOM_CHAT)
    outbound.fake.fail("/activities$", 403, body=body)
    outbound.queue("first", people=(TOM,))
    sender = outbound.sender()
    report = sender.run_once()
    assert (report.unreachable, report.retried) == (1, 0)
    (row,) = outbound.rows()
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, BLOCKED)
    stored = outbound.conversation(TOM_CHAT)
    assert stored is not None and stored.blocked_at == outbound.clock.now()

    outbound.clock.advance(timedelta(days=1))
    assert sender.run_once().claimed == 0  # not retried
    outbound.queue("second", people=(TOM,))  # nor is a blocked chat tried again
    sender.run_once()
    assert len(outbound.fake.activities()) == 1
    assert outbound.rows()[1].last_error == "no connected platform can reach this person"

    outbound.installed_for(TOM, TOM_CHAT)  # Tom adds QI Hub back: Teams tells the bot
    stored = outbound.conversation(TOM_CHAT)
    assert stored is not None and stored.blocked_at is None and stored.installed
    outbound.queue("third", people=(TOM,))
    assert sender.run_once().sent == 1


def test_a_vanished_conversation_is_marked_uninstalled(outbound: Outbound) -> None:
    outbound.installed_for(RUTH, "a:1ruthOldChat")
    outbound.give_aad_id(RUTH, RUTH_AAD)
    outbound.fake.fail("ruthOldChat", 404)
    outbound.queue("first", people=(RUTH,))
    sender = outbound.sender()
    assert sender.run_once().unreachable == 1
    stored = outbound.conversation("a:1ruthOldChat")
    assert stored is not None and not stored.installed
    outbound.queue("second", people=(RUTH,))  # a fresh 1:1 is opened from the AAD id
    assert sender.run_once().sent == 1
    assert len(outbound.fake.created()) == 1


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, "Teams refused the bot's credentials"),
        (403, "Teams refused the bot's credentials"),
        (413, "message too large for Teams (413)"),
    ],
)
def test_permanent_refusals_are_reported_not_retried(
    outbound: Outbound, status: int, reason: str
) -> None:
    body = {"error": {"code": "BotNotAuthorized", "message": "no"}} if status == 403 else None
    outbound.fake.fail("/activities$", status, body=body)
    outbound.queue("post", channels=("pec",))
    assert outbound.sender().run_once().unreachable == 1
    (row,) = outbound.rows()
    assert (row.status, row.last_error) == ("failed", reason)


def test_tokens_and_message_bodies_are_never_logged(
    outbound: Outbound, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    outbound.fake.fail("/activities$", 401, times=2)
    outbound.queue("secret-subject", channels=("psc", "pec"))
    outbound.sender().run_once()
    assert caplog.records  # it did say something
    assert TOKEN not in caplog.text and "secret-subject" not in caplog.text


# ---------------------------------------------------------------------- pacing
def test_the_eighth_send_to_one_conversation_in_a_second_is_deferred(outbound: Outbound) -> None:
    outbound.installed_for(TOM, TOM_CHAT)
    for n in range(8):
        outbound.queue(f"burst-{n}", people=(TOM,))
    sender = outbound.sender()
    now = outbound.clock.now()
    report = sender.run_once()
    assert (report.sent, report.deferred) == (7, 1)
    assert len(outbound.fake.activities()) == 7
    late = outbound.rows()[-1]
    assert (late.status, late.attempts) == ("pending", 0)
    assert late.last_error == "Teams conversation message budget spent"
    assert now < late.next_attempt_at <= now + timedelta(seconds=1)
    time.sleep(1.05)
    outbound.clock.advance(timedelta(seconds=1))
    assert sender.run_once().sent == 1


def test_the_30_second_and_tenant_budgets_defer_too(outbound: Outbound) -> None:
    outbound.platform = outbound.make_platform(conversation_per_30s=2)
    outbound.installed_for(TOM, TOM_CHAT)
    for n in range(3):
        outbound.queue(f"burst-{n}", people=(TOM,))
    report = outbound.sender().run_once()
    assert (report.sent, report.deferred) == (2, 1)
    late = outbound.rows()[-1]
    assert late.next_attempt_at > outbound.clock.now() + timedelta(seconds=20)  # the 30 s window

    # One request a second for the whole tenant: the next slot is further away than a send
    # waits for its turn (half a second), so the other two posts are deferred, not attempted.
    outbound.platform = outbound.make_platform(tenant_per_second=1)
    outbound.queue("digest", channels=("psc", "pec", "cec"))
    report = outbound.sender().run_once()
    assert (report.sent, report.deferred) == (1, 2)
    assert {r.last_error for r in outbound.rows()[3:] if r.status == "pending"} == {
        "Teams tenant message budget spent"
    }


def test_a_send_counts_against_the_tenant_until_teams_answered_it(outbound: Outbound) -> None:
    """Teams counted the first post somewhere before its late answer: the next slot is a
    second after that answer (too far: deferred), not a second after the first was sent
    (0.4 s away: it would have been waited for, and could arrive in a full window)."""
    outbound.platform = outbound.make_platform(tenant_per_second=1)
    outbound.fake.slow_answers.append(0.6)
    outbound.queue("digest", channels=("psc", "pec"))
    report = outbound.sender().run_once()
    assert (report.sent, report.deferred) == (1, 1)
    assert {r.last_error for r in outbound.rows() if r.status == "pending"} == {
        "Teams tenant message budget spent"
    }


def test_a_tenant_slot_soon_enough_is_waited_for_not_deferred(outbound: Outbound) -> None:
    outbound.platform = outbound.make_platform(tenant_per_second=4)  # one every 0.25 / CATCH_UP s
    outbound.queue("digest", channels=("psc", "pec", "cec"))
    started = time.monotonic()
    report = outbound.sender().run_once()
    assert (report.sent, report.deferred) == (3, 0)
    assert len(outbound.fake.activities()) == 3
    assert time.monotonic() - started >= 2 * 0.25 / CATCH_UP  # the 2nd and 3rd waited their turn


# ---------------------------------------------------------------------- wiring
def test_the_platform_is_built_from_settings(outbound: Outbound) -> None:
    settings = outbound.hub.settings.model_copy(
        update={
            "teams_client_id": CLIENT_ID,
            "teams_tenant_id": TENANT,
            "teams_service_url": outbound.fake.url,
            "teams_service_hosts": "127.0.0.1",
            "teams_conversation_messages_per_second": 1,
        }
    )
    hub = QIHub(
        settings=settings,
        config=outbound.hub.config,
        engine=outbound.hub.engine,
        uow_factory=outbound.hub.uow_factory,
        services=outbound.hub.services,
        rules=outbound.hub.rules,
    )
    platform = teams_platform(hub, StaticToken(TOKEN))
    assert platform.name == "teams"
    target = ChannelTarget(key="psc", name="qi-patient-safety", teams_id=CHANNEL_IDS["psc"])
    handle = platform.post_to_channel(target, Reply(summary="hi"))
    assert handle["service_url"] == outbound.fake.url
    with pytest.raises(DeliveryError) as raised:  # one a second, from the settings
        platform.post_to_channel(target, Reply(summary="again"))
    assert raised.value.deferred
    platform.close()
    assert platform.can_reach_person(
        Recipient(staff_id=0, email="x@example", name="X", teams_aad_id=RUTH_AAD)
    )
    assert not platform.can_reach_person(Recipient(staff_id=0, email="x@example", name="X"))


def test_a_stored_address_off_the_allow_list_never_receives_the_token(
    outbound: Outbound, db_url: str
) -> None:
    """A personal chat remembered before the allow-list existed (say from a Playground that
    was reachable, or an attacker's serviceUrl) is not sent to: the message fails with the
    reason, and the fake connector, standing in for that host, hears nothing."""
    with outbound.hub.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        uow.teams.remember(
            conversation_id="a:attacker",
            kind="personal",
            service_url="https://attacker.invalid/",
            tenant_id=TENANT,
            staff_id=tom.id,
            user_id="29:tom",
            team_id=None,
            name=None,
            now=outbound.clock.now(),
        )
        uow.commit()
    outbound.queue("one", people=(TOM,))
    report = outbound.sender().run_once()
    assert report.sent == 0
    assert outbound.fake.calls == []
    rows = outbound.rows()
    assert rows[0].status == "failed" and "TEAMS_SERVICE_HOSTS" in (rows[0].last_error or "")
