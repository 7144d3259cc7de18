"""Actions through their whole lifecycle, with permissions re-checked on every press."""

from __future__ import annotations

from datetime import date

from handlers.actions.lifecycle import Rag, rag
from messages.view import Reply, all_text
from store.models import Action, Lesson
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    KIM,
    LEE,
    TOM,
    Harness,
    button,
    buttons_of,
    errors_of,
)
from tests.lessons_flow import add_action, card, decided_lesson, step, try_step


def action(hub: Harness, ref: str) -> Action:
    with hub.app.uow_factory() as uow:
        found = uow.actions.by_ref(ref)
        assert found is not None
        uow.session.expunge_all()
        return found


def lesson_status(hub: Harness, ref: str) -> str:
    with hub.app.uow_factory() as uow:
        found = uow.lessons.by_ref(ref)
        assert isinstance(found, Lesson)
        return found.status


def labels(reply: Reply) -> list[str]:
    return [b.label for b in buttons_of(reply)]


def text(reply: Reply) -> str:
    return " ".join(all_text(reply))


def test_rag_is_derived_from_dates_and_states() -> None:
    today = date(2026, 12, 1)
    assert rag("in_progress", date(2026, 11, 30), today) is Rag.RED
    assert rag("in_progress", date(2026, 12, 15), today) is Rag.AMBER
    assert rag("in_progress", date(2026, 12, 16), today) is Rag.GREEN
    assert rag("in_progress", date(2027, 3, 1), today, extension_pending=True) is Rag.AMBER
    assert rag("completion_submitted", date(2026, 11, 1), today) is Rag.GREEN
    assert rag("verified", date(2026, 11, 1), today) is Rag.BLUE
    assert rag("cancelled", date(2026, 11, 1), today) is Rag.GREY


def test_owner_accepts_completes_and_someone_else_verifies(hub: Harness) -> None:
    lesson_ref = decided_lesson(hub, ["2"])
    ref = add_action(hub, lesson_ref, 2)
    assert labels(card(hub, ALEX, ref)) == []
    assert labels(card(hub, TOM, ref)) == ["Accept", "Request extension…", "Decline…"]
    step(hub, TOM, ref, "Accept")
    assert action(hub, ref).status == "in_progress"
    assert lesson_status(hub, lesson_ref) == "in_progress"
    short = try_step(hub, TOM, ref, "Submit completion", evidence="short")
    assert "at least 10" in errors_of(short)["evidence"]
    step(hub, TOM, ref, "Submit completion", evidence="Huddle slides and attendance log.")
    assert action(hub, ref).status == "completion_submitted"
    assert "Verify" not in labels(card(hub, TOM, ref))  # never the owner
    assert "Verify" in labels(card(hub, CHRIS, ref))  # the PSC governance lead
    step(hub, CHRIS, ref, "Verify", note="Seen the log.")
    assert action(hub, ref).status == "verified"
    assert lesson_status(hub, lesson_ref) == "awaiting_assurance"
    hub.deliver()
    assert any("every action is verified" in r.summary for r in hub.platform.to("#psc"))
    assure = step(
        hub, HELEN, lesson_ref, "Accept assurance", note="Attendance log seen at committee."
    )
    assert "assurance accepted" in text(assure)
    assert lesson_status(hub, lesson_ref) == "closed"


def test_an_owner_who_governs_the_committee_cannot_verify_their_own_action(
    hub: Harness,
) -> None:
    """Chris is the PSC's governance lead, who verifies its actions by default: as the owner he
    gets no Verify button, and pressing one anyway (from an old card) is refused."""
    lesson_ref = decided_lesson(hub, ["2"])
    ref = add_action(hub, lesson_ref, 2, owner=CHRIS)
    step(hub, CHRIS, ref, "Accept")
    step(hub, CHRIS, ref, "Submit completion", evidence="Huddle slides and attendance log.")
    assert "Verify" not in labels(card(hub, CHRIS, ref))
    verify = hub.drawn_button("action.step", {"ref": ref, "step": "verify"})
    refused = hub.press(CHRIS, verify)
    assert isinstance(refused, Reply) and "never the owner" in text(refused)
    assert action(hub, ref).status == "completion_submitted"


