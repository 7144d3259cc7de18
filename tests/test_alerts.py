"""Critical alerts end to end through the real core: compose, four-eyes approval, broadcast,
acknowledgement, re-notification, escalation at the deadline, corrections and the CSV ledger."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from handlers.alerts.export import export_ledger
from messages.view import FormErrors, OpenForm, Reply, Text, all_text
from store.models import Alert, AlertRecipient, AuditEntry, OutboxMessage, Staff
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    KIM,
    RUTH,
    TOM,
    Harness,
    button,
    buttons_of,
    errors_of,
    ref_in,
)

ALERT: dict[str, Any] = {
    "title": "Oxygen cylinder valve recall",
    "instructions": "Check every CD oxygen cylinder on your ward and quarantine batch 42.",
    "severity": "critical",
    "audience": ["all"],
    "deadline_date": "",
    "deadline_time": "",
    "lesson_ref": "",
    "cas_ref": "NatPSA/2026/001",
    "emergency": "no",
}


def text(reply: Any) -> str:
    assert isinstance(reply, Reply), reply
    return " ".join(all_text(reply))


def compose(hub: Harness, who: str = CHRIS, **overrides: Any) -> Reply:
    response = hub.fill(who, hub.command(who, "/alert"), {**ALERT, **overrides})
    assert isinstance(response, Reply), response
    return response


def approved(hub: Harness, **overrides: Any) -> str:
    """An alert composed by Chris, approved by Helen, delivered. Returns its ref."""
    preview = compose(hub, **overrides)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    request = hub.platform.to(HELEN)[-1]
    done = hub.press(HELEN, button(request, "Approve and send"))
    assert "sent to" in text(done), text(done)
    hub.deliver()
    return ref


def staff_count(hub: Harness) -> int:
    with hub.app.uow_factory() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Staff)) or 0)


def alert_cards(hub: Harness, who: str, ref: str) -> list[Reply]:
    return [
        r
        for r in hub.platform.to(who)
        if ref in r.summary and any(b.action == "alert.ack" for b in buttons_of(r))
    ]


def escalations(hub: Harness, who: str) -> list[Reply]:
    return [r for r in hub.platform.to(who) if any(b.action == "alert.team" for b in buttons_of(r))]


def recipients(hub: Harness, ref: str) -> list[AlertRecipient]:
    with hub.app.uow_factory() as uow:
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        rows = uow.session.scalars(
            select(AlertRecipient)
            .where(AlertRecipient.alert_id == alert.id)
            .order_by(AlertRecipient.staff_id)
        ).all()
        for row in rows:
            uow.session.expunge(row)
        return list(rows)


def stored(hub: Harness, ref: str) -> Alert:
    with hub.app.uow_factory() as uow:
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        uow.session.expunge(alert)
        return alert


def id_of(hub: Harness, email: str) -> int:
    with hub.app.uow_factory() as uow:
        staff = uow.staff.by_email(email)
        assert staff is not None
        return staff.id


# ------------------------------------------------------------------ the whole journey
def test_composed_approved_acknowledged_renotified_escalated_and_exported(hub: Harness) -> None:
    everyone = staff_count(hub)
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    assert ref == "ALERT-2026-0001"
    assert f"it will reach {everyone} people" in text(preview)
    assert [b.label for b in buttons_of(preview)] == ["Send for approval", "Edit", "Discard"]
    assert stored(hub, ref).status == "draft"
    hub.deliver()
    assert hub.platform.sent == []  # a draft sends nothing

    waiting = hub.press(CHRIS, button(preview, "Send for approval"))
    assert "Helen Roberts, Ruth Green" in text(waiting)
    hub.deliver()
    request = hub.platform.to(HELEN)[-1]
    assert [b.label for b in buttons_of(request)] == ["Approve and send", "Reject…"]
    assert hub.platform.to(RUTH), "every other approver is asked"
    assert stored(hub, ref).status == "awaiting_approval"

    done = hub.press(HELEN, button(request, "Approve and send"))
    assert f"sent to {everyone} people" in text(done)
    again = hub.press(RUTH, button(hub.platform.to(RUTH)[-1], "Approve and send"))
    assert f"{ref} was approved by Helen Roberts at 09:00" in text(again)
    assert "this card was out of date" in text(again) and buttons_of(again) == []
    hub.deliver()

    alert = stored(hub, ref)
    assert (alert.status, alert.approver_id, alert.recipient_count) == (
        "live",
        id_of(hub, HELEN),
        everyone,
    )
    with hub.app.uow_factory() as uow:
        emails = [s.email for s in uow.staff.all_active()]
    for email in emails:  # every audience member has exactly one alert message
        assert len(alert_cards(hub, email, ref)) == 1, email
    assert len(alert_cards(hub, "#all_staff", ref)) == 1
    status = [r for r in hub.platform.to(CHRIS) if r.summary.startswith(f"{ref}: 0 of")]
    assert len(status) == 1

    # Acknowledge: recorded once, the message replaced, the second press only says so.
    card = alert_cards(hub, ALEX, ref)[0]
    acked = hub.press(ALEX, button(card, "Acknowledge"))
    assert isinstance(acked, Reply) and acked.replace_original
    assert "Acknowledged at 09:00" in text(acked)
    twice = hub.press(ALEX, button(card, "Acknowledge"))
    assert "already acknowledged" in text(twice)
    channel = hub.press(TOM, button(alert_cards(hub, "#all_staff", ref)[0], "Acknowledge"))
    assert isinstance(channel, Reply) and not channel.replace_original  # the post stays
    rows = {r.staff_id: r for r in recipients(hub, ref)}
    assert rows[id_of(hub, ALEX)].acked_at is not None
    assert rows[id_of(hub, ALEX)].ack_platform == "test"
    assert rows[id_of(hub, ALEX)].delivered_at is None  # copied from the outbox at the tick

    # The tick copies deliveries into the ledger and updates the publisher's status in place.
    hub.tick()
    hub.deliver()
    rows = {r.staff_id: r for r in recipients(hub, ref)}
    assert all(r.delivered_at is not None and r.platform == "fake" for r in rows.values())
    updates = [reply for handle, reply in hub.platform.updated if handle["to"] == CHRIS]
    assert updates and "2 of" in updates[-1].summary
    hub.tick()
    hub.deliver()
    assert len([h for h, _ in hub.platform.updated if h["to"] == CHRIS]) == len(updates)

    # Re-notified every 30 minutes (critical), once per interval, never the acknowledged.
    hub.clock.advance(timedelta(minutes=30))
    hub.tick()
    hub.deliver()
    assert len(alert_cards(hub, KIM, ref)) == 2
    assert len(alert_cards(hub, ALEX, ref)) == 1
    assert len(alert_cards(hub, TOM, ref)) == 1
    hub.clock.advance(timedelta(minutes=10))
    hub.tick()
    hub.deliver()
    assert len(alert_cards(hub, KIM, ref)) == 2
    hub.clock.advance(timedelta(minutes=20))
    hub.tick()
    hub.deliver()
    assert len(alert_cards(hub, KIM, ref)) == 3
    assert {r.notified_count for r in recipients(hub, ref) if r.acked_at is None} == {3}

    # At the deadline: managers told, the publisher gets the list, the alert closes.
    hub.clock.advance(timedelta(hours=23))
    hub.tick()
    hub.deliver()
    assert stored(hub, ref).status == "closed"
    assert escalations(hub, KIM) == []  # Kim's people (Alex and Tom) both acknowledged
    helen_told = escalations(hub, HELEN)
    assert len(helen_told) == 1 and ref in helen_told[0].summary
    who = text(hub.press(HELEN, button(helen_told[0], "See who")))
    assert "Chris Evans, Kim Jones." in who and "Alex" not in who  # only Helen's own people
    assert "Everyone you manage" in text(hub.press(KIM, button(helen_told[0], "See who")))
    listing = [r for r in hub.platform.to(CHRIS) if "deadline of" in r.summary]
    assert len(listing) == 1
    assert "No line manager on record" in text(listing[0]) and "Mark Taylor" in text(listing[0])
    assert "Alex Morgan" not in text(listing[0])
    escalated = [r for r in recipients(hub, ref) if r.escalated_at is not None]
    assert len(escalated) == everyone - 2
    hub.clock.advance(timedelta(hours=2))
    hub.tick()
    hub.deliver()
    assert len(alert_cards(hub, KIM, ref)) == 3  # nothing after the deadline

    # /alert status and the CSV ledger agree with the database.
    status_reply = hub.command(CHRIS, f"/alert status {ref}")
    assert isinstance(status_reply, Reply)
    assert f"2 of {everyone} ({200 // everyone}%)" in all_text(status_reply)  # Alex and Tom
    assert "Still not acknowledged after the deadline" in text(status_reply)
    assert "qihub alerts export" in text(status_reply)
    out = io.StringIO()
    with hub.app.uow_factory() as uow:
        assert export_ledger(uow, ref, out) == everyone
    lines = list(csv.DictReader(io.StringIO(out.getvalue())))
    by_id = {r.staff_id: r for r in recipients(hub, ref)}
    assert [int(line["recipient_staff_id"]) for line in lines] == sorted(by_id)
    for line in lines:
        row = by_id[int(line["recipient_staff_id"])]
        assert line["alert_ref"] == ref
        assert (line["acknowledged_at"] != "") == (row.acked_at is not None)
        assert line["notified_count"] == str(row.notified_count)
        assert line["delivered_at"].endswith("+00:00")
    alex = next(line for line in lines if line["email"] == ALEX)
    assert (alex["site"], alex["department"], alex["ack_platform"]) == (
        "liverpool",
        "ward-4",
        "test",
    )
    assert alex["acknowledged_at"] == "2026-11-26T09:00:00+00:00"


# ------------------------------------------------------------------ four-eyes and roles
def test_an_alert_sent_in_quiet_hours_reaches_and_reminds_people_through_the_night(
    hub: Harness,
) -> None:
    """Quiet hours (20:00-08:00) hold non-urgent reminders; an alert, its re-notifications and
    its deadline escalation must not wait for the morning."""
    night = datetime(2026, 11, 26, 22, 0, tzinfo=UTC)  # 22:00 in London (GMT)
    hub.clock.set(night)
    assert hub.app.services.calendar.in_quiet_hours(night)
    ref = approved(hub)
    assert len(alert_cards(hub, KIM, ref)) == 1  # delivered at 22:00, not at 08:00
    hub.clock.advance(timedelta(minutes=30))
    hub.tick()
    hub.deliver()
    assert len(alert_cards(hub, KIM, ref)) == 2  # re-notified at 22:30
    hub.clock.set(night + timedelta(hours=24))  # the deadline, 22:00 the next night
    hub.tick()
    hub.deliver()
    assert stored(hub, ref).status == "closed"
    assert len(escalations(hub, KIM)) == 1  # Alex and Tom never acknowledged: Kim is told now


def test_publisher_cannot_approve_their_own_alert(hub: Harness) -> None:
    """Helen is an approver; made a publisher too, she still needs someone else."""
    with hub.app.uow_factory() as uow:
        helen = uow.staff.by_email(HELEN)
        assert helen is not None
        uow.staff.replace_roles({HELEN: {"alert_publisher"}}, source="test")
        uow.commit()
    preview = compose(hub, who=HELEN)
    ref = ref_in(preview, "ALERT")
    waiting = hub.press(HELEN, button(preview, "Send for approval"))
    assert "Ruth Green" in text(waiting) and "Helen" not in text(waiting).split("approval by")[1]
    hub.deliver()
    assert not [r for r in hub.platform.to(HELEN) if "Approval needed" in r.summary]
    refused = hub.press(HELEN, hub.drawn_button("alert.approve", {"ref": ref}))
    assert "another approver must approve it" in text(refused)
    assert stored(hub, ref).status == "awaiting_approval"


def test_a_non_approver_cannot_approve_and_the_role_is_checked_on_press(hub: Harness) -> None:
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    request = hub.platform.to(RUTH)[-1]
    assert "can't do that" in text(hub.press(TOM, button(request, "Approve and send")))
    with hub.app.uow_factory() as uow:  # Ruth loses the role after the DM was drawn
        uow.staff.replace_roles({}, source="config")
        uow.commit()
    assert "can't do that" in text(hub.press(RUTH, button(request, "Approve and send")))
    assert stored(hub, ref).status == "awaiting_approval"
    with hub.app.uow_factory() as uow:
        count = uow.session.scalar(select(func.count()).select_from(AlertRecipient))
    assert count == 0


def test_rejection_returns_the_draft_with_the_reason(hub: Harness) -> None:
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    opened = hub.press(RUTH, button(hub.platform.to(RUTH)[-1], "Reject…"))
    assert isinstance(opened, OpenForm)
    hub.fill(RUTH, opened, {"reason": "Name the batch number in the title."})
    hub.deliver()
    told = hub.platform.to(CHRIS)[-1]
    assert "Name the batch number" in text(told)
    assert stored(hub, ref).status == "draft"
    edit = hub.press(CHRIS, button(told, "Edit"))
    assert isinstance(edit, OpenForm) and edit.values["title"] == ALERT["title"]
    edited = hub.fill(CHRIS, edit, {"title": "Oxygen cylinder batch 42 recall"})
    assert isinstance(edited, Reply) and edited.replace_original
    assert stored(hub, ref).title == "Oxygen cylinder batch 42 recall"


def test_tier5_emergency_is_sent_by_the_publisher_and_approvers_are_told(hub: Harness) -> None:
    preview = compose(hub, emergency="yes")
    ref = ref_in(preview, "ALERT")
    assert [b.label for b in buttons_of(preview)] == ["Send now", "Edit", "Discard"]
    sent = hub.press(CHRIS, button(preview, "Send now"))
    assert "tier-5 emergency" in text(sent)
    hub.deliver()
    alert = stored(hub, ref)
    assert alert.status == "live" and alert.approver_id is None and alert.emergency
    assert any("without a second approver" in r.summary for r in hub.platform.to(HELEN))
    assert len(alert_cards(hub, TOM, ref)) == 1
    with hub.app.uow_factory() as uow:
        actions = [e.action for e in uow.audit.for_entity("alert", ref)]
    assert actions == ["drafted", "emergency_send", "sent"]


def test_a_normal_alert_cannot_skip_approval(hub: Harness) -> None:
    ref = ref_in(compose(hub), "ALERT")
    refused = hub.press(CHRIS, hub.drawn_button("alert.send", {"ref": ref}))
    assert "not marked as a tier-5 emergency" in text(refused)
    assert stored(hub, ref).status == "draft"


# ------------------------------------------------------------------ the form
def test_form_problems_come_back_as_field_errors(hub: Harness) -> None:
    opened = hub.command(CHRIS, "/alert")
    mixed = errors_of(hub.fill(CHRIS, opened, {**ALERT, "audience": ["site:wirral", "role:admin"]}))
    assert "one kind at a time" in mixed["audience"]
    past = errors_of(hub.fill(CHRIS, opened, {**ALERT, "deadline_date": "2026-11-01"}))
    assert "future" in past["deadline_date"]
    nhs = errors_of(hub.fill(CHRIS, opened, {**ALERT, "instructions": "Patient 943 476 5919"}))
    assert "NHS number" in nhs["instructions"]
    nobody = errors_of(hub.fill(CHRIS, opened, {**ALERT, "audience": ["site:warrington"]}))
    assert "nobody" in nobody["audience"]
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Alert)) == 0


def test_deadline_from_date_and_time_in_uk_time(hub: Harness) -> None:
    ref = ref_in(compose(hub, deadline_date="2026-11-27", deadline_time="14:30"), "ALERT")
    assert stored(hub, ref).ack_deadline.isoformat() == "2026-11-27T14:30:00+00:00"
    ref = ref_in(compose(hub, severity="high"), "ALERT")
    assert stored(hub, ref).ack_deadline - hub.clock.now() == timedelta(hours=72)


# ------------------------------------------------------------------ audiences
def test_audience_by_site_role_and_committee(hub: Harness) -> None:
    cases = {
        ("site:liverpool",): {ALEX, KIM},
        ("site:liverpool", "site:wirral"): {ALEX, KIM, TOM},
        ("role:alert_approver",): {HELEN, RUTH},
        ("committee:PSC",): None,  # compared with the config below
    }
    psc = hub.app.config.committees["PSC"]
    cases[("committee:PSC",)] = {psc.chair, *psc.members}
    for n, (picked, expected) in enumerate(cases.items()):
        preview = compose(hub, audience=list(picked), emergency="yes", cas_ref=f"CAS-{n}")
        ref = ref_in(preview, "ALERT")
        hub.press(CHRIS, button(preview, "Send now"))
        with hub.app.uow_factory() as uow:
            got = {s.email for s in uow.staff.by_ids([r.staff_id for r in recipients(hub, ref)])}
        assert got == expected, picked


def test_streaming_creation_writes_in_batches_of_a_thousand(hub: Harness) -> None:
    """5,000 generated staff: recipients and outbox rows are written by INSERT … SELECT in
    batches, so the number of statements grows by batches, not by people."""
    from sqlalchemy import event, insert

    now = hub.clock.now()
    with hub.app.uow_factory() as uow:
        uow.session.execute(
            insert(Staff),
            [
                {
                    "email": f"generated{n}@clatterbridge.example",
                    "display_name": f"Generated {n}",
                    "site": "wirral" if n % 2 else "aintree",
                    "active": True,
                    "source": "test",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(5000)
            ],
        )
        uow.commit()
    preview = compose(hub, audience=["site:wirral", "site:aintree"], emergency="yes")
    ref = ref_in(preview, "ALERT")
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(hub.app.engine, "before_cursor_execute", count)
    try:
        hub.press(CHRIS, button(preview, "Send now"))
    finally:
        event.remove(hub.app.engine, "before_cursor_execute", count)
    inserts = [
        s for s in statements if s.lstrip().upper().startswith("INSERT INTO ALERT_RECIPIENT")
    ]
    queued = [s for s in statements if "INSERT INTO outbox" in s and "SELECT" in s]
    assert len(inserts) == 6  # 5,001 people (Tom too) in batches of 1,000
    assert len(queued) == 6
    assert len(statements) < 60
    with hub.app.uow_factory() as uow:
        alert = uow.alerts.by_ref(ref)
        assert alert is not None and alert.recipient_count == 5001
        linked = uow.session.scalar(
            select(func.count())
            .select_from(AlertRecipient)
            .where(AlertRecipient.alert_id == alert.id, AlertRecipient.outbox_id.is_not(None))
        )
        assert linked == 5001
        messages = uow.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.dedupe_key.like(f"alert:{ref}:send>p%"))
        )
        assert messages == 5001


# ------------------------------------------------------------------ corrections
def test_correction_reaches_every_recipient_and_replaces_the_original(hub: Harness) -> None:
    ref = approved(hub, audience=["site:liverpool", "site:wirral"])
    assert {ALEX, KIM, TOM} <= {s.to for s in hub.platform.sent}
    hub.tick()  # copies each delivery's handle into the ledger
    opened = hub.command(CHRIS, f"/alert correct {ref}")
    assert isinstance(opened, OpenForm) and opened.values["title"] == ALERT["title"]
    assert "audience" not in {
        f.name for f in hub.app.services.registry.forms[opened.form_id].form.fields
    }
    preview = hub.fill(CHRIS, opened, {"instructions": "Quarantine batches 42 AND 43."})
    assert isinstance(preview, Reply)
    fix = ref_in(preview, "ALERT")
    assert fix != ref
    assert "it will reach 3 people" in text(preview)
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    hub.press(HELEN, button(hub.platform.to(HELEN)[-1], "Approve and send"))
    hub.deliver()
    for email in (ALEX, KIM, TOM):
        assert len(alert_cards(hub, email, fix)) == 1
        replaced = [r for h, r in hub.platform.updated if h["to"] == email]
        assert replaced and f"corrected by {fix}" in replaced[-1].summary
    assert [r for h, r in hub.platform.updated if h["to"] == "#all_staff"]
    assert stored(hub, ref).status == "closed"
    assert stored(hub, fix).corrects_id == stored(hub, ref).id
    again = hub.command(CHRIS, f"/alert correct {ref}")
    assert f"already replaced by {fix}" in text(again)


def test_retraction_reaches_every_recipient_with_the_reason(hub: Harness) -> None:
    ref = approved(hub, audience=["site:wirral"])
    hub.tick()
    opened = hub.command(CHRIS, f"/alert retract {ref}")
    preview = hub.fill(
        CHRIS, opened, {"reason": "Sent in error: batch 42 is fine.", "emergency": "yes"}
    )
    assert isinstance(preview, Reply)
    hub.press(CHRIS, button(preview, "Send now"))
    hub.deliver()
    withdrawn = [r for r in hub.platform.to(TOM) if r.summary.startswith("Withdrawn")]
    assert len(withdrawn) == 1 and "Sent in error" in text(withdrawn[0])
    replaced = [r for h, r in hub.platform.updated if h["to"] == TOM]
    assert "withdrawn" in replaced[-1].summary
    assert ALEX not in {s.to for s in hub.platform.sent if "Withdrawn" in s.reply.summary}


def test_a_retracted_alert_still_queued_is_withdrawn_and_one_in_flight_is_replaced(
    hub: Harness,
) -> None:
    """Retracted before the broadcast went out: nobody receives the original after its
    retraction. The one message a sender had already claimed arrives late, and the next
    tick replaces it as well."""
    preview = compose(hub, audience=["site:liverpool", "site:wirral"])
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    hub.press(HELEN, button(hub.platform.to(HELEN)[-1], "Approve and send"))  # queued, not sent
    with hub.app.uow_factory() as uow:  # another sender has Tom's message in hand
        tom = uow.alerts.outbox_row(f"alert:{ref}:send>p{id_of(hub, TOM)}")
        assert tom is not None and tom.status == "pending"
        tom.status, tom.claimed_by = "sending", "elsewhere"
        tom.claimed_until = hub.clock.now() + timedelta(minutes=2)
        uow.commit()
    late_email = TOM

    def originals(email: str) -> list[Reply]:
        return [r for r in alert_cards(hub, email, ref) if not r.summary.startswith("Withdrawn")]

    opened = hub.command(CHRIS, f"/alert retract {ref}")
    retraction = hub.fill(CHRIS, opened, {"reason": "Sent in error.", "emergency": "yes"})
    assert isinstance(retraction, Reply)
    hub.press(CHRIS, button(retraction, "Send now"))
    hub.deliver()
    for email in (ALEX, KIM, TOM):
        assert originals(email) == [], email  # the original never went out
        assert any(r.summary.startswith("Withdrawn") for r in hub.platform.to(email)), email
    with hub.app.uow_factory() as uow:
        statuses = uow.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.dedupe_key.startswith(f"alert:{ref}:send>"))
            .group_by(OutboxMessage.status)
        ).all()
        retracted = [e.after for e in uow.audit.for_entity("alert", ref) if e.action == "retracted"]
    assert dict(statuses) == {"withdrawn": 2 + 1, "sending": 1}  # two people and #all_staff
    assert retracted[0] is not None and retracted[0]["withdrawn"] == 3

    hub.clock.advance(timedelta(minutes=3))  # the claim's lease ran out: it is sent late
    hub.deliver()
    assert len(originals(late_email)) == 1
    hub.tick()
    hub.deliver()
    replaced = [r for h, r in hub.platform.updated if h["to"] == late_email]
    assert replaced and "withdrawn" in replaced[-1].summary


def test_the_psc_weekly_digest_lists_alerts_with_their_acknowledgement_rates(
    hub: Harness,
) -> None:
    ref = approved(hub, audience=["site:liverpool", "site:wirral"])  # three people
    hub.press(ALEX, button(alert_cards(hub, ALEX, ref)[-1], "Acknowledge"))
    hub.clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 08:00 in London
    hub.tick(digests=True)
    hub.deliver()
    psc = text(hub.platform.to("#psc")[-1])
    assert "Critical alerts" in psc and ref in psc
    assert "1 alert sent this week" in psc
    assert "1 of 3 acknowledged (33%)" in psc
    others = [r for c in ("#pec", "#cec") for r in hub.platform.to(c)]
    assert others and all("Critical alerts" not in text(r) for r in others)


def test_status_and_list_for_publishers_approvers_and_admins(hub: Harness) -> None:
    ref = approved(hub, audience=["site:liverpool", "site:wirral"])
    hub.press(ALEX, button(alert_cards(hub, ALEX, ref)[0], "Acknowledge"))
    status = hub.command(RUTH, f"/alert status {ref}")
    assert "Clatterbridge Cancer Centre - Liverpool" in text(status)
    assert "1/2 acknowledged" in text(status)
    assert "can't do that" in text(hub.command(TOM, f"/alert status {ref}"))
    listing = hub.command("nadia.khan@clatterbridge.example", "/alert list")
    assert ref in text(listing)
    assert isinstance(hub.command(CHRIS, f"/alert status {ref}"), Reply)
    with hub.app.uow_factory() as uow:
        audit = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_ref == ref).order_by(AuditEntry.id)
        ).all()
    assert list(audit) == ["drafted", "approval_requested", "approved", "sent", "acknowledged"]


def test_discarded_draft_sends_nothing(hub: Harness) -> None:
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Discard"))
    hub.deliver()
    assert stored(hub, ref).status == "discarded"
    assert hub.platform.sent == []
    assert isinstance(hub.press(CHRIS, button(preview, "Send for approval")), Reply)
    assert stored(hub, ref).status == "discarded"
    assert not isinstance(hub.command(CHRIS, "/alert"), FormErrors)


def test_cli_export_writes_the_ledger_and_refuses_an_unknown_alert(
    hub: Harness, db_url: str, tmp_path: Any, monkeypatch: Any, capsys: Any
) -> None:
    from bot.cli import main

    ref = approved(hub, audience=["site:wirral"])
    for key in ("QIHUB_CONFIG", "LOG_LEVEL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    target = tmp_path / "ledger.csv"
    assert main(["alerts", "export", ref.lower(), "-o", str(target)]) == 0
    rows = list(csv.DictReader(target.open()))
    assert [(r["alert_ref"], r["email"], r["platform"]) for r in rows] == [(ref, TOM, "fake")]
    assert rows[0]["delivered_at"] == "2026-11-26T09:00:00+00:00"
    assert main(["alerts", "export", "ALERT-2026-0099"]) == 2
    assert "no alert ALERT-2026-0099" in capsys.readouterr().err


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """main() sets up the process's logging as `qihub` would; put pytest's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_the_ledger_export_neutralises_spreadsheet_formulas(hub: Harness) -> None:
    """A directory name (Graph's, or a CSV import's) that starts like a formula is written as
    text: the governance lead who opens the ledger in Excel runs nothing."""
    ref = approved(hub, audience=["site:wirral"])
    with hub.app.uow_factory() as uow:
        tom = uow.staff.by_email(TOM)
        assert tom is not None
        tom.display_name = '=HYPERLINK("https://evil.invalid","Tom")'
        tom.department = "@SUM(A1:A9)"
        uow.commit()
    out = io.StringIO()
    with hub.app.uow_factory() as uow:
        export_ledger(uow, ref, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0]["name"] == '\'=HYPERLINK("https://evil.invalid","Tom")'
    assert rows[0]["department"] == "'@SUM(A1:A9)"


