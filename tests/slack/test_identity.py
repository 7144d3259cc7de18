"""Who a Slack user is: matched to the staff directory by email (users.info) once, then linked;
someone outside the directory is told so politely and nothing is stored; an anonymous idea
from Slack leaves no trace of who sent it."""

from __future__ import annotations

import re

from sqlalchemy import select, text

from store.base import Base
from store.models import AuditEntry, Idea, IdeaSubmitter, InboundRequest, OutboxMessage, Staff
from tests.harness import ALEX as ALEX_EMAIL
from tests.harness import screened
from tests.slack import signed
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    IDEA,
    STRANGER,
    TOM,
    blocks_of,
    button,
    calls,
    channel_post,
    count,
    flat,
    form_from,
    mark,
    posts_to,
    reply_to,
    settle,
    submit,
    submit_idea,
    wait_calls,
)

POLITE = "I can't find you in the"


def test_a_slack_user_is_matched_by_email_once_then_linked(slack: SlackHarness) -> None:
    reply_to(slack, ALEX, "/idea mine")
    assert slack.fake.of("users.info") == [{"user": ALEX}]
    with slack.hub.uow_factory() as uow:
        staff = uow.staff.by_email(ALEX_EMAIL)
        assert staff is not None and staff.slack_user_id == ALEX
    reply_to(slack, ALEX, "/idea mine")
    reply_to(slack, ALEX, "/qi help")
    assert len(slack.fake.of("users.info")) == 1  # later requests ask Slack nothing
    reply_to(slack, TOM, "/qi help")
    assert [c["user"] for c in slack.fake.of("users.info")] == [ALEX, TOM]


def test_someone_outside_the_directory_is_told_politely_and_nothing_is_stored(
    slack: SlackHarness,
) -> None:
    people = count(slack, Staff)
    answer = reply_to(slack, STRANGER, "/idea A better car park")
    assert POLITE in flat(answer) and "nothing you sent was stored" in flat(answer)
    assert answer["response_type"] == "ephemeral"
    assert calls(slack, "views.open") == []  # no form for someone we cannot act for

    # A form they somehow hold (opened for a colleague) and submit: a polite DM, nothing stored.
    view = form_from(slack, ALEX, "/idea")
    since = mark(slack)
    response = submit(slack, STRANGER, view, IDEA)
    assert response.status_code == 200 and b"errors" not in response.content
    told = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == STRANGER)
    assert POLITE in flat(told[0])

    # A button on a colleague's message.
    ref = screened(slack.hub, submit_idea(slack))  # so Tom's card offers Support
    card = reply_to(slack, TOM, f"/idea status {ref}")
    element = button(blocks_of(card), "Support this idea")
    since = mark(slack)
    slack.press(STRANGER, element)
    pressed = wait_calls(slack, "response_url", since)
    assert POLITE in flat(pressed[0])

    # Typing to the app in its DM.
    body = signed.message_im("idea mine", STRANGER, event_id="Ev0STRANGER")
    since = mark(slack)
    slack.post(body, signed.signed_headers(body, content_type="application/json"))
    dm = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "D024BE91L")
    assert POLITE in flat(dm[0])

    # Someone Slack itself cannot describe (users.info: user_not_found).
    ghost = reply_to(slack, "U0GHOST", "/lesson")
    assert POLITE in flat(ghost)

    settle(0.2)
    assert calls(slack, "views.open", since) == []
    assert count(slack, Staff) == people
    with slack.hub.uow_factory() as uow:
        assert uow.staff.by_slack_id(STRANGER) is None
        idea = uow.ideas.by_ref(ref)
        assert idea is not None and idea.support_count == 0
    assert count(slack, Idea) == 1  # Alex's only
    assert count(slack, AuditEntry) == 2  # Alex's submission, the panel's screening: no more


def test_an_anonymous_idea_from_slack_leaves_no_identity(slack: SlackHarness) -> None:
    with slack.hub.uow_factory() as uow:
        staff = uow.staff.by_email(ALEX_EMAIL)
        assert staff is not None
        alex_id, updated_at = staff.id, staff.updated_at
    ref = submit_idea(slack, ALEX, mode="anonymous", title="Anonymous feedback box")
    receipt = re.search(r"R-[0-9A-Z]{5}-[0-9A-Z]{5}", flat(posts_to(slack, ALEX)[0]))
    assert receipt, "the receipt code is shown once, in the DM"
    post = channel_post(slack, "C0IDEAS", ref)
    assert "Anonymous" in flat(post) and "Alex" not in flat(post)
    with slack.hub.uow_factory() as uow:
        assert uow.session.scalars(select(IdeaSubmitter)).all() == []
        assert [(a.actor_id, a.actor_label) for a in uow.session.scalars(select(AuditEntry))] == [
            (None, "anonymous")
        ]
        assert (
            uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.recipient_id == alex_id)
            ).all()
            == []
        )
        staff = uow.staff.by_email(ALEX_EMAIL)
        assert staff is not None
        assert staff.slack_user_id == ALEX  # linked, as any first interaction links
        assert staff.updated_at == updated_at  # …but no timestamp to match the idea with
        for table in Base.metadata.sorted_tables:
            if table.name == "staff":
                continue
            dump = repr(uow.session.execute(text(f'SELECT * FROM "{table.name}"')).all()).lower()
            for trace in ("alex", "morgan", ALEX.lower(), receipt.group(0).lower()):
                assert trace not in dump, (table.name, trace)
    assert count(slack, InboundRequest) == 2  # the command and the submission, keyed by neither
