"""Property: whatever a person types, Block Kit renderings carry it inert. Every mrkdwn text
holds no raw `<` or `>` (so no <!channel>, <@U123> or <https://x|y> can form) and no unescaped
`&`; every payload stays within Slack's limits."""

from __future__ import annotations

import json
import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from messages import blockkit
from messages.view import (
    Button,
    Buttons,
    Divider,
    Fact,
    Facts,
    Heading,
    Item,
    Items,
    Notice,
    Reply,
    SmallPrint,
    Text,
)

HOSTILE = st.sampled_from(
    ["<!channel>", "<@U123>", "<https://evil.example|safe>", "&lt;", "*bold*", "<#C1>", "`x`"]
)
TEXT = st.text(max_size=300) | HOSTILE | st.lists(HOSTILE | st.text(max_size=20)).map("".join)
RAW_AMP = re.compile(r"&(?!amp;|lt;|gt;)")


def reply_from(texts: list[str]) -> Reply:
    t = (texts * 8)[:8]
    return Reply(
        summary=t[0],
        blocks=(
            Heading(t[1]),
            Text(t[2]),
            Facts((Fact(t[3], t[4]),)),
            Notice(t[5], "warning"),
            Buttons((Button(t[6][:60] or "x", "qi.command", {"text": t[7]}),)),
            Items((Item(title=t[0], ref=t[1][:20], detail=t[2]),)),
            Divider(),
            SmallPrint(t[3]),
        ),
    )


def mrkdwn_texts(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=8))
def test_user_text_is_inert_in_every_block_kit_rendering(texts: list[str]) -> None:
    payload = blockkit.message(reply_from(texts))
    for text in mrkdwn_texts(payload):
        assert "<" not in text and ">" not in text, text
        assert not RAW_AMP.search(text), text
    assert len(payload["blocks"]) <= blockkit.MAX_MESSAGE_BLOCKS
    json.dumps(payload)  # always serialisable
    assert "<" not in payload.get("text", "").replace("&lt;", "")
