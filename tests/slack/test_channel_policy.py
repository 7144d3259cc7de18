"""The channel policy end to end (issue 15 items 2 and 5): a critical alert to a mixed audience
through the real Slack adapter (signed requests to `qihub web`), the real outbox sender with
the official Notify client over HTTP to the fake Notify, the real reminder engine, real SQLite
and PostgreSQL.

The audience (site:liverpool and site:wirral): Alex is on Slack and has a mobile; Kim has only
a mobile; Tom has only an email (his work address). The critical policy: a text at once to
people no chat platform can message, a text after 15 minutes to whoever has not acknowledged,
an email after 30. It is published at 23:30, in quiet hours, which hold none of it.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import create_app
from bot.outbox_workers import connected_platforms, direct_channels
from bot.settings import Settings
from handlers.alerts.export import export_ledger
from handlers.clock import ManualClock
from handlers.config import OrgConfig, PolicyStep
from handlers.contacts import ContactChange, apply_changes
from handlers.context import SYSTEM, Context
from handlers.leadership import CLOCK
from handlers.outbox.sender import OutboxSender
from handlers.reminders import tick
from store.models import AlertAttempt, OutboxMessage, StaffContact
from tests.conftest import START
from tests.notify.fake_notify import FakeNotify, Sent
from tests.slack import kit, signed
from tests.slack.conftest import SlackHarness, serve, slack_config
from tests.slack.fake_api import FakeSlack
from tests.slack.test_alerts import ALERT, dm

SMS = "((org)) ((reminder))critical alert ((ref)): ((title))\nAcknowledge: ((ack_url))"
EMAIL = "((severity)): ((title))\n\n((instructions))\n\nAcknowledge: ((ack_url))"
CALLBACK_TOKEN = "receipts-token-0123456789"
ALEX, KIM, TOM = (
    "alex.morgan@clatterbridge.example",
    "kim.jones@clatterbridge.example",
    "tom.baker@clatterbridge.example",
)
MOBILES = {ALEX: "+447700900111", KIM: "+447700900222"}
POLICY = [
    PolicyStep(channel="sms", after_minutes=0, who="no_chat"),
    PolicyStep(channel="sms", after_minutes=15, who="not_acked"),
    PolicyStep(channel="email", after_minutes=30, who="not_acked"),
]


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    fake = FakeNotify()
    fake.start()
    yield fake
    fake.stop()


def policy_config(
    config: OrgConfig, notify: FakeNotify, policy: list[PolicyStep] | None = POLICY
) -> OrgConfig:
    """Notify's templates set; the critical severity's policy `policy` (None: none written,
    so the default applies)."""
    templates = config.notify.model_copy(
        update={
            "sms_template_id": notify.add_template("sms", SMS),
            "email_template_id": notify.add_template("email", EMAIL),
        }
    )
    severities = dict(config.alert_severities)
    severities["critical"] = severities["critical"].model_copy(update={"policy": policy})
    return slack_config(config).model_copy(
        update={"notify": templates, "alert_severities": severities}
    )


@pytest.fixture
def policy() -> list[PolicyStep] | None:
    """The critical severity's policy in the config (a test overrides it with its own)."""
    return POLICY


