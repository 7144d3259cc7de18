"""One order of buttons for the same record in every view, destructive choices last
(handlers/button_order.py, applied as every message leaves the core)."""

from __future__ import annotations

import io

from bot.console.platform import ConsolePlatform
from bot.console.session import ConsoleSession
from handlers.actions.transitions import STEPS
from handlers.button_order import ORDER, in_order, kind
from handlers.clock import ManualClock, ShiftedClock
from handlers.ideas.lifecycle import TRANSITIONS
from handlers.lessons.commands import _TRIAGE_FORMS
from messages.view import Button, Reply
from tests.harness import CHRIS, HELEN, TOM, Harness, buttons_of
from tests.lessons_flow import add_action, card, decided_lesson, step


def labels(reply: Reply) -> list[str]:
    return [b.label for b in buttons_of(reply)]


def test_every_step_decision_and_triage_choice_has_its_place() -> None:
    """A step added later without a place in ORDER fails here, not silently in some view."""
    kinds = {f"action.step:{s.name}" for s in STEPS}
    kinds |= {f"idea.decide:{t.name}" for t in TRANSITIONS if t.by == "panel"}
    kinds |= {f"lesson.triage:{to}" for to in _TRIAGE_FORMS}
    kinds |= {"action.extension:approve", "action.extension:decline"}
    assert kinds <= set(ORDER), sorted(kinds - set(ORDER))


def test_destructive_choices_come_last_whatever_order_they_were_drawn_in() -> None:
    cancel = Button("Cancel action…", "action.step", {"step": "cancel"}, "danger", "Sure?")
    approve = Button("Approve extension…", "action.extension", {"decision": "approve"})
    decline = Button(
        "Decline extension…", "action.extension", {"decision": "decline"}, "danger", "?"
    )
    update = Button("Update…", "action.step", {"step": "update"})
    drawn = in_order([cancel, approve, decline, update])
    assert [kind(b) for b in drawn] == [
        "action.step:update",
        "action.extension:approve",
        "action.extension:decline",
        "action.step:cancel",
    ]
    assert in_order(list(reversed(drawn))) == drawn


def test_the_chairs_view_and_the_inbox_card_agree(hub: Harness) -> None:
    """The issue's example: the chair's view listed [1] Cancel action… where the inbox card for
    the same action had [1] Approve extension…."""
    ref = add_action(hub, decided_lesson(hub, ["2"]), 2)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Request extension", new_due="2027-02-28", reason="Estates delay.")
    hub.deliver()
    [inbox] = [r for r in hub.platform.to(HELEN) if "extension requested" in r.summary]
    [channel] = [r for r in hub.platform.to("#psc") if "extension requested" in r.summary]
    view = card(hub, HELEN, ref)
    assert labels(inbox) == labels(channel) == ["Approve extension…", "Decline extension…"]
    assert labels(view) == ["Approve extension…", "Decline extension…", "Cancel action…"]
    assert all(b.confirm for b in buttons_of(view)[1:])  # both destructive ones ask first


def test_the_console_asks_before_a_destructive_button(hub: Harness) -> None:
    ref = add_action(hub, decided_lesson(hub, ["2"]), 2)
    assert isinstance(hub.app.clock, ManualClock)
    clock = ShiftedClock(hub.app.clock)
    out = io.StringIO()
    session = ConsoleSession(hub.app, clock, ConsolePlatform(clock), out, CHRIS)
    session.handle_line(f"/qi show {ref}")
    assert session.buttons[-1].label == "Cancel action…"
    number = str(len(session.buttons))
    session.handle_line(number)
    assert f"(?) Cancel {ref}? Its owner, the committee and its governance leads are told." in (
        " ".join(out.getvalue().split())
    )
    assert session.prompt() == "(y/N) > "
    session.handle_line("")  # Enter: the default is no
    assert out.getvalue().rstrip().endswith("Nothing was done.")
    assert session.form is None
    session.handle_line(number)
    session.handle_line("y")
    assert session.form is not None and session.form.form.title == "Cancel action"
