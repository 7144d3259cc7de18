"""Acknowledging a critical alert from the personal link in a text or email, through a live
`qihub web` server (uvicorn on 127.0.0.1, spoken to over HTTP) on SQLite and PostgreSQL.

Opening a link never acknowledges (mail gateways' scanners open links); the page's button does,
once; a used, expired, replaced, other person's or unknown link is refused and says nothing about
any alert; the stored hash from a database dump is no link. Acknowledgement is one conditional
UPDATE, so presses on chat and on a link at the same moment record it exactly once.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from sqlalchemy import select

from bot.web import create_web_app
from handlers.alerts import ack_links
from handlers.alerts.ack_links import ack_link
from handlers.config import OrgConfig
from handlers.context import SYSTEM, Context
from store.models import AlertAckLink, AlertRecipient, AuditEntry, OutboxMessage
from tests.harness import ALEX, CHRIS, HELEN, TOM, Harness, button, ref_in
from tests.test_alerts import ALERT, alert_cards, approved, compose, text

ACKNOWLEDGE = {"confirm": "yes"}


@pytest.fixture
def served(hub: Harness) -> Iterator[httpx.Client]:
    """An HTTP client for a live `qihub web` on the hub's database."""
    server = uvicorn.Server(
        uvicorn.Config(create_web_app(hub.app), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def staff_id(hub: Harness, email: str) -> int:
    with hub.app.uow_factory() as uow:
        staff = uow.staff.by_email(email)
        assert staff is not None
        return staff.id


def link(hub: Harness, ref: str, email: str = ALEX) -> str:
    """The path of a new personal link, made as the Notify sender makes one."""
    person = staff_id(hub, email)
    with hub.app.uow_factory() as uow:
        ctx = Context(hub.app.services, uow, SYSTEM, "sms")
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        url = ack_link(ctx, alert, person)
        uow.commit()
    base = hub.app.config.organisation.web_base_url.rstrip("/")
    assert url.startswith(f"{base}/ack/")
    return url.removeprefix(base)


def recipient(hub: Harness, ref: str, email: str = ALEX) -> AlertRecipient:
    person = staff_id(hub, email)
    with hub.app.uow_factory() as uow:
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        row = uow.alerts.recipient(alert.id, person)
        assert row is not None
        uow.session.expunge(row)
        return row


def acknowledgements(hub: Harness, ref: str) -> list[dict[str, Any]]:
    """The audit trail's "acknowledged" entries for the alert (one per person, ever)."""
    with hub.app.uow_factory() as uow:
        query = select(AuditEntry).where(
            AuditEntry.entity_ref == ref, AuditEntry.action == "acknowledged"
        )
        return [dict(entry.after or {}) for entry in uow.session.scalars(query)]


def words(response: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


# ------------------------------------------------------------------------------ opening
def test_opening_the_link_shows_the_alert_and_does_not_acknowledge(
    hub: Harness, served: httpx.Client
) -> None:
    """A link scanner (or the person) opening the link, even repeatedly, records nothing."""
    ref = approved(hub)
    path = link(hub, ref)
    for method in ("GET", "GET", "HEAD"):
        opened = served.request(method, path)
        assert opened.status_code == 200, opened.text
        assert opened.headers["cache-control"] == "no-store"
        assert opened.headers["referrer-policy"] == "no-referrer"
        assert "noindex" in opened.headers["x-robots-tag"]
        assert "default-src 'none'" in opened.headers["content-security-policy"]
    page = words(served.get(path))
    assert "Critical alert: Oxygen cylinder valve recall" in page
    assert "Critical - act now" in page
    assert "quarantine batch 42" in page
    assert "Fri 27 Nov 2026 09:00" in page  # the default deadline: 24 hours after composing
    assert "Alex Morgan" in page
    assert '<form method="post">' in served.get(path).text
    assert "Acknowledged at" not in page
    assert recipient(hub, ref).acked_at is None
    assert acknowledgements(hub, ref) == []


# ------------------------------------------------------------------------------ pressing
def test_pressing_acknowledge_records_it_once_on_the_link_channel(
    hub: Harness, served: httpx.Client
) -> None:
    """The POST acknowledges, with "link" as the channel in the ledger; pressing again (a
    double press, a reload) shows the same time and records nothing more."""
    ref = approved(hub)
    path = link(hub, ref)
    pressed = served.post(path, data=ACKNOWLEDGE)
    assert pressed.status_code == 200, pressed.text
    assert "Acknowledged at 09:00. Thank you." in words(pressed)
    assert 'name="confirm"' not in pressed.text  # no Acknowledge button any more
    assert pressed.headers["cache-control"] == "no-store"
    first = recipient(hub, ref)
    assert first.acked_at == hub.clock.now()
    assert first.ack_platform == "link"
    assert acknowledgements(hub, ref) == [{"late": False, "via": "link"}]

    hub.clock.advance(timedelta(minutes=2))
    again = served.post(path, data=ACKNOWLEDGE)
    assert again.status_code == 200
    assert "Acknowledged at 09:00. Thank you." in words(again)
    assert recipient(hub, ref).acked_at == first.acked_at
    assert len(acknowledgements(hub, ref)) == 1

    # the chat button now says it was already done, and records nothing either
    card = alert_cards(hub, ALEX, ref)[-1]
    assert "already acknowledged" in text(hub.press(ALEX, button(card, "Acknowledge")))
    assert len(acknowledgements(hub, ref)) == 1


def test_a_link_made_again_is_a_different_link(hub: Harness) -> None:
    """Each text carries its own link, so no two texts are identical (Notify limits those)."""
    ref = approved(hub)
    paths = {link(hub, ref) for _ in range(5)}
    assert len(paths) == 5
    assert all(re.fullmatch(r"/ack/[A-Za-z0-9_-]{24}", p) for p in paths)


def test_an_acknowledgement_by_link_stops_the_reminders_on_chat(hub: Harness) -> None:
    """Re-notification skips whoever acknowledged, on whichever channel."""
    ref = approved(hub)
    token = link(hub, ref).removeprefix("/ack/")
    with hub.app.uow_factory() as uow:
        ctx = Context(hub.app.services, uow, SYSTEM, "link")
        assert ack_links.redeem(ctx, token).state == "acknowledged"
        uow.commit()
    before = {e: len(alert_cards(hub, e, ref)) for e in (ALEX, TOM)}
    hub.clock.advance(timedelta(minutes=31))
    hub.tick()
    hub.deliver()
    assert len(alert_cards(hub, ALEX, ref)) == before[ALEX]  # no reminder for Alex
    assert len(alert_cards(hub, TOM, ref)) == before[TOM] + 1  # Tom is reminded
    alex = staff_id(hub, ALEX)
    with hub.app.uow_factory() as uow:
        reminders = uow.session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.like(f"%{ref}%r1>p{alex}")
            )
        ).all()
    assert reminders == []


# ------------------------------------------------------------------------------ refused
def test_a_used_link_is_refused_once_the_moment_has_passed(
    hub: Harness, served: httpx.Client
) -> None:
    """A spent link opened later (forwarded, leaked) is a 410 that names no alert."""
    ref = approved(hub)
    path = link(hub, ref)
    assert served.post(path, data=ACKNOWLEDGE).status_code == 200
    hub.clock.advance(timedelta(minutes=11))
    for response in (served.get(path), served.post(path, data=ACKNOWLEDGE)):
        assert response.status_code == 410
        assert "already been used" in words(response)
        assert "Oxygen" not in response.text and ref not in response.text
    assert len(acknowledgements(hub, ref)) == 1


def test_an_expired_link_is_refused_and_acknowledges_nothing(
    hub: Harness, served: httpx.Client
) -> None:
    """The link expires with the alert: at its deadline, and once it is closed."""
    ref = approved(hub)
    path = link(hub, ref)
    hub.clock.advance(timedelta(hours=24, minutes=1))  # past the 24-hour deadline
    assert served.get(path).status_code == 410
    pressed = served.post(path, data=ACKNOWLEDGE)
    assert pressed.status_code == 410
    assert "This link has expired" in words(pressed)
    hub.tick()  # the deadline rule closes the alert
    with hub.app.uow_factory() as uow:
        assert uow.alerts.by_ref(ref).status == "closed"  # type: ignore[union-attr]
    assert served.post(path, data=ACKNOWLEDGE).status_code == 410
    assert recipient(hub, ref).acked_at is None
    assert acknowledgements(hub, ref) == []


def test_a_link_acts_only_for_the_person_it_was_sent_to(hub: Harness, served: httpx.Client) -> None:
    """Alex's link records Alex's acknowledgement and nobody else's; a link bound to someone
    the alert was not sent to is refused like an unknown one."""
    ref = approved(hub)
    path = link(hub, ref, ALEX)
    assert served.post(path, data=ACKNOWLEDGE).status_code == 200
    assert recipient(hub, ref, ALEX).acked_at is not None
    assert recipient(hub, ref, TOM).acked_at is None
    tom = staff_id(hub, TOM)
    with hub.app.uow_factory() as uow:
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        gone = uow.alerts.recipient(alert.id, tom)
        assert gone is not None
        uow.session.delete(gone)  # as if Tom had not been in the audience
        uow.commit()
    outsider = link(hub, ref, TOM)
    for response in (served.get(outsider), served.post(outsider, data=ACKNOWLEDGE)):
        assert response.status_code == 404
        assert "Oxygen" not in response.text and ref not in response.text
    assert len(acknowledgements(hub, ref)) == 1


def test_unknown_links_and_the_stored_hashes_are_no_links(
    hub: Harness, served: httpx.Client
) -> None:
    """A made-up token, a link to an alert not sent, and the hash a database dump holds all
    get the same 404 page: nothing tells whether an alert exists."""
    ref = approved(hub)
    path = link(hub, ref)
    with hub.app.uow_factory() as uow:
        stored = uow.session.scalars(select(AlertAckLink.token_hash)).all()
        assert path.removeprefix("/ack/") not in stored  # only the hash is kept
    unknown = served.get("/ack/" + "A" * 24)
    assert unknown.status_code == 404
    for token in (*stored, *(s[:24] for s in stored), "x", "A" * 200, "%00" * 8):
        for response in (
            served.get(f"/ack/{token}"),
            served.post(f"/ack/{token}", data=ACKNOWLEDGE),
        ):
            assert response.status_code == 404, token
            assert response.text == unknown.text
    preview = approved_draft(hub)
    draft_link = link(hub, preview)
    assert served.get(draft_link).text == unknown.text
    assert recipient(hub, ref).acked_at is None


def approved_draft(hub: Harness) -> str:
    """An alert composed but not sent, with Alex a recipient row (as a leftover would be)."""
    draft = ref_in(compose(hub, title="Not sent", cas_ref="NatPSA/2026/002"), "ALERT")
    alex = staff_id(hub, ALEX)
    with hub.app.uow_factory() as uow:
        alert = uow.alerts.by_ref(draft)
        assert alert is not None
        uow.session.add(AlertRecipient(alert_id=alert.id, staff_id=alex, notified_count=0))
        uow.commit()
    return draft


def test_a_replaced_alerts_link_points_to_the_correction(
    hub: Harness, served: httpx.Client
) -> None:
    ref = approved(hub)
    path = link(hub, ref)
    correction = correct(hub, ref)
    refused = served.post(path, data=ACKNOWLEDGE)
    assert refused.status_code == 410
    assert f"{ref} was replaced by {correction}" in words(refused)
    assert recipient(hub, ref).acked_at is None


def correct(hub: Harness, ref: str) -> str:
    opened = hub.command(CHRIS, f"/alert correct {ref}")
    preview = hub.fill(CHRIS, opened, {**ALERT, "title": "Oxygen cylinder valve recall (batch 43)"})
    correction = ref_in(preview, "ALERT")  # type: ignore[arg-type]
    hub.press(CHRIS, button(preview, "Send for approval"))  # type: ignore[arg-type]
    hub.deliver()
    hub.press(HELEN, button(hub.platform.to(HELEN)[-1], "Approve and send"))
    hub.deliver()
    return correction


# ------------------------------------------------------------------------------ the POST itself
def test_a_post_from_another_site_or_without_the_button_is_refused(
    hub: Harness, served: httpx.Client
) -> None:
    """A page elsewhere cannot press the button for someone (no cookie would help it anyway);
    a POST without the form's field, or a large body, records nothing."""
    ref = approved(hub)
    path = link(hub, ref)
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
    ):
        refused = served.post(path, data=ACKNOWLEDGE, headers=headers)
        assert refused.status_code == 403, headers
    assert served.post(path, data={}).status_code == 400
    assert served.post(path, data={"confirm": "no"}).status_code == 400
    assert served.post(path, content=b"confirm=yes&" + b"x" * 2048).status_code == 413
    assert recipient(hub, ref).acked_at is None
    # our own page: Origin null (no referrer is sent) and same-origin fetch metadata
    own = served.post(
        path, data=ACKNOWLEDGE, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    )
    assert own.status_code == 200
    assert recipient(hub, ref).acked_at is not None


