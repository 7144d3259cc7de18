"""A critical alert on Teams: delivered to each person's chat through the Bot Connector,
acknowledged with Action.Execute (the card is replaced in place), and corrected: every delivered
card is replaced with PUT /v3/conversations/{id}/activities/{activityId}."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.outbox_workers import connected_platforms
from handlers import dispatch
from handlers.clock import ManualClock
from handlers.outbox.sender import OutboxSender
from messages.view import OpenForm, Reply
from store.models import AlertRecipient
from tests.harness import button, ref_in
from tests.teams.cards import card_button, card_of, text_of
from tests.teams.inbound import TeamsHarness
from tests.teams.oidc import outbound_token
from tests.teams_cards import validate_card
from tests.transactions import transactions_on

ALEX = "alex.morgan@clatterbridge.example"
TOM = "tom.baker@clatterbridge.example"
CHRIS = "chris.evans@clatterbridge.example"
ALERT: dict[str, Any] = {
    "title": "Oxygen cylinder valve recall",
    "instructions": "Quarantine every CD oxygen cylinder from batch 42.",
    "severity": "critical",
    "audience": ["site:liverpool", "site:wirral"],
    "cas_ref": "NatPSA/2026/001",
    "emergency": "yes",
}


def deliver(teams: TeamsHarness) -> None:
    """What `qihub clock` does: deliver the outbox through the Teams platform. The web
    process's own delivery thread may have claimed some rows first (a request kicked it):
    wait for those to be recorded too."""
    hub = teams.hub
    assert isinstance(hub.clock, ManualClock)
    platforms = connected_platforms(hub, teams_token=outbound_token())
    for _ in range(5):
        report = OutboxSender(hub.uow_factory, platforms, hub.config, hub.clock).drain(10)
        teams.wait(lambda: in_flight(teams) == 0)
        if not report.deferred:
            return
        hub.clock.advance(timedelta(seconds=2))


def in_flight(teams: TeamsHarness) -> int:
    with teams.hub.uow_factory() as uow:
        return uow.outbox.count_by_status().get("sending", 0)


def send_now(teams: TeamsHarness, command: str, values: dict[str, Any]) -> str:
    """Compose (or correct) as Chris, a tier-5 emergency, and send it; returns the ref."""
    opened = teams.hub.interact(CHRIS, "teams", lambda ctx: dispatch.run_command(ctx, command))
    assert isinstance(opened, OpenForm), opened
    preview = teams.hub.interact(
        CHRIS,
        "teams",
        lambda ctx: dispatch.submit_form(
            ctx, opened.form_id, {**opened.values, **values}, opened.context
        ),
    )
    assert isinstance(preview, Reply), preview
    ref = ref_in(preview, "ALERT")
    pressed = button(preview, "Send now")
    teams.hub.interact(
        CHRIS, "teams", lambda ctx: dispatch.press(ctx, pressed.action, pressed.value)
    )
    deliver(teams)
    return ref


def alert_card(teams: TeamsHarness, email: str, ref: str) -> dict[str, Any]:
    cards = [card_of(a) for a in teams.sent_to(email)]
    found = [c for c in cards if ref in text_of(c) and "Acknowledge" in text_of(c)]
    assert found, [text_of(c) for c in cards]
    validate_card(found[-1])
    return found[-1]


def test_alert_acknowledged_in_place_and_corrected_by_replacing_each_card(
    teams: TeamsHarness,
) -> None:
    for email in (ALEX, TOM, CHRIS):  # each has opened QI Hub in Teams
        assert teams.say(email, "qi help").status_code == 200
    ref = send_now(teams, "/alert", ALERT)
    cards = {email: alert_card(teams, email, ref) for email in (ALEX, TOM)}

    ack = card_button(cards[ALEX], "Acknowledge")
    assert ack["type"] == "Action.Execute"
    answer = teams.execute(ALEX, ack["verb"], ack["data"]).json()
    assert answer["type"] == "application/vnd.microsoft.card.adaptive"
    validate_card(answer["value"])
    assert "Acknowledged at 09:00" in text_of(answer["value"])

    with teams.hub.uow_factory() as uow:
        alert = uow.alerts.by_ref(ref)
        assert alert is not None
        uow.alerts.sync_deliveries(alert.id)
        uow.commit()
        handles = {
            r.staff_id: dict(r.handle or {})
            for r in uow.session.scalars(
                select(AlertRecipient).where(AlertRecipient.alert_id == alert.id)
            )
        }
        ids = {email: uow.staff.by_email(email).id for email in (ALEX, TOM)}  # type: ignore[union-attr]
        acked = uow.alerts.recipient(alert.id, ids[ALEX])
        assert acked is not None and acked.ack_platform == "teams"

    before = len(teams.connector.of("PUT"))
    fix = send_now(
        teams, f"/alert correct {ref}", {**ALERT, "instructions": "Quarantine batches 42 and 43."}
    )
    puts = teams.connector.of("PUT")[before:]
    for email in (ALEX, TOM):
        handle = handles[ids[email]]
        path = f"/v3/conversations/{handle['conversation']}/activities/{handle['activity']}"
        replaced = [c for c in puts if c.path == path]
        assert len(replaced) == 1, [c.path for c in puts]
        card = card_of(replaced[0].body)
        validate_card(card)
        assert f"corrected by {fix}" in text_of(card)
        assert "batches 42 and 43" in text_of(alert_card(teams, email, fix))


def test_a_press_by_someone_linked_is_one_transaction(teams: TeamsHarness) -> None:
    """Finding the person by Entra ID object id and recording the acknowledgement share one
    unit of work (see the Slack test of the same name)."""
    for email in (ALEX, CHRIS):  # each has opened QI Hub in Teams: their object ids are linked
        assert teams.say(email, "qi help").status_code == 200
    ref = send_now(teams, "/alert", ALERT)
    ack = card_button(alert_card(teams, ALEX, ref), "Acknowledge")
    with transactions_on(teams.hub.engine, "teams") as begun:
        answer = teams.execute(ALEX, ack["verb"], ack["data"]).json()
    assert "Acknowledged at 09:00" in text_of(answer["value"])
    assert len(begun) == 1, begun