def test_an_alert_approved_after_its_deadline_is_sent_only_with_a_new_one(hub: Harness) -> None:
    """It waited for approval for 25 hours, past its 24-hour deadline: Approve asks for a new
    deadline (the acknowledgement window runs from sending), and what is sent carries it. A
    direct approval without one is refused."""
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    request = hub.platform.to(HELEN)[-1]
    hub.clock.advance(timedelta(hours=25))
    asked = hub.press(HELEN, button(request, "Approve and send"))
    assert isinstance(asked, OpenForm) and asked.form_id == "alert.new_deadline"
    assert stored(hub, ref).status == "awaiting_approval"  # nothing sent yet
    refused = hub.press(HELEN, hub.drawn_button("alert.approve", {"ref": ref}))
    assert isinstance(refused, OpenForm)  # the button never sends an overdue alert as it is
    past = hub.fill(HELEN, asked, {"deadline_date": "2026-11-01", "deadline_time": ""})
    assert "future" in errors_of(past)["deadline_date"]
    done = hub.fill(HELEN, hub.press(HELEN, button(request, "Approve and send")), {})
    assert "sent to" in text(done)
    alert = stored(hub, ref)
    assert alert.status == "live"
    assert alert.ack_deadline - hub.clock.now() >= timedelta(hours=23)  # a full window again
    with hub.app.uow_factory() as uow:
        actions = [e.action for e in uow.audit.for_entity("alert", ref)]
    assert "deadline_moved" in actions


