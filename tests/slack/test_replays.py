"""Slack delivers again when it is unsure (X-Slack-Retry-Num), and people double-click: a request
seen before changes nothing and sends nothing a second time."""

from __future__ import annotations

import threading

import httpx2 as httpx

from store.models import AuditEntry, Idea, InboundRequest, OutboxMessage
from tests.harness import screened
from tests.slack import signed
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    IDEA,
    TOM,
    blocks_of,
    button,
    calls,
    count,
    flat,
    form_from,
    mark,
    posts_to,
    reply_to,
    settle,
    submit_idea,
    wait_calls,
)


def test_a_view_submission_replayed_and_retried_creates_one_idea(slack: SlackHarness) -> None:
    view = form_from(slack, ALEX, "/idea")
    since = mark(slack)
    body = signed.view_submission(view, signed.answers(view, IDEA), ALEX, view_id="V0REPLAY")
    first = slack.post(body)
    assert first.status_code == 200 and first.content == b""
    wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == ALEX)
    wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "C0IDEAS")
    again = slack.post(body)  # the same request replayed, same signature
    retried = [
        slack.post(body, signed.retried(signed.signed_headers(body), n, reason))
        for n, reason in ((1, "http_timeout"), (2, "http_error"), (3, "http_timeout"))
    ]
    assert [r.status_code for r in (again, *retried)] == [200] * 4
    for r in (again, *retried):  # the modal stays open and says why nothing happened
        assert r.json()["response_action"] == "errors"
        assert "already sent and answered" in next(iter(r.json()["errors"].values()))
    settle()
    assert count(slack, Idea) == 1
    assert count(slack, OutboxMessage) == 1  # the panel's post, queued once
    assert count(slack, AuditEntry) == 1
    assert len(posts_to(slack, ALEX, since)) == 1  # one thank-you
    assert len(posts_to(slack, "C0IDEAS", since)) == 1


def test_concurrent_deliveries_of_one_submission_create_one_idea(slack: SlackHarness) -> None:
    view = form_from(slack, ALEX, "/idea")
    body = signed.view_submission(view, signed.answers(view, IDEA), ALEX, view_id="V0RACE")
    statuses: list[int] = []

    def deliver(n: int) -> None:
        headers = signed.signed_headers(body)
        if n:
            headers = signed.retried(headers, n)
        with httpx.Client(base_url=slack.base, timeout=10) as client:
            statuses.append(client.post("/slack/events", content=body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    settle()
    assert count(slack, Idea) == 1
    assert len(posts_to(slack, ALEX)) == 1


def test_the_same_button_press_twice_acts_once(slack: SlackHarness) -> None:
    ref = screened(slack.hub, submit_idea(slack))  # so Tom's card offers Support
    card = reply_to(slack, TOM, f"/idea status {ref}")
    element = button(blocks_of(card), "Support this idea")
    body = signed.block_action(
        element["action_id"], element["value"], TOM, response_url=slack.response_url
    )
    since = mark(slack)
    assert slack.post(body).status_code == 200
    thanks = wait_calls(slack, "response_url", since)
    assert "it now has 1 supporter" in flat(thanks[0])
    retry = slack.post(body, signed.retried(signed.signed_headers(body)))
    assert retry.status_code == 200
    settle()
    assert len(calls(slack, "response_url", since)) == 1  # no "you already support it"
    with slack.hub.uow_factory() as uow:
        idea = uow.ideas.by_ref(ref)
        assert idea is not None and idea.support_count == 1


def test_a_retried_dm_event_is_answered_once(slack: SlackHarness) -> None:
    slack.fake.users["U2147483697"] = "alex.morgan@clatterbridge.example"  # the fixture's user
    body = signed.message_im()  # "Hello hello can you hear me?" from the recorded event
    since = mark(slack)
    assert (
        slack.post(body, signed.signed_headers(body, content_type="application/json")).status_code
        == 200
    )
    answers = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "D024BE91L")
    assert "QI Hub: what you can do" in flat(answers[0])
    for n in (1, 2, 3):
        headers = signed.retried(signed.signed_headers(body, content_type="application/json"), n)
        assert slack.post(body, headers).status_code == 200
    settle()
    assert len(posts_to(slack, "D024BE91L", since)) == 1
    assert count(slack, InboundRequest) == 1


def test_a_retried_dm_event_that_is_refused_is_answered_once(slack: SlackHarness) -> None:
    body = signed.message_im("idea list", ALEX, event_id="Ev0REFUSED")  # the panel's list
    since = mark(slack)
    assert (
        slack.post(body, signed.signed_headers(body, content_type="application/json")).status_code
        == 200
    )
    first = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "D024BE91L")
    assert "can't do that" in flat(first[0])
    for n in (1, 2):
        headers = signed.retried(signed.signed_headers(body, content_type="application/json"), n)
        assert slack.post(body, headers).status_code == 200
    settle()
    assert len(posts_to(slack, "D024BE91L", since)) == 1