def test_tier_one_is_reaudited_and_a_failure_reopens_the_lesson(hub: Harness) -> None:
    lesson_ref = decided_lesson(hub, ["1"])
    ref = add_action(hub, lesson_ref, 1, verifier=CHRIS)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Submit completion", evidence="Bins fitted on all four trolleys.")
    step(hub, CHRIS, ref, "Verify")
    assert action(hub, ref).status == "reaudit_scheduled"
    step(hub, HELEN, lesson_ref, "Accept assurance", note="Photos of the bins seen.")
    assert lesson_status(hub, lesson_ref) == "monitoring"
    assert "Record re-audit…" not in labels(card(hub, ALEX, ref))
    step(hub, LEE, ref, "Record re-audit", result="fail", notes="Two of four trolleys mixed again.")
    assert action(hub, ref).status == "reaudit_failed"
    assert lesson_status(hub, lesson_ref) == "reopened"
    hub.deliver()
    assert any("is back before the committee" in r.summary for r in hub.platform.to("#psc"))
    assert any("is back before the committee" in r.summary for r in hub.platform.to(ALEX))
    assert "Decide tiers…" in labels(card(hub, HELEN, lesson_ref))


def test_a_passed_reaudit_closes_a_monitored_lesson(hub: Harness) -> None:
    lesson_ref = decided_lesson(hub, ["1"])
    ref = add_action(hub, lesson_ref, 1)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Submit completion", evidence="Bins fitted on all four trolleys.")
    step(hub, CHRIS, ref, "Verify")
    step(hub, HELEN, lesson_ref, "Accept assurance", note="Photos of the bins seen.")
    step(hub, LEE, ref, "Record re-audit", result="pass", notes="No mix-ups in 3 months.")
    assert (action(hub, ref).status, lesson_status(hub, lesson_ref)) == ("closed", "closed")


def test_declined_action_goes_back_for_reassignment(hub: Harness) -> None:
    lesson_ref = decided_lesson(hub, ["3"])
    ref = add_action(hub, lesson_ref, 3)
    step(hub, TOM, ref, "Decline", reason="I do not manage pharmacy storage.")
    assert action(hub, ref).status == "declined"
    hub.deliver()
    to_lead = [r for r in hub.platform.to(CHRIS) if "declined by its owner" in r.summary]
    assert to_lead and "Reassign…" in labels(to_lead[0])  # tests/test_reassign.py goes on


def test_blocked_and_unblocked_with_progress_updates(hub: Harness) -> None:
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Blocked", reason="Waiting for estates to fit shelves.")
    assert action(hub, ref).status == "blocked"
    step(hub, TOM, ref, "Unblocked")
    step(hub, TOM, ref, "Update", note="Shelves fitted, labels ordered.")
    stored = action(hub, ref)
    assert (stored.status, stored.status_reason) == (
        "in_progress",
        "Shelves fitted, labels ordered.",
    )


def test_not_verified_goes_back_to_the_owner_with_the_reason(hub: Harness) -> None:
    ref = add_action(hub, decided_lesson(hub, ["2"]), 2)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Submit completion", evidence="Slides shared by email.")
    step(hub, CHRIS, ref, "Not verified", reason="Attendance not recorded.")
    assert action(hub, ref).status == "in_progress"
    hub.deliver()
    assert any("Attendance not recorded." in r.summary for r in hub.platform.to(TOM))


def test_extension_is_decided_by_the_committee_and_moves_the_due_date(hub: Harness) -> None:
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    step(hub, TOM, ref, "Accept")
    early = try_step(hub, TOM, ref, "Request extension", new_due="2026-12-01", reason="Estates.")
    assert "after the current due date" in errors_of(early)["new_due"]
    step(hub, TOM, ref, "Request extension", new_due="2027-02-28", reason="Estates delay.")
    again = hub.command(TOM, f"/qi show {ref}")
    assert isinstance(again, Reply)
    assert "Request extension…" in labels(again)
    assert "Approve extension…" not in labels(again)  # the owner never decides their own
    step(hub, HELEN, ref, "Approve extension", note="Agreed at committee.")
    stored = action(hub, ref)
    assert (stored.due_date, stored.due_version, stored.extension_count) == (
        date(2027, 2, 28),
        2,
        1,
    )
    step(hub, TOM, ref, "Request extension", new_due="2027-04-30", reason="Still waiting.")
    step(hub, HELEN, ref, "Decline extension", reason="Escalate the estates delay instead.")
    assert action(hub, ref).due_date == date(2027, 2, 28)


