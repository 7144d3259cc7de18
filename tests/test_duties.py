"""Separation of duties (handlers/duties.py): the table is the doc, and every forbidden pair
(decision x the relation that forbids it) is refused on the console, Slack and Teams, pressed
with a genuinely sealed button, with the table's own sentence and nothing moved.

Each row was watched going red with its `never` emptied, and each call site with its check
deleted (Step 9, "assurance that holds"); see docs/separation-of-duties.md.
"""

from __future__ import annotations

import io
import json
import os
from datetime import timedelta
from pathlib import Path

from bot.console.platform import ConsolePlatform
from bot.console.session import ConsoleSession
from handlers import duties
from handlers.button_order import kind
from handlers.clock import ManualClock, ShiftedClock
from handlers.duties import Decision
from handlers.form_sessions import SESSION_KEY
from handlers.seals import sealed
from messages import blockkit
from messages.view import Button, Notice, Reply
from tests.duties_cases import Case, build, presses, states
from tests.harness import LESSON, Harness, buttons_of
from tests.slack import kit
from tests.slack.conftest import SlackHarness, fake_slack, slack  # noqa: F401 (fixtures)
from tests.teams.conftest import fake_connector  # noqa: F401 (fixture)
from tests.teams.inbound import TeamsHarness, fake_openid, teams  # noqa: F401 (fixtures)

DOC = Path(__file__).resolve().parent.parent / "docs" / "separation-of-duties.md"
BEGIN = "<!-- the table: generated from handlers/duties.py (tests/test_duties.py) -->\n"
END = "<!-- end of the table -->"


def flat(text: str) -> str:
    """Text without backslash escapes or any whitespace (the console wraps, even at hyphens)."""
    return "".join(text.replace("\\", "").split())


def test_the_doc_shows_the_table_exactly() -> None:
    """docs/separation-of-duties.md cannot drift from the table (UPDATE_GOLDEN=1 rewrites it)."""
    doc = DOC.read_text()
    before, rest = doc.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    wanted = before + BEGIN + duties.markdown() + END + after
    if os.environ.get("UPDATE_GOLDEN") == "1" and not os.environ.get("CI"):
        DOC.write_text(wanted)
    assert doc == wanted, "docs/separation-of-duties.md differs from handlers/duties.py"


def _covered(cases: list[Case]) -> None:
    pairs = {(c.decision, c.relation) for c in cases}
    table = {(d.decision, r) for d in duties.DUTIES for r in d.never}
    assert pairs == table, "every forbidden pair of the table has a case, and only those"


def test_the_core_refuses_every_forbidden_pair(hub: Harness) -> None:
    cases = build(hub)
    _covered(cases)
    before = states(hub)
    for case in cases:
        for action, value in presses(case):
            answer = hub.press(case.who, hub.drawn_button(action, value))
            assert isinstance(answer, Reply), (case, value, answer)
            said = " ".join(b.text for b in answer.blocks if isinstance(b, Notice))
            assert said == case.refusal, (case.decision, value, said)
    assert states(hub) == before


def _kinds(case: Case) -> set[str]:
    return {kind(Button("", action, value)) for action, value in presses(case)}


def _view(hub: Harness, case: Case) -> Reply:
    command = "/alert status" if case.ref.startswith("ALERT") else "/qi show"
    shown = hub.command(case.who, f"{command} {case.ref}")
    assert isinstance(shown, Reply), shown
    return shown


def test_no_button_is_drawn_or_sent_for_a_forbidden_pair(hub: Harness) -> None:
    """Nobody is shown, or sent in their own messages, a button the table forbids them: their
    view of the record, and every message delivered to them while it was set up."""
    cases = build(hub)
    hub.deliver()
    for case in cases:
        forbidden = _kinds(case)
        seen = {kind(b) for b in buttons_of(_view(hub, case))}
        assert not seen & forbidden, (case.decision, seen & forbidden)
        sent = {
            kind(b)
            for r in hub.platform.to(case.who)
            for b in buttons_of(r)
            if b.value.get("ref", b.value.get("id")) == case.value.get("ref", case.value.get("id"))
        }
        assert not sent & forbidden, (case.decision, sent & forbidden)


SUBMITTED = {
    Decision.EXTENSION: ("action.extension.approve", {"note": "Agreed."}),
    Decision.TRIAGE: (
        "lesson.triage.accept",
        {
            "deidentified": "yes",
            **{k: LESSON[k] for k in ("title", "what_happened", "what_learned")},
        },
    ),
    Decision.DECIDE_TIERS: ("lesson.decide", {"tiers": ["2"], "rationale": "Proportionate."}),
    Decision.ASSURE: ("lesson.assure", {"note": "Huddle attendance seen for every ward."}),
    Decision.ALERT_APPROVAL: ("alert.reject", {"reason": "Wrong audience for this one."}),
    Decision.TREND_DECISION: ("trend.dismiss", {"reason": "Unrelated lessons at a big site."}),
}
"""Decisions whose form checks the table again on submission, with what to submit."""


