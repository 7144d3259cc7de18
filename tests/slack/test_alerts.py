"""A critical alert on Slack: composed in a modal, approved from a DM by a second person,
delivered to each person's DM, acknowledged in place, and corrected: every delivered message is
replaced with chat.update at the ts Slack gave it."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.outbox_workers import connected_platforms
from handlers.clock import ManualClock
from handlers.outbox.sender import OutboxSender
from tests.slack import kit
from tests.slack.conftest import SlackHarness
from tests.transactions import transactions_on

ALERT: dict[str, Any] = {
    "title": "Oxygen cylinder valve recall",
    "instructions": "Quarantine every CD oxygen cylinder from batch 42.",
    "severity": "critical",
    "audience": ["site:liverpool", "site:wirral"],
    "deadline_date": None,
    "deadline_time": None,
    "lesson_ref": None,
    "cas_ref": "NatPSA/2026/001",
    "emergency": False,
}


def deliver(slack: SlackHarness) -> None:
    """What `qihub clock` does every 5 s: messages the pacer deferred go out (the web process
    only delivers when a request kicks it, and the test clock only moves when told)."""
    hub = slack.hub
    assert isinstance(hub.clock, ManualClock)
    hub.clock.advance(timedelta(seconds=2))  # deferred rows come due in the app's time
    OutboxSender(hub.uow_factory, connected_platforms(hub), hub.config, hub.clock).drain(5)


def arrive(
    slack: SlackHarness, method: str, since: int, where: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The latest `method` call matching `where`, delivering the outbox while waiting."""

    def arrived() -> list[dict[str, Any]]:
        hits = [p for p in kit.calls(slack, method, since) if where(p)]
        if not hits:
            deliver(slack)
            time.sleep(0.05)
        return hits

    found: dict[str, Any] = slack.wait(arrived, 10)[-1]
    kit.validate_message(found)
    return found


def dm(slack: SlackHarness, user: str, since: int, contains: str) -> dict[str, Any]:
    return arrive(
        slack,
        "chat.postMessage",
        since,
        lambda p: p.get("channel") == user and contains in kit.flat(p),
    )


def publish(slack: SlackHarness, command: str, answers: dict[str, Any]) -> str:
    """Compose (or correct) as Chris, send for approval, approve as Helen; returns the ref."""
    view = kit.form_from(slack, kit.CHRIS, command)
    since = kit.mark(slack)
    kit.submit(slack, kit.CHRIS, view, answers)
    preview = dm(slack, kit.CHRIS, since, "Preview of ALERT-")
    ref = kit.ref_in(kit.flat(preview), "ALERT")
    since = kit.press(slack, kit.CHRIS, preview, "Send for approval", channel=kit.CHRIS)
    request = dm(slack, kit.HELEN, since, f"Approval needed: {ref}")
    since = kit.press(slack, kit.HELEN, request, "Approve and send", channel=kit.HELEN)
    answered = kit.wait_calls(slack, "response_url", since)[-1]
    assert answered["replace_original"] and "sent to 3 people" in kit.flat(answered)
    return ref


def test_alert_acknowledged_in_place_and_corrected_with_chat_update(
    slack: SlackHarness,
) -> None:
    start = kit.mark(slack)
    ref = publish(slack, "/alert", ALERT)
    cards = {user: dm(slack, user, start, f"({ref})") for user in (kit.ALEX, kit.KIM, kit.TOM)}
    for card in cards.values():
        assert kit.labels(kit.blocks_of(card)) == ["Acknowledge"]
    posted = arrive(slack, "chat.postMessage", start, lambda p: p.get("channel") == "C0ALL")
    assert f"({ref})" in kit.flat(posted), "posted once to the all-staff channel"

    since = kit.press(slack, kit.ALEX, cards[kit.ALEX], "Acknowledge", channel=kit.ALEX)
    acked = kit.wait_calls(slack, "response_url", since)[-1]
    assert acked["replace_original"] and "Acknowledged at" in kit.flat(acked)
    since = kit.press(slack, kit.ALEX, cards[kit.ALEX], "Acknowledge", channel=kit.ALEX)
    again = kit.wait_calls(slack, "response_url", since)[-1]
    assert not again.get("replace_original") and "already acknowledged" in kit.flat(again)

    since = kit.mark(slack)
    fix = publish(
        slack, f"/alert correct {ref}", {**ALERT, "instructions": "Quarantine batches 42 and 43."}
    )
    for user, card in cards.items():
        corrected = dm(slack, user, since, f"({fix})")
        assert "batches 42 and 43" in kit.flat(corrected)
        update = arrive(slack, "chat.update", since, lambda p, u=user: p.get("channel") == u)
        assert update["ts"] == kit.ts_of(slack, card)
        assert f"corrected by {fix}" in kit.flat(update)
    post = arrive(slack, "chat.update", since, lambda p: p.get("channel") == "C0ALL")
    assert f"corrected by {fix}" in kit.flat(post)


def test_a_press_by_someone_linked_is_one_transaction(slack: SlackHarness) -> None:
    """Finding the person by Slack id and recording the acknowledgement share one unit of
    work: under a storm of presses a second transaction per press is a second wait for the
    write lock (SQLite) or a second pooled connection and round trips (PostgreSQL)."""
    kit.reply_to(slack, kit.ALEX, "/qi help")  # Alex has used QI Hub: his Slack id is linked
    start = kit.mark(slack)
    ref = publish(slack, "/alert", ALERT)
    card = dm(slack, kit.ALEX, start, f"({ref})")
    with transactions_on(slack.hub.engine, "slack-after-ack") as begun:
        since = kit.press(slack, kit.ALEX, card, "Acknowledge", channel=kit.ALEX)
        acked = kit.wait_calls(slack, "response_url", since)[-1]
        time.sleep(0.1)  # the listener's thread has finished with the database
    assert "Acknowledged at" in kit.flat(acked)
    assert len(begun) == 1, begun
