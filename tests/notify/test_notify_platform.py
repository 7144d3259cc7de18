"""Texts and emails through GOV.UK Notify: the real outbox sender, the real official client
over HTTP to the fake Notify (tests/notify/fake_notify.py), real SQLite and PostgreSQL.

What is proved: a queued alert text or email reaches the fake with the template's fields and
a reference of ours; a chat message is never turned into a text; a refused number fails once
and is never tried again; a send whose answer was lost (a timeout, a 500 after Notify accepted
it) is found by its reference and never sent twice; a spent daily text allowance holds texts
and lets emails go on; a refused key stops sending and tells the operator; and no number or
address reaches a log line, an outbox error or the audit trail.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.notify.platform import NotifyChannel, next_midnight_utc, notify_channels
from bot.settings import Settings
from handlers.alerts.direct import queue_alert_message
from handlers.config import NotifySettings
from handlers.contacts import ContactChange, apply_changes
from handlers.context import SYSTEM, Context
from handlers.outbox.sender import OutboxSender
from messages.view import Reply
from store.models import AuditEntry, OutboxMessage
from tests.harness import ALEX, KIM, SAM, Harness
from tests.notify.fake_notify import FakeNotify
from tests.test_alerts import approved, id_of

SMS = "((org)) ((reminder))critical alert ((ref)): ((title))\nRead and acknowledge: ((ack_url))"
EMAIL = "((severity)): ((title))\n\n((instructions))\n\nBy ((deadline)).\nAcknowledge: ((ack_url))"
MOBILES = {ALEX: "07700 900111", KIM: "07700 900222"}
LINK = "https://qihub.example/ack/"


@pytest.fixture
def fake() -> Iterator[FakeNotify]:
    notify = FakeNotify(hang_seconds=1.0)
    notify.start()
    yield notify
    notify.stop()


def channels(fake: FakeNotify, **settings: object) -> list[NotifyChannel]:
    templates = NotifySettings(
        sms_template_id=fake.add_template("sms", SMS),
        email_template_id=fake.add_template("email", EMAIL),
    )
    env = Settings(
        _env_file=None,  # type: ignore[call-arg]
        notify_api_key=fake.api_key(),  # type: ignore[arg-type]
        notify_api_url=fake.url,
        notify_timeout_seconds=0.4,
        **settings,  # type: ignore[arg-type]
    )
    return notify_channels(env, templates)


def sender(hub: Harness, direct: list[NotifyChannel], *, chat: bool = True) -> OutboxSender:
    platforms = [hub.platform] if chat else []
    return OutboxSender(
        hub.app.uow_factory, platforms, hub.app.config, hub.clock, direct=direct, max_attempts=4
    )


def give_contacts(hub: Harness, emails: dict[str, str | None] | None = None) -> None:
    """Alex and Kim have mobiles (as a CSV import gives them); Sam an alert email."""
    with hub.app.uow_factory() as uow:
        ids = {s.email: s.id for s in uow.staff.by_emails([ALEX, KIM, SAM])}
        changes = [ContactChange(ids[e], mobile=m) for e, m in MOBILES.items()]
        changes.append(ContactChange(ids[SAM], email="sam.home@mail.example"))
        from handlers.mobile import normalise_uk_mobile

        changes = [
            ContactChange(c.staff_id, mobile=normalise_uk_mobile(c.mobile))
            if isinstance(c.mobile, str)
            else c
            for c in changes
        ]
        apply_changes(uow, changes, "csv", hub.clock.now())
        uow.commit()


def queue(hub: Harness, ref: str, who: str, via: str, *, step: str = "0") -> int:
    """Queue the alert to one person by text or email; returns the outbox row's id."""
    staff_id = id_of(hub, who)
    with hub.app.uow_factory() as uow:
        ctx = Context(hub.app.services, uow, SYSTEM, "test")
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        assert queue_alert_message(ctx, alert, staff_id, via, LINK + f"t{staff_id}", step=step)  # type: ignore[arg-type]
        uow.commit()
        found = uow.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.dedupe_key.like(f"%>{via}{staff_id}"))
        ).all()
        return max(found)


