"""The App Home tab and the app's DM: what is waiting on me, commands typed as text, and the
Events API's own notices."""

from __future__ import annotations

import json

from tests.harness import Harness
from tests.lessons_flow import add_action, decided_lesson
from tests.slack import signed
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    STRANGER,
    TOM,
    blocks_of,
    button,
    calls,
    flat,
    labels,
    mark,
    opened,
    posts_to,
    settle,
    submit_idea,
    validate_message,
    validate_view,
    wait_calls,
)

JSON = "application/json"


def post_event(slack: SlackHarness, body: str) -> None:
    response = slack.post(body, signed.signed_headers(body, content_type=JSON))
    assert response.status_code == 200, response.text


def home_of(slack: SlackHarness, user: str, event_id: str) -> dict:
    since = mark(slack)
    post_event(slack, signed.app_home_opened(user, event_id))
    published = wait_calls(slack, "views.publish", since)[-1]
    assert published["user_id"] == user
    view: dict = published["view"]
    assert view["type"] == "home"
    validate_view(view)
    return view


def test_app_home_shows_my_ideas_and_actions(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    act = add_action(hub, decided_lesson(hub, ["2"]), 2)
    ref = submit_idea(slack, TOM, title="Quieter night rounds")
    view = home_of(slack, TOM, "Ev0HOME1")
    text = flat(view)
    assert "QI Hub: Tom Baker" in text
    assert act in text and "GREEN · tier 2 · due 31 Dec 2026" in text  # with its RAG
    assert ref in text and "Quieter night rounds" in text
    assert "Critical alerts to acknowledge" in text
    assert labels(blocks_of(view))[:4] == [
        "Share an idea",
        "Share a Big Idea",
        "Share a lesson",
        "Search what changed",
    ]
    stranger = home_of(slack, STRANGER, "Ev0HOME4")
    assert "I can't find you in the" in flat(stranger)


def test_a_button_on_the_home_tab_opens_the_form(slack: SlackHarness) -> None:
    view = home_of(slack, ALEX, "Ev0HOME2")
    element = button(blocks_of(view), "Share an idea")
    since = mark(slack)
    slack.press(ALEX, element, home_view="V0HOMETAB")
    form = opened(slack, since)
    assert form["callback_id"] == "idea.submit"


def test_a_reply_to_a_home_button_arrives_as_a_dm_and_the_home_is_refreshed(
    slack: SlackHarness,
) -> None:
    ref = submit_idea(slack)
    view = home_of(slack, ALEX, "Ev0HOME3")
    element = button(blocks_of(view), "Open")  # the idea, in "Your ideas"
    since = mark(slack)
    slack.press(ALEX, element, home_view="V0HOMETAB")
    dm = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == ALEX)[-1]
    validate_message(dm)
    assert ref in flat(dm)
    wait_calls(slack, "views.publish", since)
    assert calls(slack, "response_url", since) == []  # the Home tab has no message to answer


def test_typed_text_in_the_dm_runs_the_command_and_answers_there(slack: SlackHarness) -> None:
    ref = submit_idea(slack)
    since = mark(slack)
    post_event(slack, signed.message_im("idea mine", ALEX, event_id="Ev0DM1", channel="D0ALEX"))
    answer = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "D0ALEX")[-1]
    validate_message(answer)
    assert "Your ideas" in flat(answer) and ref in flat(answer)
    assert calls(slack, "response_url", since) == []

    since = mark(slack)
    post_event(
        slack, signed.message_im("/idea status " + ref, ALEX, event_id="Ev0DM2", channel="D0ALEX")
    )
    status = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "D0ALEX")[-1]
    assert ref in flat(status) and "Submitted, awaiting screening" in flat(status)

    # A command that opens a form: a DM cannot open a modal, so it offers a button that can.
    since = mark(slack)
    post_event(slack, signed.message_im("idea", ALEX, event_id="Ev0DM3", channel="D0ALEX"))
    offer = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "D0ALEX")[-1]
    validate_message(offer)
    element = button(blocks_of(offer), "Open the form")
    since = mark(slack)
    slack.press(ALEX, element, channel="D0ALEX")
    assert opened(slack, since)["callback_id"] == "idea.submit"

    # The bot's own messages and edits are not commands.
    for n, extra in enumerate(({"bot_id": "B1"}, {"subtype": "message_changed"})):
        payload = json.loads(signed.message_im("idea mine", ALEX, event_id=f"Ev0BOT{n}"))
        payload["event"].update(extra)
        post_event(slack, json.dumps(payload))
    settle()
    assert posts_to(slack, "D024BE91L") == []


def test_app_rate_limited_is_acknowledged(slack: SlackHarness) -> None:
    body = signed.app_rate_limited()
    response = slack.post(body, signed.signed_headers(body, content_type=JSON))
    assert response.status_code == 200, response.text