def test_the_committee_cancels_with_a_reason(hub: Harness) -> None:
    lesson_ref = decided_lesson(hub, ["2", "3"])
    cancelled = add_action(hub, lesson_ref, 2)
    kept = add_action(hub, lesson_ref, 3)
    assert "Cancel action…" not in labels(card(hub, TOM, cancelled))
    step(hub, HELEN, cancelled, "Cancel action", reason="Superseded by the process review.")
    assert action(hub, cancelled).status == "cancelled"
    step(hub, TOM, kept, "Accept")
    step(hub, TOM, kept, "Submit completion", evidence="New storage process live.")
    step(hub, CHRIS, kept, "Verify")
    assert lesson_status(hub, lesson_ref) == "awaiting_assurance"


def _open_refs(hub: Harness, who: str, command: str) -> str:
    reply = hub.command(who, command)
    assert isinstance(reply, Reply), reply
    return text(reply)


def test_cancel_needs_a_second_person_tells_everyone_and_can_be_undone(hub: Harness) -> None:
    """Only the chair or a governance lead other than the owner cancels, with a reason; the
    owner, the committee's channel and its governance leads are told; Undo cancel restores
    the action (back in /qi actions and the digest) within the window, and not after it."""
    lesson_ref = decided_lesson(hub, ["2"])
    ref = add_action(hub, lesson_ref, 2, due="2026-12-03")  # amber: in the digest's list
    step(hub, TOM, ref, "Accept")
    # Kim sits on the committee but is neither its chair nor a governance lead
    assert "Cancel action…" not in labels(card(hub, KIM, ref))
    refused = hub.press(KIM, hub.drawn_button("action.step", {"ref": ref, "step": "cancel"}))
    assert isinstance(refused, Reply)
    assert "Only the committee's chair or a governance lead can do that" in text(refused)
    assert labels(card(hub, HELEN, ref))[-1] == "Cancel action…"  # destructive: last
    opened = hub.press(HELEN, hub.drawn_button("action.step", {"ref": ref, "step": "cancel"}))
    assert getattr(opened, "about", "").startswith(f"{ref}: ")  # the form names the action
    assert "reason" in errors_of(hub.fill(HELEN, opened, {"reason": ""}))
    hub.deliver()
    hub.platform.sent.clear()
    step(hub, HELEN, ref, "Cancel action", reason="Superseded by the process review.")
    stored = action(hub, ref)
    assert (stored.status, stored.cancelled_from) == ("cancelled", "in_progress")
    assert ref not in _open_refs(hub, HELEN, "/qi actions PSC")
    assert ref not in _open_refs(hub, HELEN, "/qi digest PSC")
    hub.deliver()
    told = "was cancelled by Helen Roberts: Superseded by the process review."
    for who in (TOM, CHRIS, "#psc"):
        assert any(told in r.summary for r in hub.platform.to(who)), who
    [channel_post] = [r for r in hub.platform.to("#psc") if told in r.summary]
    assert labels(channel_post) == ["Undo cancel"]
    # the owner cannot undo it; the chair can, within the window
    assert "Undo cancel" not in labels(card(hub, TOM, ref))
    hub.clock.set(hub.clock.now().replace(day=30))  # four days on
    undone = step(hub, HELEN, ref, "Undo cancel")
    assert "is back to 'In progress'" in text(undone)
    assert action(hub, ref).status == "in_progress"
    assert ref in _open_refs(hub, HELEN, "/qi actions PSC")
    assert ref in _open_refs(hub, HELEN, "/qi digest PSC")
    assert ref in _open_refs(hub, TOM, "/qi mine")
    # cancelled again, and the undo pressed after the window closes
    step(hub, CHRIS, ref, "Cancel action", reason="Really not needed now.")
    hub.clock.set(hub.clock.now().replace(month=12, day=8))  # eight days on
    assert "Undo cancel" not in labels(card(hub, CHRIS, ref))
    late = hub.press(CHRIS, hub.drawn_button("action.step", {"ref": ref, "step": "undo_cancel"}))
    assert isinstance(late, Reply)
    assert "was cancelled more than 7 days ago" in text(late)
    assert "so it stays cancelled" in text(late)
    assert action(hub, ref).status == "cancelled"


