"""A trend followed and decided on Slack, through the real slack-bolt app: /qi trends lists it,
/qi show opens it, its Accept button opens the modal, and the submission records the decision,
tells the lead and answers with the trend's card."""

from __future__ import annotations

from tests.slack import kit
from tests.slack.conftest import SlackHarness

ONLY_PROCESS = {"sites": [], "departments": [], "process": "patient-id"}
TR = "TR-2026-0001"


def test_a_member_lists_opens_and_accepts_a_trend_on_slack(slack: SlackHarness) -> None:
    lessons = [kit.submit_lesson(slack, user, **ONLY_PROCESS) for user in (kit.ALEX, kit.TOM)]
    lessons.append(kit.submit_lesson(slack, kit.ALEX, **ONLY_PROCESS))
    listed = kit.flat(kit.reply_to(slack, kit.KIM, "/qi trends"))
    assert TR in listed and "awaiting a decision" in listed
    shown = kit.reply_to(slack, kit.CHRIS, f"/qi show {TR}")  # governs the PSC: reads all
    assert all(ref in kit.flat(shown) for ref in lessons)
    since = kit.press(slack, kit.CHRIS, shown, "Accept as a theme…", channel=kit.CHRIS)
    view = kit.opened(slack, since)
    since = kit.mark(slack)
    kit.submit(
        slack,
        kit.CHRIS,
        view,
        {"response": "A deep dive into ID checks.", "owner": "lee.hughes@clatterbridge.example"},
    )
    told = kit.wait_calls(
        slack,
        "chat.postMessage",
        since,
        lambda p: p["channel"] == kit.LEE and "You lead the response" in kit.flat(p),
    )
    assert TR in kit.flat(told[-1])
    with slack.hub.uow_factory() as uow:
        trend = uow.trends.by_ref(TR)
        assert trend is not None
        assert (trend.status, trend.response) == ("accepted", "A deep dive into ID checks.")
