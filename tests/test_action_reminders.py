"""The reminder table of docs/domain.md for actions and lessons: each fires once per occasion, only
the latest occasion after downtime, again after an extension, and urgent ones ignore quiet
hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from messages.view import Reply, all_text
from tests.harness import ALEX, CHRIS, HELEN, KIM, LEE, TOM, Harness, ref_in, submit_lesson
from tests.lessons_flow import add_action, decided_lesson, step


def at(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+00:00").astimezone(UTC)


def received(hub: Harness, who: str, phrase: str) -> list[Reply]:
    hub.deliver()
    return [r for r in hub.platform.to(who) if phrase in r.summary]


def accepted_action(hub: Harness, tier: int = 3, due: str = "2026-12-31") -> str:
    ref = add_action(hub, decided_lesson(hub, [str(tier)]), tier, due=due)
    step(hub, TOM, ref, "Accept")
    return ref


def test_due_soon_fires_at_fourteen_and_three_days_once_each(hub: Harness) -> None:
    ref = accepted_action(hub)
    hub.clock.set(at("2026-12-16"))
    assert hub.tick().raised == {}
    hub.clock.set(at("2026-12-17"))  # 14 days before
    assert hub.tick().raised == {"action_due_soon": 1}
    assert hub.tick().total == 0
    hub.clock.set(at("2026-12-28"))  # 3 days before
    assert hub.tick().raised == {"action_due_soon": 1}
    reminders = received(hub, TOM, "is due in")
    assert [r.summary for r in reminders] == [
        f"{ref} is due in 14 days (31 Dec 2026).",
        f"{ref} is due in 3 days (31 Dec 2026).",
    ]
    assert [b.label for b in all_buttons(reminders[0])][-3:] == [
        "Update…",
        "Request extension…",
        "Submit completion…",
    ]


def test_a_reminder_offers_only_the_steps_open_now(hub: Harness) -> None:
    """An owner who has not accepted is offered Accept and Decline, not Submit completion
    (a step that would only be refused)."""
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3, due="2026-12-31")
    hub.clock.set(at("2026-12-17"))  # 14 days before
    hub.tick()
    (reminder,) = received(hub, TOM, "is due in")
    labels = [b.label for b in all_buttons(reminder)]
    assert labels == ["Accept", "Request extension…", "Decline…"], ref


def all_buttons(reply: Reply) -> list:  # type: ignore[type-arg]
    from tests.harness import buttons_of

    return buttons_of(reply)


def test_after_downtime_only_the_latest_occasion_is_sent(hub: Harness) -> None:
    accepted_action(hub)
    hub.clock.set(at("2026-12-30"))  # the clock was down from before day -14 until day -1
    assert hub.tick().raised == {"action_due_soon": 1}
    assert [r.summary for r in received(hub, TOM, "is due in")] == [
        "ACT-2026-0001 is due in 1 day (31 Dec 2026)."
    ]


def test_overdue_on_day_one_then_escalated_to_manager_and_lead_on_day_seven(
    hub: Harness,
) -> None:
    ref = accepted_action(hub)
    hub.clock.set(at("2027-01-01"))
    assert hub.tick().raised == {"action_overdue": 1}
    hub.clock.set(at("2027-01-06"))
    assert hub.tick().total == 0
    hub.clock.set(at("2027-01-07"))
    assert hub.tick().raised == {"action_overdue_escalated": 1}
    assert received(hub, TOM, "is overdue by 1 day")
    # Tom's line manager is Kim; Chris leads patient safety governance.
    for boss in (KIM, CHRIS):
        assert [r.summary for r in received(hub, boss, "Escalation")] == [
            f"Escalation: {ref} is overdue by 7 days (due 31 Dec 2026). Owner: Tom Baker."
        ]
    assert not received(hub, TOM, "Escalation")


def test_an_approved_extension_starts_the_reminders_again(hub: Harness) -> None:
    ref = accepted_action(hub)
    hub.clock.set(at("2026-12-17"))
    assert hub.tick().total == 1
    step(hub, TOM, ref, "Request extension", new_due="2027-01-31", reason="Estates delay.")
    step(hub, HELEN, ref, "Approve extension", note="Agreed.")
    hub.clock.set(at("2027-01-17"))
    assert hub.tick().raised == {"action_due_soon": 1}
    assert received(hub, TOM, "due in 14 days (31 Jan 2027)")


def test_completion_waiting_ten_working_days_reminds_the_verifier(hub: Harness) -> None:
    ref = accepted_action(hub)
    step(hub, TOM, ref, "Submit completion", evidence="New storage process live on ward 4.")
    hub.clock.set(hub.clock.now() + timedelta(days=13))  # 9 working days
    assert hub.tick().raised.get("completion_not_verified") is None
    hub.clock.set(hub.clock.now() + timedelta(days=1))
    assert hub.tick().raised == {"completion_not_verified": 1}
    assert received(hub, CHRIS, "waited 10 working days for verification")
    assert not received(hub, TOM, "waited 10 working days")


def test_reaudit_due_a_week_before_and_on_the_day(hub: Harness) -> None:
    ref = accepted_action(hub, tier=1)
    step(hub, TOM, ref, "Submit completion", evidence="Bins fitted on all four trolleys.")
    step(hub, CHRIS, ref, "Verify")
    hub.clock.set(at("2027-02-22"))
    hub.tick()
    hub.clock.set(at("2027-03-01"))
    hub.tick()
    for who in (LEE, TOM):
        assert [r.summary for r in received(hub, who, "The re-audit")] == [
            f"The re-audit of {ref} is due on 01 Mar 2027.",
            f"The re-audit of {ref} is due today.",
        ]


def test_lesson_not_triaged_in_five_working_days_reminds_the_governance_lead(
    hub: Harness,
) -> None:
    ref = ref_in(submit_lesson(hub), "LL")  # Thursday 26 November
    hub.clock.set(at("2026-12-03", 8))  # 5 working days come at 09:00 on Thursday 3rd
    assert hub.tick().raised == {}
    hub.clock.set(at("2026-12-03", 21))  # due, but it is quiet hours now
    assert hub.tick().raised == {"lesson_not_triaged": 1}
    assert not received(hub, CHRIS, "waited 5 working days")
    hub.clock.set(at("2026-12-04", 8))
    assert [r.summary for r in received(hub, CHRIS, "waited 5 working days")] == [
        f"{ref} ('Flush syringes mixed up on the trolley') has waited 5 working days for triage."
    ]
    assert not received(hub, ALEX, "waited")


def test_reminder_content_names_the_action_and_its_lesson(hub: Harness) -> None:
    ref = accepted_action(hub)
    hub.clock.set(at("2027-01-01"))
    hub.tick()
    overdue = received(hub, TOM, "is overdue")[0]
    words = " ".join(all_text(overdue))
    assert ref in words and "LL-2026-0001" in words and "RAG" in words
    assert date(2027, 1, 1) > date(2026, 12, 31)


def test_a_jump_in_time_sends_only_the_latest_occasion_for_an_action_just_accepted(
    hub: Harness,
) -> None:
    """The README's lesson journey: the clock ticks, the owner accepts (a status change since
    the rule's last pass), then time jumps to the day before the due date. Both the 14-day and
    the 3-day occasion are due by then; only the 3-day one may be sent."""
    hub.tick()  # the rules have a watermark from before the acceptance
    ref = accepted_action(hub, due="2026-12-20")
    hub.clock.set(at("2026-12-19"))
    assert hub.tick().raised == {"action_due_soon": 1}
    assert hub.tick().total == 0
    assert [r.summary for r in received(hub, TOM, "is due in")] == [
        f"{ref} is due in 1 day (20 Dec 2026)."
    ]
