"""Block Kit's limits: at most 50 blocks a message, section text 3,000 and fields 2,000
characters, every block valid to slack_sdk's models; long text split rather than lost, long
lists paginated."""

from __future__ import annotations

import random
import re

from handlers.digest.data import build_digest
from handlers.digest.views import digest_reply
from messages import blockkit
from messages.view import Heading, SmallPrint
from tests.harness import Harness, screened
from tests.lessons_flow import add_action, decided_lesson
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    CHRIS,
    SAM,
    TOM,
    blocks_of,
    flat,
    press,
    reply_to,
    submit_idea,
    validate_message,
    wait_calls,
)
from tests.test_digest import MONDAY, bulk_register, seed_register

WORDS = "Saline & heparin <flushes> look alike on the trolley, so nurses double-check. "


def long_text(size: int) -> str:
    return (WORDS * (size // len(WORDS) + 1))[:size].rstrip()


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def words(text: str) -> str:
    return " ".join(text.split())


def test_a_long_fact_is_not_cut_short(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    change = long_text(2000)
    act = add_action(hub, decided_lesson(hub, ["1"]), 1, change=change)
    card = reply_to(slack, CHRIS, f"/qi show {act}")
    assert words(change) in words(unescape(flat(card)))


def test_a_long_list_is_paginated_within_the_limits(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    for n in range(1, 26):
        hub.submit_idea(title=f"Idea number {n:02d}")
    page = reply_to(slack, SAM, "/idea list")
    seen: list[str] = []
    for number in (1, 2, 3):
        validate_message(page)
        assert f"Page {number} of 3 · 25 in all" in flat(page)
        seen += re.findall(r"IDEA-2026-\d{4}", flat(page))
        if number < 3:
            since = press(slack, SAM, page, "Next page", ephemeral=True)
            page = wait_calls(slack, "response_url", since)[-1]
    assert sorted(set(seen)) == [f"IDEA-2026-{n:04d}" for n in range(1, 26)]  # none lost


def test_the_digest_is_one_valid_message(slack: SlackHarness) -> None:
    slack.hub.clock.set(MONDAY)  # type: ignore[attr-defined]
    with slack.hub.uow_factory() as uow:
        seed_register(uow)
        uow.commit()
    digest = reply_to(slack, CHRIS, "/qi digest PSC")  # validated: ≤ 50 blocks, each valid
    text = flat(digest)
    assert "Patient Safety Committee: weekly digest" in text
    assert "Use /qi digest PSC to see it again." in text  # the footer made it


def test_a_busy_committees_digest_still_fits_one_message(slack: SlackHarness) -> None:
    slack.hub.clock.set(MONDAY)  # type: ignore[attr-defined]
    with slack.hub.uow_factory() as uow:
        bulk_register(uow, 60, random.Random(1))
        uow.commit()
    digest = reply_to(slack, CHRIS, "/qi digest PSC")  # validated: ≤ 50 blocks, each valid
    assert "Patient Safety Committee: weekly digest" in flat(digest)
    assert len(blocks_of(digest)) <= 50
    said = ("not shown here", "Shortened to fit one message")  # a cut digest says so
    assert any(words in flat(digest) for words in said)


def test_a_busy_committees_digest_keeps_every_section_on_slack(slack: SlackHarness) -> None:
    slack.hub.clock.set(MONDAY)  # type: ignore[attr-defined]
    with slack.hub.uow_factory() as uow:
        bulk_register(uow, 60, random.Random(1))
        uow.commit()
    with slack.hub.uow_factory() as uow:
        reply = digest_reply(build_digest(uow, slack.hub.config, "PSC", MONDAY), slack.hub.config)
    rendered = blockkit.message(reply)
    validate_message(rendered)
    headers = [b["text"]["text"] for b in rendered["blocks"] if b["type"] == "header"]
    assert headers == [b.text for b in reply.blocks if isinstance(b, Heading)]
    footer = reply.blocks[-1]
    assert isinstance(footer, SmallPrint) and footer.text in flat(rendered)


def test_long_answers_are_split_and_every_message_stays_within_the_limits(
    slack: SlackHarness,
) -> None:
    """A 3,000-character answer is split across sections, not lost; whatever a busy session
    sent — posts, DMs, replies, updates — is valid Block Kit."""
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    add_action(hub, decided_lesson(hub, ["1", "2", "3"]), 1, change=long_text(1500))
    problem = long_text(3000)
    ref = screened(hub, submit_idea(slack, problem=problem, proposed_change=long_text(2999)))
    card = reply_to(slack, TOM, f"/idea status {ref}")  # validated within the limits
    sections = [
        b["text"]["text"] for b in blocks_of(card) if b["type"] == "section" and "text" in b
    ]
    assert max(len(s) for s in sections) <= 3000
    shown = words(unescape(" ".join(sections)))
    assert words(f"Problem: {problem}") in shown  # split, but every character there, in order
    assert sum(len(s) for s in sections) > 6000  # escaping made it longer than one section
    for who, text in (
        (TOM, "/qi mine"),
        (CHRIS, "/lesson list PSC all"),
        (CHRIS, "/qi actions PSC"),
        (CHRIS, "/qi search flush"),
        (ALEX, "/qi help"),
        ("U0NADIA", "/qi audit LL-2026-0001"),
    ):
        reply_to(slack, who, text)
    sent = [
        p
        for method in ("chat.postMessage", "chat.update", "response_url")
        for p in slack.fake.of(method)
    ]
    assert len(sent) >= 8
    for payload in sent:
        validate_message(payload)
