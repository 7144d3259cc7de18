"""Nothing without someone who can move it (issue 14): owners who have not accepted are reminded
and then their governance lead told; alerts awaiting approval are chased at their severity's
interval and the publisher warned as the deadline nears; a reminder that would reach nobody is
never recorded as sent, but listed as stuck, and sent once someone can receive it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from handlers.config import parse_config
from handlers.context import SYSTEM, Context
from handlers.reminders import tick
from messages.view import OpenForm, Reply
from store.models import ReminderSent, Staff
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    KIM,
    RUTH,
    TOM,
    Harness,
    button,
    buttons_of,
    ref_in,
    submit_lesson,
)
from tests.lessons_flow import add_action, decided_lesson, step
from tests.test_alerts import compose, stored

MINUTE = timedelta(minutes=1)


def told(hub: Harness, who: str, phrase: str) -> list[Reply]:
    hub.deliver()
    return [r for r in hub.platform.to(who) if phrase in r.summary]


def later(hub: Harness, **delta: float) -> None:
    hub.clock.set(hub.clock.now() + timedelta(**delta))


def ledger(hub: Harness, ref: str) -> set[tuple[str, str]]:
    with hub.app.uow_factory() as uow:
        rows = uow.session.execute(
            select(ReminderSent.rule, ReminderSent.occasion).where(ReminderSent.item_key == ref)
        ).all()
    return {(rule, occasion) for rule, occasion in rows}


def set_active(hub: Harness, active: bool, *emails: str) -> None:
    with hub.app.uow_factory() as uow:
        uow.session.execute(update(Staff).where(Staff.email.in_(emails)).values(active=active))
        uow.commit()


# ---------------------------------------------------------------- owners who have not accepted


def test_an_owner_who_has_not_accepted_is_reminded_on_day_3_and_the_lead_told_on_day_7(
    hub: Harness,
) -> None:
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)  # Tom owns it, Thursday 09:00
    later(hub, days=3, minutes=-1)
    assert "action_not_accepted" not in hub.tick().raised
    later(hub, minutes=1)
    assert hub.tick().raised == {"action_not_accepted": 1}
    assert hub.tick().total == 0  # exactly once
    [reminder] = told(hub, TOM, "has not been accepted")
    assert reminder.summary == (
        f"{ref} was assigned 3 days ago and has not been accepted. Please accept it, or decline "
        "it with a reason."
    )
    assert [b.label for b in buttons_of(reminder)][-2:] == ["Accept", "Decline…"]
    assert not told(hub, CHRIS, "has not been accepted")
    later(hub, days=4, minutes=-1)
    assert "action_not_accepted_escalated" not in hub.tick().raised
    later(hub, minutes=1)
    assert hub.tick().raised == {"action_not_accepted_escalated": 1}
    assert [r.summary for r in told(hub, CHRIS, "Escalation")] == [
        f"Escalation: {ref} was assigned 7 days ago and has not been accepted. Owner: Tom Baker."
    ]
    assert not told(hub, TOM, "Escalation") and not told(hub, KIM, "not been accepted")


def test_an_accepted_or_declined_action_is_not_chased(hub: Harness) -> None:
    lesson = decided_lesson(hub, ["2", "3"])
    accepted = add_action(hub, lesson, 3)
    declined = add_action(hub, lesson, 2)
    step(hub, TOM, accepted, "Accept")
    step(hub, TOM, declined, "Decline", reason="Not my area at all.")
    later(hub, days=8)
    raised = hub.tick().raised
    assert "action_not_accepted" not in raised and "action_not_accepted_escalated" not in raised


def test_a_reassigned_action_is_chased_afresh_for_its_new_owner(hub: Harness) -> None:
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    later(hub, days=3)
    assert hub.tick().raised == {"action_not_accepted": 1}
    step(hub, TOM, ref, "Decline", reason="Not my area at all.")
    step(hub, CHRIS, ref, "Reassign", owner=ALEX, due="2027-01-29")
    later(hub, days=3)
    assert hub.tick().raised == {"action_not_accepted": 1}
    assert told(hub, ALEX, f"{ref} was assigned 3 days ago")
    assert ledger(hub, ref) == {
        ("action_not_accepted", "after3#v1"),
        ("action_not_accepted", "after3#v2"),
    }


def test_after_a_jump_only_the_latest_not_accepted_occasion_is_sent(hub: Harness) -> None:
    """With two thresholds (3 and 5 days) and the clock away until day 6, only day 5's goes."""
    data = hub.app.config.model_dump(mode="python")
    data["reminders"]["action_not_accepted"] = {"days_after": [3, 5]}
    services = hub.app.services
    config = parse_config(data)
    from handlers.context import Services

    services = Services(config=config, clock=hub.clock, registry=services.registry)
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    rule = [r for r in hub.app.rules if r.name == "action_not_accepted"]
    later(hub, days=6)
    with hub.app.uow_factory() as uow:
        report = tick(Context(services, uow, SYSTEM, "test"), rule)
        uow.commit()
    assert report.raised == {"action_not_accepted": 1}
    assert ledger(hub, ref) == {("action_not_accepted", "after5#v1")}
    assert [r.summary.split(" and ")[0] for r in told(hub, TOM, "not been accepted")] == [
        f"{ref} was assigned 6 days ago"
    ]


