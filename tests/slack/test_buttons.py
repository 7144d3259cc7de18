"""Buttons: they update the message they belong to, and the role is checked again on every press
(a button someone can see is not permission to use it)."""

from __future__ import annotations

from store.models import AuditEntry
from tests.harness import LESSON, Harness
from tests.lessons_flow import add_action, decided_lesson
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    CHRIS,
    SAM,
    TOM,
    blocks_of,
    calls,
    channel_post,
    count,
    flat,
    labels,
    mark,
    opened,
    posts_to,
    press,
    reply_to,
    settle,
    submit,
    submit_idea,
    submit_lesson,
    ts_of,
    validate_message,
    wait_calls,
)


def status_of(slack: SlackHarness, ref: str) -> str:
    with slack.hub.uow_factory() as uow:
        found = uow.ideas.by_ref(ref)
        assert found is not None
        return found.status


def test_next_page_replaces_the_list_it_was_pressed_on(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    for n in range(12):
        hub.submit_idea(title=f"Idea number {n + 1}")
    first = reply_to(slack, SAM, "/idea list")
    assert "Page 1 of 2" in flat(first)
    since = press(slack, SAM, first, "Next page", ephemeral=True)
    second = wait_calls(slack, "response_url", since)[-1]
    validate_message(second)
    assert second["replace_original"] is True
    assert "Page 2 of 2" in flat(second) and "Idea number 11" in flat(second)
    assert posts_to(slack, SAM, since) == []  # replaced, not a new message


def test_the_role_is_checked_again_on_every_press_and_submission(slack: SlackHarness) -> None:
    ref = submit_idea(slack)
    post = channel_post(slack, "C0IDEAS", ref)
    ts = ts_of(slack, post)
    audit = count(slack, AuditEntry)
    start = mark(slack)
    for who in (ALEX, TOM):  # the submitter, and a colleague who can see the channel
        since = press(slack, who, post, "Eligible", channel="C0IDEAS", ts=ts)
        refusal = wait_calls(slack, "response_url", since)[-1]
        validate_message(refusal)
        assert "can't do that" in flat(refusal) and "ideas panel" in flat(refusal)
        assert refusal["response_type"] == "ephemeral"
        assert refusal.get("replace_original") is False  # the channel post stays as it was

    # The panel's form, opened by a panel member, submitted by someone else: refused too.
    since = press(slack, SAM, post, "Eligible", channel="C0IDEAS", ts=ts)
    view = opened(slack, since)
    response = submit(slack, TOM, view, {"reason": "I would like this one, please."})
    assert response.status_code == 200
    told = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == TOM)[-1]
    assert "can't do that" in flat(told)
    settle(0.2)
    assert len(calls(slack, "views.open", start)) == 1  # only the panel member's
    assert calls(slack, "chat.update", start) == []
    assert status_of(slack, ref) == "submitted"
    assert count(slack, AuditEntry) == audit

    # The panel member's own answer to the same form goes through and updates the post.
    since = mark(slack)
    submit(slack, SAM, view, {"reason": "This is a rota question, not an idea."}, view_id="V0SAM")
    update = wait_calls(slack, "chat.update", since)[-1]
    validate_message(update)
    assert (update["channel"], update["ts"]) == ("C0IDEAS", ts)
    assert status_of(slack, ref) == "eligible"

    # A committee member who is not its governance lead, on the committee's triage button.
    lesson = submit_lesson(slack)
    post = channel_post(slack, "C0PSC", lesson)
    since = press(slack, "U0KIM", post, "Take to committee", channel="C0PSC", ts=ts_of(slack, post))
    refusal = wait_calls(slack, "response_url", since)[-1]
    assert "can't do that" in flat(refusal)
    assert calls(slack, "views.open", since) == []


def test_a_decision_on_the_channel_post_keeps_a_confidential_name_out_of_it(
    slack: SlackHarness,
) -> None:
    ref = submit_idea(slack, mode="confidential")
    post = channel_post(slack, "C0IDEAS", ref)
    assert "Alex Morgan" not in flat(post) and "Confidential" in flat(post)
    since = press(slack, SAM, post, "Eligible", channel="C0IDEAS", ts=ts_of(slack, post))
    submit(slack, SAM, opened(slack, since), {"reason": "Clear safety benefit and cheap."})
    update = wait_calls(slack, "chat.update", since)[-1]
    assert update["channel"] == "C0IDEAS"
    assert "Alex Morgan" not in flat(update)


def test_triage_on_the_committee_post_keeps_a_confidential_name_out_of_it(
    slack: SlackHarness,
) -> None:
    ref = submit_lesson(slack, mode="confidential")
    post = channel_post(slack, "C0PSC", ref)
    assert "Alex Morgan" not in flat(post)
    since = press(slack, CHRIS, post, "Take to committee", channel="C0PSC", ts=ts_of(slack, post))
    checked = {k: LESSON[k] for k in ("title", "what_happened", "what_learned")}
    submit(slack, CHRIS, opened(slack, since), {"deidentified": True, **checked})
    update = wait_calls(slack, "chat.update", since)[-1]
    assert update["channel"] == "C0PSC"
    assert "Alex Morgan" not in flat(update)


def test_a_form_opened_from_a_private_card_updates_that_card(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    act = add_action(hub, decided_lesson(hub, ["3"]), 3)
    card = reply_to(slack, TOM, f"/qi show {act}")
    since = press(slack, TOM, card, "Decline", ephemeral=True)
    submit(slack, TOM, opened(slack, since), {"reason": "I do not manage pharmacy storage."})
    # The answer replaces the card through its response_url (Tom's first DM, redrawn by the
    # outbox meanwhile, may say the same words: it is not the answer).
    answers = slack.wait(
        lambda: [
            p
            for p in calls(slack, "response_url", since)
            if "goes back to the governance lead" in flat(p)
        ]
    )
    answer = answers[0]
    assert answer.get("replace_original") is True, "answered with a new DM instead"
    assert "Decline…" not in labels(blocks_of(answer))