def test_my_actions_reddest_first_and_the_committee_list(hub: Harness) -> None:
    lesson_ref = decided_lesson(hub, ["2", "3"])
    later = add_action(hub, lesson_ref, 2, due="2027-03-01")
    sooner = add_action(hub, lesson_ref, 3, due="2026-12-03")
    hub.clock.set(hub.clock.now().replace(day=29, month=12))  # `sooner` is now overdue
    mine = hub.command(TOM, "/qi mine")
    assert isinstance(mine, Reply)
    lines = [t for t in all_text(mine) if t.startswith(("RED", "AMBER", "GREEN"))]
    assert lines[0].startswith("RED") and lines[1].startswith("GREEN")
    assert mine.summary == "2 open actions, 1 overdue"
    assert sooner in text(mine) and later in text(mine)
    denied = hub.command(ALEX, "/qi actions PSC")
    assert isinstance(denied, Reply) and "can't do that" in text(denied)
    listed = hub.command(HELEN, "/qi actions psc")
    assert isinstance(listed, Reply) and listed.summary == "2 open actions"


def _waiting_for_me(hub: Harness, who: str) -> list[str]:
    """The references under "Waiting for your verification" in /qi mine."""
    mine = hub.command(who, "/qi mine")
    assert isinstance(mine, Reply), mine
    words = " ".join(all_text(mine))
    if "Waiting for your verification" not in words:
        return []
    after = words.split("Waiting for your verification", 1)[1].split("Re-audits you lead", 1)[0]
    return sorted({b.value["ref"] for b in buttons_of(mine) if b.value.get("ref", "") in after})


def test_qi_mine_shows_verifications_that_fall_to_me_as_the_verify_step_resolves_them(
    hub: Harness,
) -> None:
    """No verifier named: the governance lead (Chris). Owned by Chris, the only PSC lead: the
    chair (Helen). Named verifier who has left the directory: the governance lead again."""
    lesson_ref = decided_lesson(hub, ["2", "3", "4"])
    unnamed = add_action(hub, lesson_ref, 2)
    chris_owns = add_action(hub, lesson_ref, 3, owner=CHRIS)
    gone = add_action(hub, lesson_ref, 4, verifier=KIM)
    for ref, owner in ((unnamed, TOM), (chris_owns, CHRIS), (gone, TOM)):
        step(hub, owner, ref, "Accept")
        step(hub, owner, ref, "Submit completion", evidence="Done; see the ward folder.")
    assert _waiting_for_me(hub, KIM) == [gone]
    with hub.app.uow_factory() as uow:
        kim = uow.staff.by_email(KIM)
        assert kim is not None
        kim.active = False
        uow.commit()
    assert _waiting_for_me(hub, CHRIS) == sorted([unnamed, gone])
    assert _waiting_for_me(hub, HELEN) == [chris_owns]
    assert _waiting_for_me(hub, TOM) == []
    # what /qi mine lists is what each of them may verify, and nobody else
    assert "Verify" in labels(card(hub, HELEN, chris_owns))
    assert "Verify" not in labels(card(hub, HELEN, unnamed))
    assert "Verify" in labels(card(hub, CHRIS, gone))
    step(hub, HELEN, chris_owns, "Verify", note="Seen at committee.")
    assert action(hub, chris_owns).status == "verified"
    assert _waiting_for_me(hub, HELEN) == []


def test_the_owner_is_never_named_their_own_audit_lead_or_verifier(hub: Harness) -> None:
    """Lee holds the audit-lead role: as a tier-1 action's owner he cannot be its audit lead,
    and nobody can be named the verifier of their own action."""
    lesson_ref = decided_lesson(hub, ["1"])
    values = {
        "description": "Separate labelled bins.",
        "owner": LEE,
        "due": "2026-12-31",
        "change": "Separate labelled bins",
        "reaudit_date": "2027-03-01",
        "audit_lead": LEE,
    }
    opened = hub.press(HELEN, button(card(hub, HELEN, lesson_ref), "Add tier 1 action"))
    errors = errors_of(hub.fill(HELEN, opened, values))
    assert errors == {"audit_lead": "The audit lead must be someone other than the owner."}
    opened = hub.press(HELEN, button(card(hub, HELEN, lesson_ref), "Add tier 1 action"))
    errors = errors_of(hub.fill(HELEN, opened, {**values, "audit_lead": CHRIS, "verifier": CHRIS}))
    assert "audit_lead" in errors  # Chris is no audit lead
    opened = hub.press(HELEN, button(card(hub, HELEN, lesson_ref), "Add tier 1 action"))
    errors = errors_of(hub.fill(HELEN, opened, {**values, "owner": CHRIS, "verifier": CHRIS}))
    assert errors == {"verifier": "The verifier must be someone other than the owner."}