def test_the_token_never_becomes_a_metric_label(hub: Harness, served: httpx.Client) -> None:
    ref = approved(hub)
    path = link(hub, ref)
    served.get(path)
    served.post(path, data=ACKNOWLEDGE)
    metrics = served.get("/metrics").text
    assert path.removeprefix("/ack/") not in metrics
    assert 'route="/ack/{token}"' in metrics
    assert 'qihub_ack_seconds_count{platform="link"} 1.0' in metrics


# ------------------------------------------------------------------------------ at once
@pytest.mark.parametrize("db_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)  # fmt: skip
def test_presses_on_chat_and_link_at_once_record_exactly_once(
    hub: Harness, served: httpx.Client
) -> None:
    """Sixteen presses at the same instant, eight by link (one token) and eight on chat, on
    PostgreSQL: one acknowledgement recorded, one audit entry, every press answered."""
    ref = approved(hub)
    path = link(hub, ref)
    card = alert_cards(hub, ALEX, ref)[-1]
    ack = button(card, "Acknowledge")
    start = threading.Barrier(16)
    answers: list[str] = []

    def by_link() -> None:
        start.wait()
        response = served.post(path, data=ACKNOWLEDGE)
        answers.append(f"link {response.status_code}")

    def by_chat() -> None:
        start.wait()
        answers.append("chat " + text(hub.press(ALEX, ack))[:40])

    threads = [threading.Thread(target=by_link) for _ in range(8)]
    threads += [threading.Thread(target=by_chat) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers)[8:] == ["link 200"] * 8, answers
    assert acknowledgements(hub, ref) in ([{"late": False, "via": "link"}],
                                          [{"late": False, "via": "test"}])  # fmt: skip
    row = recipient(hub, ref)
    assert row.acked_at is not None and row.ack_platform in ("link", "test")


def test_a_leavers_link_and_a_link_nobody_may_use_are_refused(
    hub: Harness, served: httpx.Client, config: OrgConfig
) -> None:
    """The link acts as its person with their roles now: once they have left it is unknown;
    with acknowledging closed to staff (alert.ack) the press is refused and the link kept."""
    ref = approved(hub)
    alex_link, tom_link = link(hub, ref, ALEX), link(hub, ref, TOM)
    tom = staff_id(hub, TOM)
    with hub.app.uow_factory() as uow:
        leaver = uow.staff.get(tom)
        assert leaver is not None
        leaver.active = False
        uow.commit()
    assert served.post(tom_link, data=ACKNOWLEDGE).status_code == 404
    closed = {**config.permissions, "alert.ack": []}
    hub.app.services.config = config.model_copy(update={"permissions": closed})
    try:
        refused = served.post(alex_link, data=ACKNOWLEDGE)
    finally:
        hub.app.services.config = config
    assert refused.status_code == 403
    assert "Oxygen" not in refused.text
    assert recipient(hub, ref, ALEX).acked_at is None
    assert served.post(alex_link, data=ACKNOWLEDGE).status_code == 200  # not spent by the refusal
    assert acknowledgements(hub, ref) == [{"late": False, "via": "link"}]


def test_a_link_after_acknowledging_on_chat_shows_it_and_records_nothing(
    hub: Harness, served: httpx.Client
) -> None:
    """Acknowledged on Slack or Teams first: the link's page says so, with no button, and a
    press records nothing more; after the deadline the link has expired like any other."""
    ref = approved(hub)
    path = link(hub, ref)
    hub.clock.advance(timedelta(minutes=14))
    card = alert_cards(hub, ALEX, ref)[-1]
    hub.press(ALEX, button(card, "Acknowledge"))
    opened = served.get(path)
    assert opened.status_code == 200
    assert "Acknowledged at 09:14. Thank you." in words(opened)
    assert 'name="confirm"' not in opened.text  # no Acknowledge button any more
    assert served.post(path, data=ACKNOWLEDGE).status_code == 200
    assert acknowledgements(hub, ref) == [{"late": False, "via": "test"}]
    assert recipient(hub, ref).ack_platform == "test"
    hub.clock.advance(timedelta(hours=24))
    assert served.get(path).status_code == 410