# ---------------------------------------------------------------- alerts awaiting approval


def awaiting(hub: Harness, **overrides: str) -> str:
    preview = compose(hub, **overrides)
    hub.press(CHRIS, button(preview, "Send for approval"))
    hub.deliver()
    return ref_in(preview, "ALERT")


def test_approvers_are_chased_every_interval_of_a_critical_alert_with_approve_and_reject(
    hub: Harness,
) -> None:
    ref = awaiting(hub)  # critical: every 30 minutes, deadline in 24 hours
    later(hub, minutes=29)
    assert "alert_approval_pending" not in hub.tick().raised
    later(hub, minutes=1)
    assert hub.tick().raised == {"alert_approval_pending": 1}
    assert hub.tick().total == 0
    for approver in (HELEN, RUTH):
        [chase] = told(hub, approver, "Still waiting for approval")
        assert chase.summary.startswith("Still waiting for approval (30 minutes): Chris Evans")
        assert [b.label for b in buttons_of(chase)] == ["Approve and send", "Reject…"]
    assert not told(hub, CHRIS, "Still waiting")  # never the publisher
    later(hub, minutes=30)
    assert hub.tick().raised == {"alert_approval_pending": 1}
    assert [r.summary.split(":")[0] for r in told(hub, RUTH, "Still waiting")] == [
        "Still waiting for approval (30 minutes)",
        "Still waiting for approval (1 hour)",
    ]
    later(hub, hours=5)  # the clock was away: one reminder, not ten
    assert hub.tick().raised == {"alert_approval_pending": 1}
    assert len(told(hub, HELEN, "Still waiting")) == 3
    done = hub.press(HELEN, button(told(hub, HELEN, "Still waiting")[-1], "Approve and send"))
    assert isinstance(done, Reply) and stored(hub, ref).status != "awaiting_approval"
    later(hub, minutes=30)
    assert "alert_approval_pending" not in hub.tick().raised


def test_a_high_alert_is_chased_every_two_hours(hub: Harness) -> None:
    awaiting(hub, severity="high")
    later(hub, minutes=119)
    assert "alert_approval_pending" not in hub.tick().raised
    later(hub, minutes=1)
    assert hub.tick().raised == {"alert_approval_pending": 1}
    assert told(hub, RUTH, "Still waiting for approval (2 hours)")


