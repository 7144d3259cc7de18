"""The personal home view lists the critical alerts still to acknowledge, with the button, and
forgets them once acknowledged."""

from __future__ import annotations

from handlers.home import home
from messages.view import Items, Reply
from tests.harness import ALEX, Harness
from tests.test_alerts import approved


def alex_home(hub: Harness) -> Reply:
    reply = hub.app.interact(ALEX, "console", home)
    assert isinstance(reply, Reply)
    return reply


def alert_list(reply: Reply) -> Items:
    headings = [i for i, b in enumerate(reply.blocks) if "Critical alerts" in str(b)]
    block = reply.blocks[headings[0] + 1]
    assert isinstance(block, Items)
    return block


def test_home_lists_alerts_to_acknowledge_until_acknowledged(hub: Harness) -> None:
    assert alert_list(alex_home(hub)).items == ()
    ref = approved(hub)
    [item] = alert_list(alex_home(hub)).items
    assert item.ref == ref and "Acknowledge by" in item.detail
    [ack] = item.buttons
    assert ack.action == "alert.ack"
    hub.press(ALEX, ack)
    assert alert_list(alex_home(hub)).items == ()
