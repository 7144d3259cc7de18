"""Big Ideas in Teams: the "idea big" dialog with its business case (errors shown with every
input kept), and the sponsor's card, whose Accept / Decline… only the named sponsor may use."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import Idea
from tests.harness import BIG_CASE, HELEN
from tests.slack.kit import IDEA
from tests.teams.cards import card_button, card_of, dialog_card, fill, inputs, text_of
from tests.teams.inbound import TeamsHarness
from tests.teams.test_flows import ALEX, SAM, TOM, open_idea_dialog
from tests.teams_cards import validate_card


def stored(teams: TeamsHarness) -> Idea:
    with teams.hub.uow_factory() as uow:
        found = uow.session.scalars(select(Idea)).one()
        uow.session.expunge(found)
        return found


def sponsor_card(teams: TeamsHarness, since: int) -> dict[str, Any]:
    def asked() -> list[dict[str, Any]]:
        return [a for a in teams.sent_to(HELEN, since) if "Will you sponsor" in str(a)]

    card = card_of(teams.wait(asked)[-1])
    validate_card(card)
    return card


def test_the_big_idea_dialog_keeps_every_answer_and_the_sponsor_must_accept(
    teams: TeamsHarness,
) -> None:
    assert teams.say(HELEN, "qi mine").status_code == 200  # Helen has talked to the bot
    card = open_idea_dialog(teams, ALEX, "idea big A day-case lounge")
    assert {"scope", "resources", "cost_pounds", "cost_detail", "success_measures"} <= set(
        inputs(card)
    )
    answers = {**IDEA, **BIG_CASE, "scope": "", "cost_pounds": "£2k"}
    again = dialog_card(teams.submit(ALEX, fill(card, answers)).json())
    kept = inputs(again)
    assert kept["resources"]["value"] == BIG_CASE["resources"]
    assert kept["cost_pounds"]["value"] == "£2k" and kept["sponsor"]["value"] == HELEN
    assert "Please answer: Scope" in text_of(again) and "amount in pounds" in text_of(again)
    since = len(teams.connector.activities())
    done = teams.submit(ALEX, fill(again, {"scope": BIG_CASE["scope"], "cost_pounds": "2400"}))
    assert done.status_code == 200 and not done.content, done.text
    assert (stored(teams).status, stored(teams).cost_pounds) == ("awaiting_sponsor", 2400)

    request = sponsor_card(teams, since)
    accept = card_button(request, "Accept sponsorship")
    for who in (ALEX, SAM, TOM):  # the card forwarded: Helen's sealed button, someone else
        refused = teams.execute(who, accept["verb"], accept["data"])
        # Tom may not even see an unscreened idea: answered as for a missing reference
        said = "No idea matches" if who == TOM else "Only the sponsor named for"
        assert said in str(refused.json()), who
    assert stored(teams).sponsor_state == "asked"
    answered = teams.execute(HELEN, accept["verb"], accept["data"]).json()
    validate_card(answered["value"])
    assert "you are now the sponsor" in text_of(answered["value"])
    assert (stored(teams).status, stored(teams).sponsor_state) == ("submitted", "accepted")


def test_a_sponsor_declines_with_a_reason_in_the_card(teams: TeamsHarness) -> None:
    assert teams.say(HELEN, "qi mine").status_code == 200
    card = open_idea_dialog(teams, ALEX, "idea big")
    since = len(teams.connector.activities())
    teams.submit(ALEX, fill(card, {**IDEA, **BIG_CASE}))
    decline = card_button(sponsor_card(teams, since), "Decline…")
    form = teams.execute(HELEN, decline["verb"], decline["data"]).json()["value"]
    validate_card(form)
    assert "reason" in inputs(form)
    data = fill(form, {"reason": "No budget this year: try the charity fund."})
    done = teams.execute(HELEN, card_button(form, "Decline")["verb"], data).json()
    assert "You declined to sponsor" in text_of(done["value"])
    idea = stored(teams)
    assert (idea.kind, idea.status, idea.sponsor_reason) == (
        "bright",
        "submitted",
        "No budget this year: try the charity fund.",
    )
