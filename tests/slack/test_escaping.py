"""User text can never become a mention, a broadcast or a disguised link: everywhere it is sent
as mrkdwn (channel posts, response_url replies, DMs, updates, the App Home) its &, < and > are
escaped; plain_text (never interpreted by Slack) may carry it as typed."""

from __future__ import annotations

from typing import Any

from tests.slack import signed
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    NADIA,
    SAM,
    TOM,
    channel_post,
    flat,
    mark,
    opened,
    press,
    reply_to,
    submit,
    submit_idea,
    text_objects,
    ts_of,
    validate_message,
    wait_calls,
)

HOSTILE = "<!channel> <@U123> <https://evil.example|nhs.uk> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|nhs.uk&gt; &amp; co"
REASON = "Approved <!here>, thanks <@U0SAM> – see <https://evil.example|the intranet>"


def assert_escaped(payload: dict[str, Any], where: str) -> int:
    """No control sequence in any mrkdwn text of `payload`; returns how many carry the text."""
    carried = 0
    for kind, text in text_objects(payload):
        if kind != "mrkdwn":
            continue
        for raw in ("<!channel>", "<!here>", "<@U123>", "<@U0SAM>", "<https://", "& co"):
            assert raw not in text, (where, text)
        assert "<" not in text and ">" not in text.replace("&gt;", ""), (where, text)
        carried += ESCAPED in text
    return carried


def test_hostile_text_is_escaped_in_every_payload(slack: SlackHarness) -> None:
    ref = submit_idea(
        slack,
        title=HOSTILE,
        problem=f"The problem: {HOSTILE}",
        proposed_change=f"Change: {HOSTILE}",
        benefit_detail=f"Benefit: {HOSTILE}",
    )
    post = channel_post(slack, "C0IDEAS", ref)
    since = press(slack, SAM, post, "Eligible", channel="C0IDEAS", ts=ts_of(slack, post))
    submit(slack, SAM, opened(slack, since), {"reason": REASON})
    wait_calls(slack, "chat.update", since)
    wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == ALEX)  # decision DM
    reply_to(slack, TOM, f"/idea status {ref}")
    reply_to(slack, ALEX, "/idea mine")
    reply_to(slack, SAM, "/idea list")
    reply_to(slack, NADIA, f"/qi audit {ref}")
    home = signed.app_home_opened(ALEX, "Ev0HOMEESC")
    since = mark(slack)
    slack.post(home, signed.signed_headers(home, content_type="application/json"))
    wait_calls(slack, "views.publish", since)

    sent: list[tuple[str, dict[str, Any]]] = []
    for method in ("chat.postMessage", "chat.update", "response_url", "views.publish"):
        sent += [(method, p) for p in slack.fake.of(method)]
    carried: dict[str, int] = {}
    for method, payload in sent:
        if method != "views.publish":
            validate_message(payload)
        where = f"{method}:{payload.get('channel') or payload.get('user_id') or 'response'}"
        carried[where] = carried.get(where, 0) + assert_escaped(payload, where)
    assert {w for w, n in carried.items() if n} >= {
        "chat.postMessage:C0IDEAS",
        "chat.postMessage:U0ALEX",
        "chat.update:C0IDEAS",
        "response_url:response",
        "views.publish:U0ALEX",
    }, carried
    assert "&lt;!here&gt;" in flat(slack.fake.of("chat.update")[0])  # the decision's reason
    # plain_text is never interpreted by Slack: the header carries the title as typed
    headers = [t for k, t in text_objects(post) if k == "plain_text"]
    assert any(HOSTILE in t for t in headers)

    # A modal pre-filled with it: the input's value is not mrkdwn; the rest is escaped.
    since = mark(slack)
    slack.command(ALEX, "/idea", HOSTILE)
    view = opened(slack, since)
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert title["element"]["initial_value"] == HOSTILE
    assert_escaped(view, "views.open")