def test_an_alert_close_to_its_deadline_is_not_approved_as_it_is(hub: Harness) -> None:
    """Less than one reminder interval left counts as too late: the service refuses a plain
    approval (whatever calls it), so no alert goes out that nobody can acknowledge in time."""
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.clock.advance(timedelta(hours=23, minutes=45))  # 15 minutes left; reminders every 30
    from handlers.alerts import service

    answer = hub.app.interact(HELEN, "test", lambda ctx: _approve_directly(ctx, service, ref))
    assert "approve it with a new deadline" in text(answer)
    assert stored(hub, ref).status == "awaiting_approval"


def _approve_directly(ctx: Any, service: Any, ref: str) -> Reply:
    from handlers.errors import UserError

    try:
        service.approve(ctx, service.find(ctx, ref))
    except UserError as exc:
        ctx.uow.rollback()
        return Reply(summary=str(exc), blocks=(Text(str(exc)),))
    return Reply(summary="approved")


def test_an_approver_can_approve_from_the_list_and_the_status_view(hub: Harness) -> None:
    """Wherever an approver sees a pending alert there is an Approve button; the publisher sees
    none, even one who is an approver too (the press checks both again)."""
    with hub.app.uow_factory() as uow:
        uow.staff.replace_roles({CHRIS: {"alert_approver"}}, source="test")
        uow.commit()
    preview = compose(hub)
    ref = ref_in(preview, "ALERT")
    hub.press(CHRIS, button(preview, "Send for approval"))
    listed = hub.command(HELEN, "/alert list")
    assert isinstance(listed, Reply)
    assert "Approve and send" in [b.label for b in buttons_of(listed)]
    status = hub.command(HELEN, f"/alert status {ref}")
    assert isinstance(status, Reply)
    labels = [b.label for b in buttons_of(status)]
    assert (labels[0], labels[-1]) == ("Approve and send", "Reject…")  # destructive last
    for seen in (hub.command(CHRIS, "/alert list"), hub.command(CHRIS, f"/alert status {ref}")):
        assert isinstance(seen, Reply)  # Chris published it: never his to approve
        assert "Approve and send" not in [b.label for b in buttons_of(seen)]
    done = hub.press(HELEN, button(status, "Approve and send"))
    assert "sent to" in text(done)
    assert stored(hub, ref).status == "live"


def test_acknowledgements_redraw_no_card(hub: Harness) -> None:
    """The approvers' "approval needed" cards follow the alert's status, not its
    acknowledgements: a whole trust pressing Acknowledge at once must not redraw them (and
    read the alert's whole audit trail) once per press, nor queue an update to each approver
    per press. The publisher's status message follows the acknowledgements at the clock's
    pace (handlers/alerts/reminders.py)."""
    ref = approved(hub)
    with hub.app.uow_factory() as uow:
        kept_true = uow.outbox.cards_showing(f"alert:{ref}", 10)
        assert kept_true, "the approvers' cards are kept true as cards of the alert"
        queued = int(uow.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    for who in (ALEX, TOM):
        acked = hub.press(who, button(alert_cards(hub, who, ref)[0], "Acknowledge"))
        assert isinstance(acked, Reply) and acked.replace_original
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == queued
