"""Drives the real core (dispatch, handlers, store, outbox, sender) as a platform would."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.app import QIHub
from handlers import dispatch
from handlers.clock import ManualClock
from handlers.context import SYSTEM, Context
from handlers.outbox.report import SendReport
from handlers.outbox.sender import OutboxSender
from handlers.reminders import TickReport, tick
from handlers.seals import seal_key, sealed
from messages.view import Button, Buttons, FormErrors, Items, OpenForm, Reply, Response
from tests.fakes import FakePlatform

ALEX = "alex.morgan@clatterbridge.example"  # staff nurse, no special role
TOM = "tom.baker@clatterbridge.example"  # radiographer, no special role
SAM = "sam.patel@clatterbridge.example"  # ideas panel
JO = "jo.williams@clatterbridge.example"  # ideas panel
NADIA = "nadia.khan@clatterbridge.example"  # admin
HELEN = "helen.roberts@clatterbridge.example"  # chief nurse, executive, PSC chair
CHRIS = "chris.evans@clatterbridge.example"  # PSC governance lead and member
PRIYA = "priya.shah@clatterbridge.example"  # PEC governance lead and member
KIM = "kim.jones@clatterbridge.example"  # ward manager (Alex's and Tom's line manager), PSC
LEE = "lee.hughes@clatterbridge.example"  # audit lead, PSC and CEC member
RUTH = "ruth.green@clatterbridge.example"  # medical director, executive on call, CEC chair


def buttons_of(reply: Reply) -> list[Button]:
    found: list[Button] = []
    for block in reply.blocks:
        if isinstance(block, Buttons):
            found.extend(block.buttons)
        elif isinstance(block, Items):
            for item in block.items:
                found.extend(item.buttons)
    return found


def button(reply: Reply, label: str) -> Button:
    """The button labelled `label` (the trailing … optional; a unique prefix is enough)."""
    wanted = label.rstrip("…")
    found = buttons_of(reply)
    for candidate in found:
        if candidate.label.rstrip("…") == wanted:
            return candidate
    prefixed = [c for c in found if c.label.startswith(wanted)]
    if len(prefixed) == 1:
        return prefixed[0]
    raise AssertionError(f"no button {label!r} in {[b.label for b in buttons_of(reply)]}")


class Harness:
    def __init__(self, app: QIHub, clock: ManualClock) -> None:
        self.app = app
        self.clock = clock
        self.platform = FakePlatform()
        self.sender = OutboxSender(app.uow_factory, [self.platform], app.config, clock)

    def command(self, who: str, text: str) -> Response:
        return self.app.interact(who, "test", lambda ctx: dispatch.run_command(ctx, text))

    def submit(
        self,
        who: str,
        form_id: str,
        values: Mapping[str, Any],
        context: Mapping[str, str] | None = None,
    ) -> Response:
        return self.app.interact(
            who, "test", lambda ctx: dispatch.submit_form(ctx, form_id, values, context or {})
        )

    def press(self, who: str, pressed: Button) -> Response:
        return self.app.interact(
            who, "test", lambda ctx: dispatch.press(ctx, pressed.action, pressed.value)
        )

    def drawn_button(self, action: str, value: Mapping[str, str]) -> Button:
        """A button exactly as the server draws it (sealed): what someone holds who was
        forwarded a card drawn for another person, so a test can press it as the wrong one."""
        with self.app.uow_factory() as uow:
            key = seal_key(self.app.services, uow)
            uow.commit()
        return Button(action, action, sealed(key, action, value))

    def fill(self, who: str, opened: Response, values: Mapping[str, Any]) -> Response:
        """Submit the form `opened` asked for, with its pre-filled values overlaid by `values`."""
        assert isinstance(opened, OpenForm), f"expected a form, got {opened!r}"
        merged = {**opened.values, **values}
        return self.submit(who, opened.form_id, merged, opened.context)

    def deliver(self) -> SendReport:
        return self.sender.drain()

    def tick(self, *, digests: bool = False, bulletins: bool = False) -> TickReport:
        """One clock tick over the reminder rules; the weekly digest and quarterly bulletin
        rules only if asked (they have their own tests, and reminder tests count reminders)."""
        skipped = {"committee_digest": digests, "bulletin_draft": bulletins}
        rules = [r for r in self.app.rules if skipped.get(r.name, True)]
        with self.app.uow_factory() as uow:
            report = tick(Context(self.app.services, uow, SYSTEM, "test"), rules)
            uow.commit()
        return report

    def submit_idea(self, who: str = ALEX, **overrides: Any) -> Reply:
        response = self.fill(who, self.command(who, "/idea"), {**IDEA, **overrides})
        assert isinstance(response, Reply), response
        return response

    def submit_big_idea(self, who: str = ALEX, **overrides: Any) -> Reply:
        """/idea big, every field filled, Helen named as sponsor unless `overrides` say."""
        values = {**IDEA, **BIG_CASE, **overrides}
        response = self.fill(who, self.command(who, "/idea big"), values)
        assert isinstance(response, Reply), response
        return response


IDEA = {
    "title": "Label the flush syringes by colour",
    "problem": "Saline and heparin flushes look alike on the trolley.",
    "proposed_change": "Colour-coded labels on each flush syringe.",
    "benefits": ["safety"],
    "benefit_detail": "",
    "area": "ward-4",
    "srg": "",
    "mode": "named",
    "co_submitters": "",
    "credit": "no",
}
BIG_CASE = {
    "scope": "Ward 4 and the day unit's flush trolleys, both sites.",
    "resources": "Pharmacy time to print labels; a ward champion on each site.",
    "cost_pounds": "£2,400",
    "cost_detail": "Label printer and a year of labels.",
    "success_measures": "No flush mix-ups reported in the six months after.",
    "sponsor": HELEN,
}
"""A Big Idea's business case and sponsor, as the Big Idea and promotion forms ask for them."""