def test_a_form_already_open_is_refused_at_submission_too(hub: Harness) -> None:
    """The form's own check, behind the button's: a session the server opened for the person
    (as if opened before the record became theirs) is refused with the table's sentence."""
    cases = {c.decision: c for c in build(hub)}
    before = states(hub)
    for decision, (form_id, values) in SUBMITTED.items():
        case = cases[decision]
        context = dict(case.value)
        with hub.app.uow_factory() as uow:
            person = uow.staff.by_email(case.who)
            assert person is not None
            now = hub.clock.now()
            session = uow.forms.open(person.id, form_id, context, now, now + timedelta(hours=1))
            uow.commit()
        answer = hub.submit(case.who, form_id, values, {SESSION_KEY: session})
        assert isinstance(answer, Reply), (decision, answer)
        said = " ".join(b.text for b in answer.blocks if isinstance(b, Notice))
        assert said == case.refusal, (decision, said)
    assert states(hub) == before


def test_a_late_alert_is_not_offered_a_new_deadline_by_its_publisher(hub: Harness) -> None:
    """An alert past its deadline asks an approver for a new one; its publisher is refused."""
    case = next(c for c in build(hub) if c.decision is Decision.ALERT_APPROVAL)
    hub.clock.set(hub.clock.now() + timedelta(days=3))  # past the critical alert's deadline
    answer = hub.press(case.who, hub.drawn_button("alert.approve", {"ref": case.ref}))
    assert isinstance(answer, Reply), answer
    assert case.refusal in " ".join(b.text for b in answer.blocks if isinstance(b, Notice))


def test_the_console_refuses_every_forbidden_pair(hub: Harness) -> None:
    """As typed: the button's number (and "y" where it asks first), as the conflicted person."""
    cases = build(hub)
    _covered(cases)
    before = states(hub)
    assert isinstance(hub.app.clock, ManualClock)
    for case in cases:
        for action, value in presses(case):
            out = io.StringIO()
            clock = ShiftedClock(hub.app.clock)
            session = ConsoleSession(hub.app, clock, ConsolePlatform(clock), out, case.who)
            drawn = hub.drawn_button(action, value)
            session.buttons = [Button("Pressed", action, drawn.value, confirm="Sure?")]
            session.handle_line("1")
            session.handle_line("y")
            assert flat(case.refusal) in flat(out.getvalue()), (case.decision, value)
    assert states(hub) == before


def test_slack_refuses_every_forbidden_pair(slack: SlackHarness) -> None:  # noqa: F811
    """The real bolt app, a signed block action per press, the answer at the response_url."""
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    cases = build(hub)
    _covered(cases)
    before = states(hub)
    key = slack.hub.seal_key()
    for case in cases:
        user = kit.slack_user(slack, case.who)
        for action, value in presses(case):
            since = kit.mark(slack)
            element = {
                "action_id": f"{blockkit.ACTION_PREFIX}{action}|1",
                "value": json.dumps(sealed(key, action, value)),
            }
            assert slack.press(user, element).status_code == 200
            slack.wait(lambda since=since, case=case: _answered(slack, since, case))
    assert states(hub) == before


def _answered(slack: SlackHarness, since: int, case: Case) -> bool:  # noqa: F811
    """The refusal arrived at the response_url after mark `since`."""
    wanted = flat(case.refusal)
    return any(wanted in flat(kit.flat(p)) for p in kit.calls(slack, "response_url", since))


def test_teams_refuses_every_forbidden_pair(teams: TeamsHarness) -> None:  # noqa: F811
    """The real Teams SDK app, an Action.Execute invoke per press, the card it answers with."""
    hub = Harness(teams.hub, teams.hub.clock)  # type: ignore[arg-type]
    cases = build(hub)
    _covered(cases)
    for email in {c.who for c in cases}:  # their first message links their Entra id
        assert teams.say(email, "qi help").status_code == 200
    before = states(hub)
    key = teams.hub.seal_key()
    for case in cases:
        for action, value in presses(case):
            data = {"qi_action": action, "qi_value": sealed(key, action, value)}
            response = teams.execute(case.who, "qi", data)
            assert response.status_code == 200
            said = flat(response.text)
            assert flat(case.refusal) in said, (case.decision, value, said)
    assert states(hub) == before
