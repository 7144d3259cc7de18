"""Teams end to end, as a person uses it: typed commands, dialogs, card buttons, installation.
Every request is a signed activity derived from the fixtures; every card the bot sends or
answers with is validated against the Adaptive Cards 1.5 schema."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import func, select

from messages.view import CONFIRM_NOT_PATIENT
from store.models import Idea, TeamsConversation
from tests.slack.kit import IDEA
from tests.teams import activities
from tests.teams.cards import card_button, card_of, dialog_card, fill, inputs, text_of
from tests.teams.inbound import CHANNEL_IDS, TeamsHarness
from tests.teams_cards import validate_card

ALEX = "alex.morgan@clatterbridge.example"
TOM = "tom.baker@clatterbridge.example"
SAM = "sam.patel@clatterbridge.example"
STRANGER = "visitor@elsewhere.example"


def ideas(teams: TeamsHarness) -> list[SimpleNamespace]:
    with teams.hub.uow_factory() as uow:
        found = uow.session.scalars(select(Idea).order_by(Idea.id))
        return [
            SimpleNamespace(ref=i.ref, title=i.title, kind=i.kind, status=i.status) for i in found
        ]


def open_idea_dialog(teams: TeamsHarness, email: str, typed: str) -> dict[str, Any]:
    since = len(teams.connector.activities())
    assert teams.say(email, typed).status_code == 200
    start = card_of(teams.replies(email, since)[-1])
    opener = card_button(start, "Open the form")
    assert opener["type"] == "Action.Submit" and opener["data"]["msteams"]["type"] == "task/fetch"
    response = teams.fetch(email, opener["data"])
    assert response.status_code == 200
    return dialog_card(response.json())


def channel_posts(teams: TeamsHarness, key: str) -> list[dict[str, Any]]:
    path = f"/v3/conversations/{CHANNEL_IDS[key]}/activities"
    return [c.body for c in teams.connector.activities() if c.method == "POST" and c.path == path]


def submit_idea(teams: TeamsHarness, email: str = ALEX) -> str:
    card = open_idea_dialog(teams, email, "idea")
    response = teams.submit(email, fill(card, IDEA))
    assert response.status_code == 200 and not response.content, response.text
    return ideas(teams)[-1].ref


def test_typed_idea_opens_a_prefilled_dialog_and_submitting_stores_it(teams: TeamsHarness) -> None:
    card = open_idea_dialog(teams, ALEX, "idea Colour-coded flush labels")
    assert inputs(card)["title"]["value"] == "Colour-coded flush labels"
    since = len(teams.connector.activities())
    response = teams.submit(ALEX, fill(card, IDEA))
    assert response.status_code == 200 and not response.content  # the dialog closes
    [idea] = ideas(teams)
    assert idea.title == IDEA["title"] and idea.kind == "bright"
    told = card_of(teams.replies(ALEX, since)[-1])
    assert idea.ref in text_of(told)
    panel = teams.wait(lambda: channel_posts(teams, "ideas_panel"))
    assert idea.ref in text_of(card_of(panel[-1]))


def test_field_errors_come_back_in_the_dialog_with_every_input_kept(teams: TeamsHarness) -> None:
    card = open_idea_dialog(teams, ALEX, "idea")
    answers = dict(IDEA, title="", problem="Saline and heparin flushes look alike.")
    response = teams.submit(ALEX, fill(card, answers))
    assert response.status_code == 200
    again = dialog_card(response.json())
    kept = inputs(again)
    assert kept["problem"]["value"] == "Saline and heparin flushes look alike."
    assert kept["proposed_change"]["value"] == IDEA["proposed_change"]
    assert "title" in text_of(again).lower()
    assert ideas(teams) == []
    fixed = teams.submit(ALEX, fill(again, dict(answers, title="Colour-coded flush labels")))
    assert fixed.status_code == 200 and not fixed.content
    assert [i.title for i in ideas(teams)] == ["Colour-coded flush labels"]


def test_a_retried_submission_creates_nothing_twice(teams: TeamsHarness) -> None:
    card = open_idea_dialog(teams, ALEX, "idea")
    activity = activities.task_submit(teams.service_url, *teams.who(ALEX), fill(card, IDEA))
    first = teams.post(activity)
    second = teams.post(activity)  # Teams redelivers the same activity id
    assert first.status_code == second.status_code == 200
    assert len(ideas(teams)) == 1


def test_patient_data_is_refused_in_the_dialog_and_the_draft_kept(teams: TeamsHarness) -> None:
    card = open_idea_dialog(teams, ALEX, "idea")
    answers = dict(IDEA, problem="Patient 943 476 5919 had the wrong flush.")
    again = dialog_card(teams.submit(ALEX, fill(card, answers)).json())
    assert "NHS number" in text_of(again)
    assert inputs(again)["problem"]["value"] == answers["problem"]
    assert ideas(teams) == []


def test_a_name_brings_the_dialog_back_with_the_confirmation(teams: TeamsHarness) -> None:
    """The dialog is re-rendered with every answer kept, the warning under the field and the
    not-a-patient toggle; only a ticked toggle stores the idea."""
    confirm = CONFIRM_NOT_PATIENT.name
    card = open_idea_dialog(teams, ALEX, "idea")
    assert confirm not in inputs(card)  # never asked up front
    answers = dict(IDEA, problem="Mr Jones in bed 4, aged 67, could not reach the call bell.")
    again = dialog_card(teams.submit(ALEX, fill(card, answers)).json())
    assert "seems to name a person" in text_of(again)
    assert inputs(again)["problem"]["value"] == answers["problem"]
    assert inputs(again)[confirm]["type"] == "Input.Toggle"
    assert ideas(teams) == []
    still = dialog_card(teams.submit(ALEX, fill(again, {confirm: False})).json())
    assert confirm in inputs(still) and ideas(teams) == []
    response = teams.submit(ALEX, fill(still, {confirm: True}))
    assert response.status_code == 200 and not response.content, response.text
    assert len(ideas(teams)) == 1


def test_buttons_answer_in_place_and_check_the_role_on_every_press(teams: TeamsHarness) -> None:
    ref = submit_idea(teams)
    post = card_of(teams.wait(lambda: channel_posts(teams, "ideas_panel"))[-1])
    eligible = card_button(post, "Eligible")
    assert eligible["type"] == "Action.Execute"
    refused = teams.execute(TOM, eligible["verb"], eligible["data"])
    assert refused.status_code == 200
    body = refused.json()
    assert "can't do that" in str(body)  # told, and the card stays as it was for everyone
    form = teams.execute(SAM, eligible["verb"], eligible["data"]).json()
    assert form["type"] == "application/vnd.microsoft.card.adaptive"
    card = form["value"]
    validate_card(card)
    assert "reason" in inputs(card)
    data = fill(card, {"reason": "Simple, cheap and safer."})
    done = teams.execute(SAM, card_button(card, "Confirm")["verb"], data).json()
    assert done["type"] == "application/vnd.microsoft.card.adaptive"
    validate_card(done["value"])
    assert ref in text_of(done["value"])
    assert ideas(teams)[-1].status != "submitted"


def test_installing_stores_the_conversation_and_greets_once(teams: TeamsHarness) -> None:
    install = activities.personal_install(teams.service_url, *teams.who(ALEX))
    assert teams.post(install).status_code == 200
    welcome = card_of(teams.replies(ALEX)[-1])
    assert "idea" in text_of(welcome).lower()
    again = activities.personal_install(teams.service_url, *teams.who(ALEX))
    assert teams.post(again).status_code == 200
    time.sleep(0.3)
    assert len(teams.sent_to(ALEX)) == 1
    with teams.hub.uow_factory() as uow:
        [row] = uow.session.scalars(select(TeamsConversation)).all()
        alex = uow.staff.by_email(ALEX)
        assert alex is not None
        assert row.kind == "personal" and row.staff_id == alex.id and row.installed
        assert row.service_url == teams.service_url


def test_channel_installation_and_removal_are_recorded(teams: TeamsHarness) -> None:
    add = activities.channel_install(teams.service_url, *teams.who(SAM))
    assert teams.post(add).status_code == 200
    remove = activities.channel_install(teams.service_url, *teams.who(SAM), action="remove")
    assert teams.post(remove).status_code == 200
    with teams.hub.uow_factory() as uow:
        [row] = uow.session.scalars(select(TeamsConversation)).all()
        assert row.kind == "channel" and row.installed is False
        assert row.team_id and row.conversation_id.startswith("19:")


def test_someone_outside_the_directory_gets_a_polite_answer(teams: TeamsHarness) -> None:
    assert teams.say(STRANGER, "idea").status_code == 200
    told = card_of(teams.replies(STRANGER)[-1])
    assert "can't find you" in text_of(told)
    with teams.hub.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Idea)) == 0


def test_the_same_dialog_sent_twice_at_once_stores_one_idea(teams: TeamsHarness) -> None:
    """Two submits of one Teams dialog in the same instant (a double click, not a platform
    retry: each has its own activity id) store one idea; the form session is used once."""
    card = open_idea_dialog(teams, ALEX, "idea")
    data = fill(card, IDEA)
    start = threading.Barrier(2)
    statuses: list[int] = []

    def submit() -> None:
        start.wait()
        statuses.append(teams.submit(ALEX, data).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert statuses == [200, 200]
    assert len(ideas(teams)) == 1
