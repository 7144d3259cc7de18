from sqlalchemy import select

from store.models import Idea
from tests.slack.conftest import SlackHarness


def test_idea_from_slash_command_to_stored_record(slack: SlackHarness) -> None:
    response = slack.command("U0ALEX", "/idea", "Colour-coded flush labels")
    assert response.status_code == 200
    view = slack.opened_view()
    assert view["callback_id"] == "idea.submit"
    submitted = slack.submit(
        "U0ALEX",
        view,
        {
            "kind": "bright",
            "title": "Colour-coded flush labels",
            "problem": "Flushes look alike",
            "proposed_change": "Colour labels",
            "mode": "named",
        },
    )
    assert submitted.status_code == 200, submitted.text
    with slack.hub.uow_factory() as uow:
        idea = uow.session.scalar(select(Idea))
        assert idea is not None and idea.title == "Colour-coded flush labels"
    posts = slack.wait(
        lambda: [p for p in slack.fake.of("chat.postMessage") if p["channel"] == "C0IDEAS"]
    )
    assert "IDEA-2026-0001" in posts[0]["text"]