def test_the_publisher_is_told_once_as_the_deadline_nears_and_approval_asks_a_new_one(
    hub: Harness,
) -> None:
    ref = awaiting(hub)  # deadline 24 hours on; critical reminds every 30 minutes
    later(hub, hours=23, minutes=29)
    hub.tick()
    assert not told(hub, CHRIS, "still waiting for approval")
    later(hub, minutes=1)  # within one interval of the deadline
    hub.tick()
    hub.tick()
    later(hub, hours=2)  # and past it
    hub.tick()
    [warning] = told(hub, CHRIS, "still waiting for approval")
    assert warning.summary.startswith(f"{ref} is still waiting for approval")
    assert "asked for a new deadline" in warning.summary
    chase = told(hub, HELEN, "Still waiting")[-1]
    opened = hub.press(HELEN, button(chase, "Approve and send"))
    assert isinstance(opened, OpenForm)  # a new deadline first


def test_a_rejected_alert_sent_again_is_chased_afresh(hub: Harness) -> None:
    ref = awaiting(hub)
    later(hub, minutes=30)
    hub.tick()
    opened = hub.press(RUTH, button(told(hub, RUTH, "Still waiting")[-1], "Reject…"))
    hub.fill(RUTH, opened, {"reason": "Name the batch in the title."})
    hub.deliver()
    hub.press(CHRIS, button(hub.platform.to(CHRIS)[-1], "Send for approval"))
    later(hub, minutes=30)
    assert hub.tick().raised == {"alert_approval_pending": 1}
    assert len([o for r, o in ledger(hub, ref) if r == "alert_approval_pending"]) == 2


# ---------------------------------------------------------------- reminders that reach nobody


def test_a_reminder_for_nobody_is_stuck_not_sent_and_goes_once_someone_can_receive_it(
    hub: Harness,
) -> None:
    """The review's case: the owner is the committee's only governance lead and the chair has
    left, so the "not verified" reminder has nobody to go to."""
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3, owner=CHRIS)
    step(hub, CHRIS, ref, "Accept")
    step(hub, CHRIS, ref, "Submit completion", evidence="New storage process live on ward 4.")
    set_active(hub, False, HELEN)
    later(hub, days=14)
    report = hub.tick()
    assert report.stuck == {"completion_not_verified": 1}
    assert "completion_not_verified" not in report.raised
    assert ledger(hub, ref) == {("stuck:completion_not_verified", "10wd")}  # not "sent"
    later(hub, days=4)  # the clock ticks on past the rule's usual search window
    assert hub.tick().stuck == {"completion_not_verified": 1}  # still stuck, still not sent
    digest = hub.command(CHRIS, "/qi digest PSC")
    assert isinstance(digest, Reply) and "Stuck: nobody can move these" in " ".join(
        map(str, digest.blocks)
    )
    set_active(hub, True, HELEN)  # the chair is back (or a new one named), a week later
    later(hub, days=7)
    report = hub.tick()
    assert report.raised == {"completion_not_verified": 1} and report.stuck == {}
    assert ledger(hub, ref) == {("completion_not_verified", "10wd")}
    assert told(hub, HELEN, "for verification")


def test_a_lesson_whose_governance_leads_left_is_stuck_until_one_is_back(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    set_active(hub, False, CHRIS)
    later(hub, days=7)
    assert hub.tick().stuck == {"lesson_not_triaged": 1}
    assert ledger(hub, ref) == {("stuck:lesson_not_triaged", "5wd")}
    later(hub, days=4)
    assert hub.tick().stuck == {"lesson_not_triaged": 1}
    set_active(hub, True, CHRIS)
    later(hub, hours=1)
    assert hub.tick().raised == {"lesson_not_triaged": 1}
    assert ledger(hub, ref) == {("lesson_not_triaged", "5wd")}


def test_an_owner_who_leads_governance_is_escalated_to_the_chair_not_to_themself(
    hub: Harness,
) -> None:
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3, owner=CHRIS)
    later(hub, days=7)
    assert hub.tick().raised.get("action_not_accepted_escalated") == 1
    assert told(hub, HELEN, f"Escalation: {ref}")
    assert not told(hub, CHRIS, "Escalation")
