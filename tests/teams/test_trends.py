"""A trend opened and decided on Teams, through the real Teams SDK app: typed "qi show TR-…"
answers with the trend's card, its Dismiss button answers with the form in place, and Confirm
records the dismissal; a member of staff's press is refused."""

from __future__ import annotations

from tests.harness import ALEX, CHRIS, TOM, Harness, submit_lesson
from tests.teams.cards import card_button, card_of, fill, inputs, text_of
from tests.teams.inbound import TeamsHarness
from tests.teams_cards import validate_card

TR = "TR-2026-0001"


def test_a_governance_lead_opens_and_dismisses_a_trend_on_teams(teams: TeamsHarness) -> None:
    hub = Harness(teams.hub, teams.hub.clock)  # type: ignore[arg-type]
    for who in (ALEX, TOM, ALEX):
        submit_lesson(hub, who, sites=[], departments=[], process="patient-id")
    since = len(teams.connector.activities())
    assert teams.say(CHRIS, f"qi show {TR}").status_code == 200
    shown = card_of(teams.replies(CHRIS, since)[-1])
    assert TR in text_of(shown) and "Awaiting a decision" in text_of(shown)
    dismiss = card_button(shown, "Dismiss…")
    refused = teams.execute(TOM, dismiss["verb"], dismiss["data"])
    assert "can't do that" in str(refused.json())
    form = teams.execute(CHRIS, dismiss["verb"], dismiss["data"]).json()
    card = form["value"]
    validate_card(card)
    assert "reason" in inputs(card)
    data = fill(card, {"reason": "Three unrelated lessons at the main hub."})
    done = teams.execute(CHRIS, card_button(card, "Dismiss")["verb"], data).json()
    validate_card(done["value"])
    assert f"{TR} dismissed" in text_of(done["value"])
    with teams.hub.uow_factory() as uow:
        trend = uow.trends.by_ref(TR)
        assert trend is not None and trend.status == "dismissed"
