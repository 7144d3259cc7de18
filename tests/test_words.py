"""Step 9: words that mean what they say. Each test pins one sentence staff once misread."""

from __future__ import annotations

from messages.view import Notice, OpenForm, Reply, all_text
from tests.harness import ALEX, CHRIS, SAM, TOM, Harness, button, ref_in, submit_lesson
from tests.lessons_flow import card


def notices(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, Notice))


def test_withdrawing_your_own_idea_says_the_panel_was_told(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(title="Colour-coded flush labels"))
    opened = hub.command(ALEX, f"/idea withdraw {ref}")
    result = hub.fill(ALEX, opened, {"reason": ""})
    assert isinstance(result, Reply)
    assert notices(result) == f"{ref} has been withdrawn. The ideas panel has been told."


def test_withdraw_and_decision_forms_name_the_idea(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(title="Colour-coded flush labels"))
    withdraw = hub.command(ALEX, f"/idea withdraw {ref}")
    assert isinstance(withdraw, OpenForm)
    assert withdraw.about == f"{ref}: Colour-coded flush labels"
    panel_card = hub.command(SAM, f"/idea status {ref}")
    assert isinstance(panel_card, Reply)
    decision = hub.press(SAM, button(panel_card, "Eligible"))
    assert isinstance(decision, OpenForm)
    assert decision.about == f"{ref}: Colour-coded flush labels"


def test_triage_form_names_the_lesson(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Take to committee"))
    assert isinstance(opened, OpenForm)
    assert opened.about.startswith(f"{ref}: ")


def test_an_unknown_qi_word_is_named_before_the_help(hub: Harness) -> None:
    reply = hub.command(TOM, "/qi frobnicate now")
    assert isinstance(reply, Reply)
    assert notices(reply) == "I don't know /qi frobnicate. Here is what you can do:"
    assert "QI Hub: what you can do" in all_text(reply)
    plain = hub.command(TOM, "/qi")
    assert isinstance(plain, Reply) and notices(plain) == ""


def test_an_unknown_word_after_another_command_is_named(hub: Harness) -> None:
    reply = hub.command(TOM, "/bulletin frobnicate")
    assert isinstance(reply, Reply)
    assert notices(reply) == "I don't know /bulletin frobnicate. Try /bulletin help."