def row(hub: Harness, outbox_id: int) -> OutboxMessage:
    with hub.app.uow_factory() as uow:
        found = uow.session.get(OutboxMessage, outbox_id)
        assert found is not None
        uow.session.expunge(found)
        return found


def no_numbers_in(text: str) -> None:
    flat = re.sub(r"\D", "", text)
    for number in MOBILES.values():
        assert re.sub(r"\D", "", number)[1:] not in flat, "a mobile number was written down"
    assert "sam.home@mail.example" not in text


def test_text_and_email_sent_with_template_fields_and_reference(
    hub: Harness, fake: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ref = approved(hub)
    give_contacts(hub)
    texts = queue(hub, ref, ALEX, "sms")
    emails = [queue(hub, ref, SAM, "email"), queue(hub, ref, KIM, "email")]
    report = sender(hub, channels(fake)).drain()

    assert report.sent == 3
    sms = fake.of_reference(f"qihub-o{texts}")
    assert [(s.kind, s.to) for s in sms] == [("sms", "+447700900111")]
    assert f"critical alert {ref}: Oxygen cylinder valve recall" in sms[0].body
    assert sms[0].body.endswith(f"Read and acknowledge: {LINK}t{id_of(hub, ALEX)}")
    assert [fake.of_reference(f"qihub-o{e}")[0].to for e in emails] == [
        "sam.home@mail.example",  # the alert email on file
        KIM,  # none on file: the work address
    ]
    assert "quarantine batch 42" in fake.of_reference(f"qihub-o{emails[0]}")[0].body
    sent = row(hub, texts)
    assert (sent.status, sent.platform) == ("sent", "sms")
    assert sent.platform_ref == {"notification_id": sms[0].id, "reference": f"qihub-o{texts}"}
    assert "via" in sent.payload and "+44" not in str(sent.payload)  # no number in the outbox
    with hub.app.uow_factory() as uow:
        audit = " ".join(f"{a.after} {a.reason}" for a in uow.session.scalars(select(AuditEntry)))
    no_numbers_in(caplog.text + audit)


def test_a_chat_message_never_becomes_a_text(hub: Harness, fake: FakeNotify) -> None:
    """Alex has a mobile number and no chat platform reaches anyone here: a chat message to
    Alex is still not texted (texts are only ever asked for by name)."""
    give_contacts(hub)
    alex = id_of(hub, ALEX)
    with hub.app.uow_factory() as uow:
        ctx = Context(hub.app.services, uow, SYSTEM, "test")
        ctx.enqueuer.to_person(alex, Reply(summary="Your idea was decided"), "idea:x")
        uow.commit()
    report = sender(hub, channels(fake), chat=False).drain()
    assert report.sent == 0 and fake.sent == []
    with hub.app.uow_factory() as uow:
        failed = uow.session.scalars(select(OutboxMessage)).all()
        assert [(r.status, r.last_error) for r in failed if r.dedupe_key.startswith("idea:x")] == [
            ("failed", "no connected platform can reach this person")
        ]


def test_no_number_on_file_and_a_refused_number_fail_once_and_are_not_retried(
    hub: Harness, fake: FakeNotify
) -> None:
    ref = approved(hub)
    give_contacts(hub)
    kim = id_of(hub, KIM)
    with hub.app.uow_factory() as uow:  # a number kept before it was checked: a landline
        contact = uow.contacts.for_staff([kim])[kim]
        contact.mobile = "+441514565000"
        uow.commit()
    nothing, refused = queue(hub, ref, SAM, "sms"), queue(hub, ref, KIM, "sms")
    send = sender(hub, channels(fake))
    send.drain()
    hub.clock.advance(timedelta(hours=1))
    send.drain()
    assert (row(hub, nothing).status, row(hub, nothing).last_error) == (
        "failed",
        "no mobile number on file",
    )
    failed = row(hub, refused)
    assert (failed.status, failed.last_error, failed.attempts) == (
        "failed",
        "Notify refused the mobile number",
        1,
    )
    assert fake.answered[400] == 1 and fake.sent == []


@pytest.mark.parametrize("lost", ["accept_then_timeout", "accept_then_500"])
def test_an_answer_lost_after_notify_accepted_is_found_by_reference_not_sent_twice(
    hub: Harness, fake: FakeNotify, lost: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ref = approved(hub)
    give_contacts(hub)
    text = queue(hub, ref, ALEX, "sms")
    fake.fail(lost)
    send = sender(hub, channels(fake))
    send.drain()
    waiting = row(hub, text)
    assert waiting.status == "pending" and (waiting.last_error or "").startswith(
        "notify: outcome unknown"
    )
    assert len(fake.of_reference(f"qihub-o{text}")) == 1  # Notify has it, we do not know
    hub.clock.advance(timedelta(minutes=10))
    send.drain()
    done = row(hub, text)
    found = fake.of_reference(f"qihub-o{text}")
    assert len(found) == 1, "sent twice"
    assert done.status == "sent" and done.platform_ref == {
        "notification_id": found[0].id,
        "reference": f"qihub-o{text}",
    }
    no_numbers_in(caplog.text + str(done.last_error))


def test_a_5xx_before_notify_accepted_is_sent_once_on_the_retry(
    hub: Harness, fake: FakeNotify
) -> None:
    ref = approved(hub)
    give_contacts(hub)
    text = queue(hub, ref, ALEX, "sms")
    fake.fail(502, times=1)
    send = sender(hub, channels(fake))
    send.drain()
    assert row(hub, text).status == "pending"
    hub.clock.advance(timedelta(minutes=10))
    send.drain()
    assert row(hub, text).status == "sent"
    assert len(fake.of_reference(f"qihub-o{text}")) == 1 and fake.duplicates() == 0


def test_daily_text_limit_holds_texts_until_midnight_utc_and_email_goes_on(
    hub: Harness, fake: FakeNotify
) -> None:
    fake.daily["sms"] = 1
    ref = approved(hub)
    give_contacts(hub)
    sam = id_of(hub, SAM)
    with hub.app.uow_factory() as uow:
        apply_changes(uow, [ContactChange(sam, mobile="+447700900333")], "csv", hub.clock.now())
        uow.commit()
    texts = [queue(hub, ref, who, "sms") for who in (ALEX, KIM, SAM)]
    email = queue(hub, ref, SAM, "email")
    sender(hub, channels(fake)).drain(max_rounds=3)
    assert [row(hub, t).status for t in texts] == ["sent", "pending", "pending"]
    assert fake.answered[429] == 1, "once Notify said the day is spent, texts wait here"
    for held in (row(hub, t) for t in texts[1:]):
        assert held.attempts == 0, "a held text spends none of its attempts"
        # Held until Notify's day ends: real midnight UTC (whatever the test's clock says).
        real = datetime.now(UTC)
        until = hub.clock.now() + (next_midnight_utc(real) - real)
        assert held.next_attempt_at > hub.clock.now()
        assert abs(held.next_attempt_at - until) < timedelta(minutes=2)
    assert row(hub, email).status == "sent"


def test_a_refused_key_pauses_notify_and_tells_the_operator_without_the_key(
    hub: Harness, fake: FakeNotify, caplog: pytest.LogCaptureFixture
) -> None:
    ref = approved(hub)
    give_contacts(hub)
    text = queue(hub, ref, ALEX, "sms")
    fake.revoked.add("qihub-live")
    direct = channels(fake)
    sender(hub, direct).drain(max_rounds=1)
    assert row(hub, text).status == "pending" and fake.sent == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("check NOTIFY_API_KEY" in e for e in errors), errors
    secret = fake.secrets["qihub-live"]
    assert secret not in caplog.text and fake.service_id not in caplog.text
    assert direct[0]._gate.pacer.paused_for > 30  # both channels wait for the operator
