"""One record per row of the separation-of-duties table (handlers/duties.py), each with a person
who stands in the forbidden relation to it and otherwise may make the decision (they hold the
role), and the sealed button they would press. tests/test_duties.py walks the table with these
on the console, Slack and Teams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers.duties import BY_DECISION, Decision, Relation
from store.models import Action, Alert, Idea, Lesson, Trend
from tests.harness import (
    CHRIS,
    HELEN,
    KIM,
    SAM,
    TOM,
    Harness,
    button,
    ref_in,
    submit_lesson,
)
from tests.lessons_flow import add_action, card, decided_lesson, step
from tests.test_alerts import compose


@dataclass(frozen=True)
class Case:
    decision: Decision
    relation: Relation
    who: str
    """Stands in `relation` to the record, and holds the role that makes this decision."""
    action: str
    value: dict[str, str]
    ref: str

    @property
    def refusal(self) -> str:
        return BY_DECISION[self.decision].refusal.format(ref=self.ref)


def states(hub: Harness) -> dict[str, str]:
    """The status of every action, extension, lesson, idea and alert: nothing may move."""
    with hub.app.uow_factory() as uow:
        session = uow.session
        found = {a.ref: a.status for a in session.query(Action)}
        found |= {
            f"{a.ref}/ext{e.id}": e.status for a in session.query(Action) for e in a.extensions
        }
        found |= {x.ref: x.status for x in session.query(Lesson)}
        found |= {x.ref: x.status for x in session.query(Idea)}
        found |= {x.ref: x.status for x in session.query(Alert)}
        found |= {x.ref: x.status for x in session.query(Trend)}
    return found


def _extension_id(hub: Harness, ref: str) -> str:
    with hub.app.uow_factory() as uow:
        action = uow.actions.by_ref(ref)
        assert action is not None
        pending = uow.actions.pending_extension(action.id)
        assert pending is not None
        return str(pending.id)


def _trend_of(hub: Harness, lesson_ref: str) -> str:
    with hub.app.uow_factory() as uow:
        lesson = uow.lessons.by_ref(lesson_ref)
        assert lesson is not None
        found = [t.ref for t in uow.trends.for_lesson(lesson.id) if t.dimension == "site"]
    assert found, f"{lesson_ref} is in no site trend"
    return found[0]


def build(hub: Harness) -> list[Case]:
    """Every forbidden pair, set up through the real core on `hub`'s database."""
    with hub.app.uow_factory() as uow:  # Tom later took the audit-lead role; Helen publishes
        uow.staff.replace_roles({TOM: {"audit_lead"}, HELEN: {"alert_publisher"}}, source="test")
        uow.commit()
    lesson = decided_lesson(hub, ["1", "2"])
    completed = add_action(hub, lesson, 2, owner=CHRIS)  # Chris governs the PSC
    step(hub, CHRIS, completed, "Accept")
    step(hub, CHRIS, completed, "Submit completion", evidence="Huddle slides and attendance.")
    extended = add_action(hub, lesson, 2, owner=CHRIS)
    step(hub, CHRIS, extended, "Accept")
    step(hub, CHRIS, extended, "Request extension", new_due="2027-02-28", reason="Estates.")
    reaudited = add_action(hub, lesson, 1)  # Tom's, re-audited by Lee
    step(hub, TOM, reaudited, "Accept")
    step(hub, TOM, reaudited, "Submit completion", evidence="Bins fitted on all trolleys.")
    step(hub, CHRIS, reaudited, "Verify")
    declined = add_action(hub, lesson, 2, owner=CHRIS)
    step(hub, CHRIS, declined, "Decline", reason="Not mine to do, sorry.")
    cancelled = add_action(hub, lesson, 2, owner=CHRIS)
    step(hub, HELEN, cancelled, "Cancel action", reason="Superseded by the process review.")
    own_lesson = ref_in(submit_lesson(hub, CHRIS), "LL")  # Chris triages PSC lessons
    member_lesson = ref_in(submit_lesson(hub, KIM), "LL")  # Kim sits on the PSC
    opened = hub.press(CHRIS, button(card(hub, CHRIS, member_lesson), "Take to committee"))
    hub.fill(CHRIS, opened, {"deidentified": "yes"})
    assured = ref_in(submit_lesson(hub, KIM), "LL")  # done and verified: awaits assurance
    opened = hub.press(CHRIS, button(card(hub, CHRIS, assured), "Take to committee"))
    hub.fill(CHRIS, opened, {"deidentified": "yes"})
    opened = hub.press(HELEN, button(card(hub, HELEN, assured), "Decide tiers"))
    hub.fill(HELEN, opened, {"tiers": ["2"], "rationale": "Proportionate to the risk."})
    done = add_action(hub, assured, 2)
    step(hub, TOM, done, "Accept")
    step(hub, TOM, done, "Submit completion", evidence="Huddle slides and attendance.")
    step(hub, CHRIS, done, "Verify")
    idea = ref_in(hub.submit_idea(SAM))  # Sam is on the ideas panel
    preview = compose(hub, who=HELEN)  # Helen approves alerts
    alert = ref_in(preview, "ALERT")
    hub.press(HELEN, button(preview, "Send for approval"))
    extension = _extension_id(hub, extended)
    trend = _trend_of(hub, member_lesson)  # Kim's lesson joined the PSC's site trend
    D, R = Decision, Relation

    def on_action(decision: Decision, who: str, ref: str, name: str) -> Case:
        return Case(decision, R.OWNER, who, "action.step", {"ref": ref, "step": name}, ref)

    def on_submission(decision: Decision, who: str, action: str, ref: str, **more: str) -> Case:
        return Case(decision, R.SUBMITTER, who, action, {"ref": ref, **more}, ref)

    return [
        on_action(D.VERIFY, CHRIS, completed, "verify"),
        on_action(D.RETURN, CHRIS, completed, "return"),
        on_action(D.REAUDIT, TOM, reaudited, "reaudit"),
        on_action(D.REASSIGN, CHRIS, declined, "reassign"),
        on_action(D.CANCEL, CHRIS, completed, "cancel"),
        on_action(D.UNDO_CANCEL, CHRIS, cancelled, "undo_cancel"),
        Case(
            D.EXTENSION,
            R.OWNER,
            CHRIS,
            "action.extension",
            {"id": extension, "decision": "approve"},
            extended,
        ),
        on_submission(D.TRIAGE, CHRIS, "lesson.triage", own_lesson, to="accept"),
        on_submission(D.DECIDE_TIERS, KIM, "lesson.decide", member_lesson),
        on_submission(D.ASSURE, KIM, "lesson.assure", assured),
        on_submission(D.IDEA_DECISION, SAM, "idea.decide", idea, to="eligible"),
        Case(D.ALERT_APPROVAL, R.PUBLISHER, HELEN, "alert.approve", {"ref": alert}, alert),
        Case(
            D.TREND_DECISION,
            R.CONTRIBUTOR,
            KIM,
            "trend.decide",
            {"ref": trend, "to": "accept"},
            trend,
        ),
    ]


MORE: dict[Decision, Callable[[Case], list[dict[str, str]]]] = {
    Decision.EXTENSION: lambda c: [{**c.value, "decision": "decline"}],
    Decision.TRIAGE: lambda c: [
        {**c.value, "to": to} for to in ("route", "merge", "not_progressed", "redact")
    ],
    Decision.IDEA_DECISION: lambda c: [
        {**c.value, "to": to} for to in ("duplicate", "redirect", "not_eligible")
    ],
    Decision.TREND_DECISION: lambda c: [{**c.value, "to": "dismiss"}],
}
"""The same decision's other buttons (decline as well as approve, every triage choice)."""


def presses(case: Case) -> list[tuple[str, dict[str, str]]]:
    """Every button `case.who` might press for the decision, as (action, value)."""
    more = MORE.get(case.decision)
    extra = more(case) if more else []
    found = [(case.action, case.value), *((case.action, v) for v in extra)]
    if case.decision is Decision.ALERT_APPROVAL:
        found.append(("alert.reject", case.value))
    return found
