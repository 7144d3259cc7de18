"""Nothing without someone who can move it, on Teams (issue 14): the governance lead reassigns a
declined action from its card; the person who declined it cannot."""

from __future__ import annotations

from tests.harness import Harness
from tests.lessons_flow import add_action, decided_lesson, step
from tests.teams.cards import card_button, card_of, fill, inputs, text_of
from tests.teams.inbound import TeamsHarness
from tests.teams_cards import validate_card

CHRIS = "chris.evans@clatterbridge.example"
TOM = "tom.baker@clatterbridge.example"
ALEX = "alex.morgan@clatterbridge.example"


def status(teams: TeamsHarness, ref: str) -> tuple[str, str]:
    with teams.hub.uow_factory() as uow:
        action = uow.actions.by_ref(ref)
        assert action is not None
        return action.status, action.owner.email


def test_a_declined_action_is_reassigned_from_its_teams_card(teams: TeamsHarness) -> None:
    hub = Harness(teams.hub, teams.hub.clock)  # type: ignore[arg-type]
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    step(hub, TOM, ref, "Decline", reason="Not my ward at all.")
    since = len(teams.connector.activities())
    assert teams.say(CHRIS, f"qi show {ref}").status_code == 200
    card = card_of(teams.replies(CHRIS, since)[-1])
    reassign = card_button(card, "Reassign")
    assert reassign["type"] == "Action.Execute"

    refused = teams.execute(TOM, reassign["verb"], reassign["data"]).json()
    assert "does not allow that step" in str(refused), refused
    assert status(teams, ref) == ("declined", TOM)

    form = teams.execute(CHRIS, reassign["verb"], reassign["data"]).json()
    validate_card(form["value"])
    assert ref in text_of(form["value"]) and "Declined by Tom Baker" in text_of(form["value"])
    assert {"owner", "due", "note"} <= set(inputs(form["value"]))
    data = fill(form["value"], {"owner": ALEX, "due": "2027-01-15"})
    done = teams.execute(CHRIS, card_button(form["value"], "Reassign")["verb"], data).json()
    validate_card(done["value"])
    assert "reassigned to Alex Morgan" in text_of(done["value"])
    assert status(teams, ref) == ("assigned", ALEX)