def test_a_chair_who_owns_the_action_is_not_asked_to_decide_its_extension(hub: Harness) -> None:
    """The chair decides extensions; when the chair asked for one, the governance lead is
    asked instead, and the chair's own card has no Approve or Decline."""
    ref = add_action(hub, decided_lesson(hub, ["2"]), 2, owner=HELEN)
    step(hub, HELEN, ref, "Accept")
    step(hub, HELEN, ref, "Request extension", new_due="2027-02-28", reason="Estates delay.")
    hub.deliver()
    asked = [r for r in hub.platform.to(CHRIS) if "extension requested" in r.summary]
    assert [labels(r) for r in asked] == [["Approve extension…", "Decline extension…"]]
    assert not [r for r in hub.platform.to(HELEN) if "extension requested" in r.summary]
    assert "Approve extension…" not in labels(card(hub, HELEN, ref))
    step(hub, CHRIS, ref, "Approve extension", note="Agreed.")
    assert action(hub, ref).due_date == date(2027, 2, 28)


def test_a_named_verifier_who_became_the_owner_is_not_asked_to_verify(hub: Harness) -> None:
    """Kim was named verifier, then the action became hers (as a reassignment makes it): the
    committee's governance lead is asked instead, and Kim may not verify it."""
    ref = add_action(hub, decided_lesson(hub, ["2"]), 2, verifier=KIM)
    with hub.app.uow_factory() as uow:
        found, kim = uow.actions.by_ref(ref), uow.staff.by_email(KIM)
        assert found is not None and kim is not None
        found.owner_id = kim.id
        uow.commit()
    step(hub, KIM, ref, "Accept")
    step(hub, KIM, ref, "Submit completion", evidence="Huddle slides and attendance log.")
    hub.deliver()
    assert not [r for r in hub.platform.to(KIM) if "please verify" in r.summary]
    assert [r for r in hub.platform.to(CHRIS) if "please verify" in r.summary]
    assert "Verify" not in labels(card(hub, KIM, ref))


def test_the_owners_card_is_redrawn_and_a_stale_verify_is_explained(hub: Harness) -> None:
    """Cards show the truth: the owner's "you own a new action" card is replaced once he
    accepts (his steps now, no Accept); when Chris has verified, Chris's own earlier card
    asking him to verify is replaced without Verify, and Verify pressed on the old copy says
    who verified and when, and changes nothing."""
    lesson_ref = decided_lesson(hub, ["2"])
    ref = add_action(hub, lesson_ref, 2)
    hub.deliver()
    step(hub, TOM, ref, "Accept")
    hub.deliver()
    (handle, accepted), *_ = [(h, r) for h, r in hub.platform.updated if h["to"] == TOM]
    first = hub.platform.sent[int(handle["n"]) - 1]
    assert first.to == TOM and "You own a new tier 2 action" in first.reply.summary
    assert "Accept" not in labels(accepted) and "Submit completion…" in labels(accepted)
    assert "In progress" in text(accepted)

    step(hub, TOM, ref, "Submit completion", evidence="Audit of 20 trolleys: all labelled.")
    hub.deliver()
    (verify_card,) = [r for r in hub.platform.to(CHRIS) if "please verify" in r.summary]
    assert "Verify" in labels(verify_card)
    step(hub, CHRIS, ref, "Verify")
    hub.deliver()
    redrawn = [r for h, r in hub.platform.updated if h["to"] == CHRIS]
    assert redrawn and "Verify" not in labels(redrawn[-1])

    late = hub.press(CHRIS, button(verify_card, "Verify"))
    assert isinstance(late, Reply) and late.replace_original
    assert f"{ref} was verified by you at 09:00" in text(late)
    assert "this card was out of date and has been refreshed" in text(late)
    assert "Verify" not in labels(late)
    entries = [e for e in _audit(hub, ref) if e == "verified"]
    assert entries == ["verified"], "verified once"


def _audit(hub: Harness, ref: str) -> list[str]:
    with hub.app.uow_factory() as uow:
        return [e.action for e in uow.audit.for_entity("action", ref)]