@pytest.fixture
def slack(
    db_url: str,
    config: OrgConfig,
    fake_slack: FakeSlack,
    notify: FakeNotify,
    policy: list[PolicyStep] | None,
) -> Iterator[SlackHarness]:
    """tests/slack/conftest.py's live server, with Notify's key and callback token set."""
    del fake_slack.users["U0KIM"], fake_slack.users["U0TOM"]  # not in the Slack workspace
    settings = Settings(
        database_url=db_url,
        slack_bot_token="xoxb-test-token",
        slack_signing_secret=signed.SECRET,
        slack_api_url=f"{fake_slack.url}/api/",
        notify_api_key=notify.api_key(),  # type: ignore[arg-type]
        notify_api_url=notify.url,
        notify_callback_token=CALLBACK_TOKEN,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    hub = create_app(
        settings, clock=ManualClock(START), config=policy_config(config, notify, policy)
    )
    with serve(hub, fake_slack) as harness:
        yield harness


def setup_people(slack: SlackHarness) -> dict[str, int]:
    """Alex's Slack id is on record (he has used the bot); Alex and Kim have mobiles."""
    hub = slack.hub
    send_all(slack)  # the clock holds its lease from the start
    with hub.uow_factory() as uow:
        ids = {s.email: s.id for s in uow.staff.by_emails([ALEX, KIM, TOM])}
        alex = uow.staff.get(ids[ALEX])
        assert alex is not None
        alex.slack_user_id = "U0ALEX"
        changes = [ContactChange(ids[e], mobile=m) for e, m in MOBILES.items()]
        apply_changes(uow, changes, "csv", hub.clock.now())
        uow.commit()
    return ids


def send_all(slack: SlackHarness) -> None:
    """What `qihub clock` does: holding the clock's lease (so the web process leaves texts and
    emails to it), the outbox goes out, texts and emails by Notify."""
    hub = slack.hub
    with hub.uow_factory() as uow:
        assert uow.leases.take_or_renew(CLOCK, "test-clock", hub.clock.now(), timedelta(days=2))
        uow.commit()
    OutboxSender(
        hub.uow_factory,
        connected_platforms(hub),
        hub.config,
        hub.clock,
        direct=direct_channels(hub),
    ).drain(10)


def clock_tick(slack: SlackHarness, minutes: float) -> None:
    rules_tick(slack, minutes)
    send_all(slack)


def rules_tick(slack: SlackHarness, minutes: float) -> None:
    """The clock's reminder pass `minutes` later (what it queues is not yet sent)."""
    hub = slack.hub
    assert isinstance(hub.clock, ManualClock)
    hub.clock.advance(timedelta(minutes=minutes))
    rules = [r for r in hub.rules if r.name.startswith("alert_")]
    for _ in range(2):  # a second clock in the same minute changes nothing
        with hub.uow_factory() as uow:
            tick(Context(hub.services, uow, SYSTEM, "clock"), rules)
            uow.commit()


def publish(slack: SlackHarness) -> str:
    view = kit.form_from(slack, kit.CHRIS, "/alert")
    since = kit.mark(slack)
    kit.submit(slack, kit.CHRIS, view, ALERT)
    preview = dm(slack, kit.CHRIS, since, "Preview of ALERT-")
    ref = kit.ref_in(kit.flat(preview), "ALERT")
    since = kit.press(slack, kit.CHRIS, preview, "Send for approval", channel=kit.CHRIS)
    request = dm(slack, kit.HELEN, since, f"Approval needed: {ref}")
    since = kit.press(slack, kit.HELEN, request, "Approve and send", channel=kit.HELEN)
    assert "sent to 3 people" in kit.flat(kit.wait_calls(slack, "response_url", since)[-1])
    return ref


def received(notify: FakeNotify) -> list[tuple[str, str]]:
    """(kind, to) of everything Notify accepted, in order."""
    with notify._lock:
        return [(s.kind, s.to) for s in notify.sent]


def latest(notify: FakeNotify, to: str) -> Sent:
    with notify._lock:
        return [s for s in notify.sent if s.to == to][-1]


def ack_by_link(slack: SlackHarness, sent: Sent) -> None:
    found = re.search(r"/ack/([A-Za-z0-9_-]{24})", sent.body)
    assert found, sent.body
    answer = slack.http.post(f"/ack/{found.group(1)}", data={"confirm": "yes"})
    assert answer.status_code == 200, answer.text


def receipt(slack: SlackHarness, sent: Sent, status: str, token: str = CALLBACK_TOKEN) -> int:
    body = {
        "id": sent.id,
        "reference": sent.reference,
        "to": sent.to,
        "status": status,
        "notification_type": sent.kind,
    }
    return slack.http.post(
        "/notify/callback",
        content=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    ).status_code


def ledger(slack: SlackHarness, ref: str) -> dict[str, dict[str, str]]:
    out = io.StringIO()
    with slack.hub.uow_factory() as uow:
        export_ledger(uow, ref, out)
        uow.commit()
    text = out.getvalue()
    for number in MOBILES.values():
        assert number[3:] not in re.sub(r"\D", "", text), "a mobile number in the ledger"
    return {row["email"]: row for row in csv.DictReader(io.StringIO(text))}


def test_a_mixed_audience_is_reached_once_per_step_and_an_ack_stops_the_rest(
    slack: SlackHarness, notify: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    setup_people(slack)
    slack.hub.clock.advance(timedelta(hours=14, minutes=30))  # type: ignore[attr-defined]
    ref = publish(slack)  # 23:30: quiet hours
    send_all(slack)
    # At once: a text to Kim, whom no chat reaches. Not Alex (Slack), not Tom (no mobile).
    assert received(notify) == [("sms", MOBILES[KIM])]
    assert f"critical alert {ref}" in latest(notify, MOBILES[KIM]).body

    ack_by_link(slack, latest(notify, MOBILES[KIM]))  # Kim acknowledges from her text
    clock_tick(slack, 1)
    assert len(received(notify)) == 1, "nothing new before the 15-minute step"

    clock_tick(slack, 15)  # 15 minutes: a text to whoever has not acknowledged and has a mobile
    assert received(notify)[1:] == [("sms", MOBILES[ALEX])], "Kim acknowledged: no second text"
    assert "Reminder: " in latest(notify, MOBILES[ALEX]).body

    clock_tick(slack, 15)  # 30 minutes: an email to whoever has not acknowledged
    assert sorted(received(notify)[2:]) == [("email", ALEX), ("email", TOM)]
    links = {s.body.split("/ack/")[1] for s in notify.sent}
    assert len(links) == 4, "each message carries its own link"

    clock_tick(slack, 45)  # later ticks and a second clock send nothing again
    assert len(received(notify)) == 4 and notify.duplicates() == 0

    with slack.hub.uow_factory() as uow:
        kim = uow.staff.by_email(KIM)
        assert kim is not None
        row = uow.alerts.recipient_now(uow.alerts.by_ref(ref).id, kim.id)  # type: ignore[union-attr]
        assert row is not None and row.ack_platform == "sms", "acknowledged from the text"
    rows = ledger(slack, ref)
    assert rows[KIM]["ack_platform"] == "sms" and rows[KIM]["channels_tried"] == "sms"
    assert rows[ALEX]["channels_tried"] == "sms,email"
    assert rows[TOM]["channels_tried"] == "email"
    for text in caplog.messages:
        assert "7700900" not in text and "tom.baker" not in text


@pytest.mark.parametrize("policy", [None])
def test_a_trust_that_writes_no_policy_still_reaches_everyone_no_chat_reaches_at_once(
    slack: SlackHarness, notify: FakeNotify
) -> None:
    """The bundled config writes no critical policy: with Notify's templates set, the default
    applies (handlers/config.py DEFAULT_CRITICAL_POLICY): a text and an email at once to the
    people no chat reaches, a text at 15 minutes to whoever has not acknowledged."""
    setup_people(slack)
    publish(slack)
    send_all(slack)
    assert sorted(received(notify)) == [("email", KIM), ("email", TOM), ("sms", MOBILES[KIM])]
    clock_tick(slack, 16)
    assert sorted(received(notify)[3:]) == [("sms", MOBILES[ALEX]), ("sms", MOBILES[KIM])]


@pytest.mark.parametrize("policy", [[]])
def test_a_policy_written_empty_sends_no_text_or_email(
    slack: SlackHarness, notify: FakeNotify
) -> None:
    setup_people(slack)
    publish(slack)
    send_all(slack)
    clock_tick(slack, 45)
    assert received(notify) == []


def test_receipts_mark_delivered_and_failed_and_refuse_the_number_after(
    slack: SlackHarness, notify: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    ids = setup_people(slack)
    ref = publish(slack)
    send_all(slack)
    clock_tick(slack, 16)
    clock_tick(slack, 15)
    kim_text = latest(notify, MOBILES[KIM])  # her second text (she has not acknowledged)
    alex_text = next(s for s in notify.sent if s.to == MOBILES[ALEX])
    tom_email = next(s for s in notify.sent if s.to == TOM)

    assert receipt(slack, kim_text, "delivered", token="wrong-token-0123456789") == 401
    assert receipt(slack, kim_text, "delivered") == 204
    assert receipt(slack, alex_text, "permanent-failure") == 204
    assert receipt(slack, alex_text, "permanent-failure") == 204  # a replay changes nothing
    assert receipt(slack, tom_email, "sending") == 204
    assert receipt(slack, tom_email, "permanent-failure") == 204
    assert receipt(slack, tom_email, "delivered") == 204  # out of order: the failure stands
    for stranger in ("qihub-o999999", "not-ours"):  # not ours: 200, nothing to retry
        assert receipt(slack, replace(kim_text, reference=stranger), "delivered") == 200

    rows = ledger(slack, ref)
    assert rows[KIM]["sms_status"] == "delivered"
    assert rows[ALEX]["sms_status"] == "permanent-failure"
    assert rows[TOM]["email_status"] == "permanent-failure"

    with slack.hub.uow_factory() as uow:
        contacts = uow.contacts.for_staff(ids.values())
        assert contacts[ids[ALEX]].mobile_failed_at is not None, "Alex's number is refused"
        assert contacts[ids[KIM]].mobile_failed_at is None
        assert contacts[ids[TOM]].email_failed_at is not None, "Tom's address is refused"
        attempts = uow.session.query(AlertAttempt).count()
        assert uow.session.get(StaffContact, ids[TOM]) is not None
    assert attempts == 6  # Kim: 2 texts, 1 email; Alex: 1 text, 1 email; Tom: 1 email

    status = kit.flat(kit.reply_to(slack, kit.CHRIS, f"/alert status {ref}"))
    lines = status.split("\n")  # by site: the site's name, then its counts
    liverpool = lines[lines.index("Clatterbridge Cancer Centre - Liverpool") + 1]
    wirral = lines[lines.index("Clatterbridge Cancer Centre - Wirral") + 1]
    assert "1 text failed" in liverpool and "email" not in liverpool, status  # Alex's text
    assert "1 email failed" in wirral and "text" not in wirral, status  # Tom's email
    for text in caplog.messages:
        assert "7700900" not in text and "tom.baker" not in text


def test_an_acknowledgement_on_slack_withdraws_the_persons_queued_text(
    slack: SlackHarness, notify: FakeNotify
) -> None:
    """Alex's 15-minute text is queued; he acknowledges on Slack before the clock sends it:
    Notify never gets it, the ledger says why, and no later step (the email) is queued."""
    setup_people(slack)
    start = kit.mark(slack)
    ref = publish(slack)
    send_all(slack)
    card = dm(slack, kit.ALEX, start, f"({ref})")
    rules_tick(slack, 16)  # texts to Alex and Kim queued, not yet sent
    with slack.hub.uow_factory() as uow:
        queued = uow.session.query(OutboxMessage).filter(OutboxMessage.platform_ref.is_(None))
        assert sum(1 for row in queued if "directp1>sms" in row.dedupe_key) == 2

    since = kit.press(slack, kit.ALEX, card, "Acknowledge", channel=kit.ALEX)
    assert "Acknowledged at" in kit.flat(kit.wait_calls(slack, "response_url", since)[-1])
    send_all(slack)
    assert ("sms", MOBILES[ALEX]) not in received(notify), "a withdrawn text never reaches Notify"
    assert received(notify).count(("sms", MOBILES[KIM])) == 2, "Kim's own text still goes"

    rows = ledger(slack, ref)
    assert rows[ALEX]["sms_status"] == "withdrawn-acknowledged"
    assert rows[ALEX]["ack_platform"] == "slack"
    with slack.hub.uow_factory() as uow:
        alex = uow.staff.by_email(ALEX)
        assert alex is not None
        row = uow.session.query(OutboxMessage).filter_by(recipient_id=alex.id).all()
        texts = [r for r in row if "directp1>sms" in r.dedupe_key]
        assert [(r.status, r.last_error) for r in texts] == [
            ("withdrawn", "withdrawn: acknowledged on slack before it was sent")
        ]
    clock_tick(slack, 15)  # the email step: not to Alex, who acknowledged
    assert ("email", ALEX) not in received(notify)
    assert sorted(to for kind, to in received(notify) if kind == "email") == [KIM, TOM]

    ack_by_link(slack, latest(notify, MOBILES[KIM]))  # all of Kim's messages already went
    rows = ledger(slack, ref)
    assert rows[KIM]["sms_status"] == "queued" and rows[KIM]["email_status"] == "queued"
    with slack.hub.uow_factory() as uow:
        kim = uow.staff.by_email(KIM)
        assert kim is not None
        sent = uow.session.query(OutboxMessage).filter_by(recipient_id=kim.id, platform="sms")
        assert [r.status for r in sent] == ["sent", "sent"], "a sent message is never withdrawn"
