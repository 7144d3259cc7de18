"""Cards show the truth on Teams: when a record moves on, each other copy of its card is
replaced (PUT /v3/conversations/{id}/activities/{activityId}) with its new status and only
the buttons its recipient may still use; Action.Execute on a copy that is out of date answers
with what happened and the card as it is now, and changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from handlers import dispatch
from messages.view import OpenForm, Reply
from store.models import Alert, AuditEntry, OutboxMessage
from tests.harness import button, ref_in
from tests.teams.cards import actions, card_button, card_of, text_of
from tests.teams.fake_connector import Member
from tests.teams.inbound import TeamsHarness, aad_id, user_id
from tests.teams.test_alerts import ALERT, CHRIS, deliver
from tests.teams_cards import validate_card

HELEN = "helen.roberts@clatterbridge.example"
RUTH = "ruth.green@clatterbridge.example"


def approval_card(teams: TeamsHarness, email: str, ref: str) -> dict[str, Any]:
    found = [card_of(a) for a in teams.sent_to(email)]
    found = [c for c in found if f"Approval needed: Chris Evans wants to send {ref}" in text_of(c)]
    assert found, email
    validate_card(found[-1])
    return found[-1]


def send_for_approval(teams: TeamsHarness) -> str:
    opened = teams.hub.interact(CHRIS, "teams", lambda ctx: dispatch.run_command(ctx, "/alert"))
    assert isinstance(opened, OpenForm), opened
    values = {**opened.values, **ALERT, "emergency": False}
    preview = teams.hub.interact(
        CHRIS,
        "teams",
        lambda ctx: dispatch.submit_form(ctx, opened.form_id, values, opened.context),
    )
    assert isinstance(preview, Reply), preview
    pressed = button(preview, "Send for approval")
    teams.hub.interact(
        CHRIS, "teams", lambda ctx: dispatch.press(ctx, pressed.action, pressed.value)
    )
    deliver(teams)
    return ref_in(preview, "ALERT")


def test_an_approval_card_is_replaced_and_a_stale_execute_is_explained(
    teams: TeamsHarness,
) -> None:
    teams.connector.add_member(Member(user_id(RUTH), "Ruth Green", aad_id(RUTH), RUTH))
    for email in (CHRIS, HELEN, RUTH):  # each has opened QI Hub in Teams
        assert teams.say(email, "qi help").status_code == 200
    ref = send_for_approval(teams)
    helens, ruths = approval_card(teams, HELEN, ref), approval_card(teams, RUTH, ref)
    shown = [a["title"] for a in actions(ruths) if not a["title"].startswith("Yes, ")]
    assert shown == ["Approve and send", "Reject…"]  # Reject asks first: its "Yes, Reject" inside

    before = len(teams.connector.of("PUT"))
    approve = card_button(helens, "Approve and send")
    assert teams.execute(HELEN, approve["verb"], approve["data"]).status_code == 200
    deliver(teams)
    with teams.hub.uow_factory() as uow:
        ruth_id = uow.staff.by_email(RUTH).id  # type: ignore[union-attr]
        handle = uow.session.scalar(
            select(OutboxMessage.platform_ref).where(
                OutboxMessage.card == f"alert:{ref}", OutboxMessage.recipient_id == ruth_id
            )
        )
    assert handle is not None
    path = f"/v3/conversations/{handle['conversation']}/activities/{handle['activity']}"
    replaced = [c for c in teams.connector.of("PUT")[before:] if c.path == path]
    assert len(replaced) == 1, "Ruth's card replaced once, in place"
    card = card_of(replaced[0].body)
    validate_card(card)
    assert "Now: live" in text_of(card)
    assert actions(card) == [], "nothing left for Ruth to approve"

    stale = card_button(ruths, "Approve and send")  # pressed on the old copy
    answer = teams.execute(RUTH, stale["verb"], stale["data"]).json()
    validate_card(answer["value"])
    said = text_of(answer["value"])
    assert f"{ref} was approved by Helen Roberts at" in said
    assert "this card was out of date and has been refreshed" in said
    assert actions(answer["value"]) == []
    with teams.hub.uow_factory() as uow:
        approvals = uow.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity_ref == ref, AuditEntry.action == "approved")
        )
        approver = uow.session.scalar(select(Alert.approver_id).where(Alert.ref == ref))
    assert approvals == 1 and approver != ruth_id