def ref_in(reply: Reply, prefix: str = "IDEA") -> str:
    import re

    text = reply.summary + " ".join(map(str, reply.blocks))
    match = re.search(rf"{prefix}-\d{{4}}-\d{{4}}", text)
    assert match, reply
    return match.group(0)


def screened(hub: Harness | QIHub, ref: str, by: str = SAM) -> str:
    """`ref` after the ideas panel (`by`) screened it eligible through the chat's own card,
    button and form (any adapter's app): until then only its submitters, named sponsor and
    the panel see it."""
    app = hub.app if isinstance(hub, Harness) else hub

    def act(step: Callable[[Context], Response]) -> Response:
        return app.interact(by, "test", step)

    card = act(lambda ctx: dispatch.run_command(ctx, f"/idea status {ref}"))
    assert isinstance(card, Reply), card
    pressed = button(card, "Eligible")
    opened = act(lambda ctx: dispatch.press(ctx, pressed.action, pressed.value))
    assert isinstance(opened, OpenForm), opened
    values = {**opened.values, "reason": "Within the scheme: open to everyone now."}
    done = act(lambda ctx: dispatch.submit_form(ctx, opened.form_id, values, opened.context))
    assert isinstance(done, Reply), done
    return ref


LESSON = {
    "title": "Flush syringes mixed up on the trolley",
    "source": "lfpse_event",
    "committee": "",
    "what_happened": "Saline and heparin flushes were stored together and one was mixed up.",
    "what_learned": "Look-alike flushes need separate, labelled storage.",
    "sites": ["liverpool"],
    "departments": ["ward-4"],
    "process": "medicines-storage",
    "srg": "",
    "harm_level": "low",
    "source_refs": "LFPSE W123456",
    "mode": "named",
}


def submit_lesson(hub: Harness, who: str = ALEX, **overrides: Any) -> Reply:
    response = hub.fill(who, hub.command(who, "/lesson"), {**LESSON, **overrides})
    assert isinstance(response, Reply), response
    return response


def errors_of(response: Response) -> Mapping[str, str]:
    assert isinstance(response, FormErrors), f"expected field errors, got {response!r}"
    return response.errors
