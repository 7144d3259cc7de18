"""A declined action goes to a Reassign step (issue 14): the committee's governance lead or
chair gives it a new owner, never the person who declined it; it stays in view until then."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from messages.view import OpenForm, Reply, all_text
from store.models import AuditEntry
from tests.harness import ALEX, CHRIS, HELEN, KIM, TOM, Harness, button, buttons_of, errors_of
from tests.lessons_flow import add_action, card, decided_lesson, step, try_step


def declined(hub: Harness, owner: str = TOM) -> str:
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3, owner=owner)
    step(hub, owner, ref, "Decline", reason="I do not manage pharmacy storage.")
    return ref


def labels(reply: Reply) -> list[str]:
    return [b.label for b in buttons_of(reply)]


def told(hub: Harness, who: str, phrase: str) -> list[Reply]:
    hub.deliver()
    return [r for r in hub.platform.to(who) if phrase in r.summary]


def status(hub: Harness, ref: str) -> tuple[str, str]:
    with hub.app.uow_factory() as uow:
        action = uow.actions.by_ref(ref)
        assert action is not None
        return action.status, action.owner.email


def test_the_governance_lead_reassigns_a_declined_action_and_everyone_is_told(
    hub: Harness,
) -> None:
    ref = declined(hub)
    asked = told(hub, CHRIS, "was declined by its owner: reassign it")
    assert asked and "Reassign…" in labels(asked[0])
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Reassign"))
    assert isinstance(opened, OpenForm)
    assert ref in opened.about and "Declined by Tom Baker" in opened.about
    done = hub.fill(CHRIS, opened, {"owner": ALEX, "due": "2027-01-15", "note": "Ward 4 stock."})
    assert isinstance(done, Reply), done
    assert f"{ref} is reassigned to Alex Morgan" in " ".join(all_text(done))
    assert status(hub, ref) == ("assigned", ALEX)
    offer = told(hub, ALEX, "You own a reassigned tier 3 action")
    assert offer and labels(offer[0])[:2] == ["Accept", "Decline…"]
    assert told(hub, TOM, f"{ref} was reassigned to Alex Morgan")
    assert told(hub, HELEN, "was reassigned to") == []  # leads are told; the chair reads it
    with hub.app.uow_factory() as uow:
        row = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_ref == ref, AuditEntry.action == "reassigned"
            )
        ).one()
        assert row.before["owner"] == "Tom Baker" and row.after["owner"] == "Alex Morgan"
        assert row.before["due"] == "2026-12-31" and row.after["due"] == "2027-01-15"
    step(hub, ALEX, ref, "Accept")
    assert status(hub, ref) == ("in_progress", ALEX)


def test_the_chair_may_reassign_but_never_the_owner_who_declined(hub: Harness) -> None:
    """Chris is the committee's only governance lead: when he declines, the chair reassigns."""
    ref = declined(hub, owner=CHRIS)
    assert "Reassign…" not in labels(card(hub, CHRIS, ref))
    forged = hub.drawn_button("action.step", {"ref": ref, "step": "reassign"})
    refused = hub.press(CHRIS, forged)
    assert isinstance(refused, Reply) and "must reassign it" in " ".join(all_text(refused))
    assert told(hub, HELEN, "reassign it")
    step(hub, HELEN, ref, "Reassign", owner=TOM)
    assert status(hub, ref) == ("assigned", TOM)


def test_a_committee_member_who_is_not_lead_or_chair_cannot_reassign(hub: Harness) -> None:
    ref = declined(hub)
    assert "Reassign…" not in labels(card(hub, KIM, ref))
    forged = hub.drawn_button("action.step", {"ref": ref, "step": "reassign"})
    refused = hub.press(KIM, forged)
    assert isinstance(refused, Reply) and "Only its committee's governance lead" in " ".join(
        all_text(refused)
    )
    assert status(hub, ref) == ("declined", TOM)


def test_the_new_owner_is_not_who_declined_and_a_passed_due_date_is_replaced(
    hub: Harness,
) -> None:
    ref = declined(hub)
    again = try_step(hub, CHRIS, ref, "Reassign", owner=TOM)
    assert "declined it" in errors_of(again)["owner"]
    hub.clock.set(hub.clock.now() + timedelta(days=60))  # past the 31 Dec due date
    late = try_step(hub, CHRIS, ref, "Reassign", owner=ALEX)
    assert "has passed" in errors_of(late)["due"]
    assert status(hub, ref) == ("declined", TOM)
    step(hub, CHRIS, ref, "Reassign", owner=ALEX, due="2027-03-31")
    assert status(hub, ref) == ("assigned", ALEX)


def test_declined_actions_stay_in_view_until_reassigned_or_cancelled(hub: Harness) -> None:
    ref = declined(hub)
    listed = hub.command(CHRIS, "/qi actions PSC")
    assert isinstance(listed, Reply)
    assert ref in " ".join(all_text(listed)) and "DECLINED: to reassign" in " ".join(
        all_text(listed)
    )
    mine = hub.command(CHRIS, "/qi mine")
    assert isinstance(mine, Reply)
    assert "Declined: waiting for you to reassign" in " ".join(all_text(mine))
    assert ref in " ".join(all_text(mine))
    others = hub.command(HELEN, "/qi mine")  # the chair may too, while the lead is there
    assert isinstance(others, Reply) and ref in " ".join(all_text(others))
    step(hub, HELEN, ref, "Cancel action", reason="The committee no longer needs it.")
    gone = hub.command(CHRIS, "/qi actions PSC")
    assert isinstance(gone, Reply) and ref not in " ".join(all_text(gone))


def test_the_new_owner_is_not_its_verifier_and_a_tier_5_owner_is_an_executive(
    hub: Harness,
) -> None:
    lesson = decided_lesson(hub, ["3", "5"])
    ref = add_action(hub, lesson, 3, verifier=KIM)
    step(hub, TOM, ref, "Decline", reason="I do not manage pharmacy storage.")
    refused = try_step(hub, CHRIS, ref, "Reassign", owner=KIM)
    assert "verifies it" in errors_of(refused)["owner"]
    emergency = add_action(hub, lesson, 5, owner=HELEN)
    step(hub, HELEN, emergency, "Decline", reason="On leave for the incident period.")
    refused = try_step(hub, CHRIS, emergency, "Reassign", owner=ALEX)
    assert "not an executive" in errors_of(refused)["owner"]
    step(hub, CHRIS, emergency, "Reassign", owner="ruth.green@clatterbridge.example")
    assert status(hub, emergency)[0] == "assigned"


def test_a_decline_nobody_can_reassign_says_so_and_is_listed_as_stuck(hub: Harness) -> None:
    """Chris, the only governance lead, declines while the chair has left: nobody is told to
    reassign it, he is told so, and the committee's digest lists it as stuck."""
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3, owner=CHRIS)
    with hub.app.uow_factory() as uow:
        helen = uow.staff.by_email(HELEN)
        assert helen is not None
        helen.active = False
        uow.commit()
    done = step(hub, CHRIS, ref, "Decline", reason="I am the lead; someone else should own it.")
    assert "Nobody can reassign it yet" in " ".join(all_text(done))
    digest = hub.command(KIM, "/qi digest PSC")
    assert isinstance(digest, Reply)
    words = " ".join(all_text(digest))
    assert "Stuck: nobody can move these" in words and "nobody can reassign it" in words
