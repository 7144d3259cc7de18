"""Golden Block Kit: the exact payloads Slack receives for the main cards, the digest and the two
submission modals, rendered from view models the real handlers built. A deliberate change to a
rendering is reviewed as a diff of these files: set UPDATE_GOLDEN=1 to rewrite them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from handlers.digest.views import digest_reply
from messages import blockkit
from messages.view import OpenForm, Reply
from tests.goldens import assert_golden
from tests.harness import ALEX, CHRIS, SAM, TOM, Harness, ref_in, submit_lesson
from tests.lessons_flow import add_action, decided_lesson
from tests.reports_kit import realistic_psc_digest
from tests.slack.kit import validate_message, validate_view
from tests.test_digest import MONDAY

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "slack"


def _reply(hub: Harness, who: str, text: str) -> Reply:
    reply = hub.command(who, text)
    assert isinstance(reply, Reply), reply
    return reply


def idea_card(hub: Harness) -> dict[str, Any]:
    ref = ref_in(hub.submit_idea(benefits=["safety", "patients"], benefit_detail="Fewer mix-ups."))
    return blockkit.message(_reply(hub, SAM, f"/idea status {ref}"))


def lesson_card(hub: Harness) -> dict[str, Any]:
    ref = ref_in(submit_lesson(hub), "LL")
    return blockkit.message(_reply(hub, CHRIS, f"/lesson status {ref}"))


def action_card(hub: Harness) -> dict[str, Any]:
    ref = add_action(hub, decided_lesson(hub, ["1"]), 1)
    return blockkit.message(_reply(hub, TOM, f"/qi show {ref}"))


def digest(hub: Harness) -> dict[str, Any]:
    return blockkit.message(realistic_psc_digest(hub.app, MONDAY)[0])


def digest_charts(hub: Harness) -> dict[str, Any]:
    """The realistic PSC digest is full: its charts follow in a message of their own."""
    return blockkit.message(realistic_psc_digest(hub.app, MONDAY)[1])


def digest_stuck(hub: Harness) -> dict[str, Any]:
    """The digest's stuck section and declined list (tests/test_digest_stuck.py)."""
    from tests.test_digest_stuck import stuck_digest

    return blockkit.message(digest_reply(stuck_digest(hub), hub.app.config))


def _modal(hub: Harness, text: str) -> dict[str, Any]:
    opened = hub.command(ALEX, text)
    assert isinstance(opened, OpenForm), opened
    form = hub.app.services.registry.forms[opened.form_id].form
    values = {f.name: f.default for f in form.fields if f.default is not None}
    values.update(opened.values)
    metadata = json.dumps({"c": dict(opened.context), "ch": "C111"}, separators=(",", ":"))
    return blockkit.modal(form, values, metadata)


def idea_submit_modal(hub: Harness) -> dict[str, Any]:
    return _modal(hub, "/idea Quieter night rounds")


def lesson_submit_modal(hub: Harness) -> dict[str, Any]:
    return _modal(hub, "/lesson Flush syringes look alike")


CASES: dict[str, Callable[[Harness], dict[str, Any]]] = {
    "idea_card": idea_card,
    "lesson_card": lesson_card,
    "action_card": action_card,
    "digest": digest,
    "digest_charts": digest_charts,
    "digest_stuck": digest_stuck,
    "modal_idea_submit": idea_submit_modal,
    "modal_lesson_submit": lesson_submit_modal,
}


@pytest.mark.parametrize("name", list(CASES))
def test_block_kit_matches_golden(hub: Harness, name: str) -> None:
    rendered = CASES[name](hub)
    if name.startswith("modal_"):
        validate_view(rendered)
    else:
        validate_message(rendered)
    text = json.dumps(rendered, indent=2, ensure_ascii=False) + "\n"
    golden = GOLDEN / f"{name}.json"
    assert_golden(golden, text)


def test_golden_files_have_no_strays() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(CASES)


def test_a_golden_card_carries_the_idea_as_the_panel_sees_it() -> None:
    card = json.loads((GOLDEN / "idea_card.json").read_text())
    fields = [
        f["text"] for b in card["blocks"] if b["type"] == "section" for f in b.get("fields", [])
    ]
    assert "*Submitted by*\nAlex Morgan" in fields
    actions = [
        element["action_id"].split("|")[1]
        for block in card["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert actions == ["idea.decide"] * 3 + ["idea.support", "idea.decide"]
    last = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]][-1]
    assert last["confirm"]["confirm"]["text"] == "Not eligible"  # asks first, in Slack's dialog
    assert ALEX not in json.dumps(card)  # no email address in a message
