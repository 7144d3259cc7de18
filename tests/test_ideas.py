"""Ideas end to end through the real core: dispatch, permissions, store, outbox, sender."""

from __future__ import annotations

from sqlalchemy import select, text

from handlers.submission import receipt_hash
from messages.view import FormErrors, Notice, OpenForm, Reply, all_text
from store.models import AuditEntry, Idea, IdeaSubmitter, IdeaSupport, OutboxMessage, Staff
from tests.harness import (
    ALEX,
    JO,
    SAM,
    TOM,
    Harness,
    button,
    buttons_of,
    errors_of,
    ref_in,
    screened,
)


def idea(hub: Harness, ref: str) -> Idea:
    with hub.app.uow_factory() as uow:
        found = uow.ideas.by_ref(ref)
        assert found is not None
        uow.session.expunge(found)
        return found


def notices(reply: Reply) -> str:
    return " ".join(b.text for b in reply.blocks if isinstance(b, Notice))


def decide(hub: Harness, who: str, ref: str, label: str, **values: str) -> Reply:
    """Open the idea as `who`, press the decision button, fill the form, return the result."""
    card = hub.command(who, f"/idea status {ref}")
    assert isinstance(card, Reply)
    opened = hub.press(who, button(card, label))
    result = hub.fill(who, opened, {"reason": "Clear benefit for patients on the ward.", **values})
    assert isinstance(result, Reply), result
    return result


def test_bare_command_opens_the_form_prefilled_with_the_text(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea Quieter night rounds")
    assert isinstance(opened, OpenForm)
    assert opened.form_id == "idea.submit"
    assert opened.values["title"] == "Quieter night rounds"
    big = hub.command(ALEX, "/idea big New day unit")
    assert isinstance(big, OpenForm)
    assert big.form_id == "idea.submit_big"
    assert big.values == {"mode": "named", "title": "New day unit"}


def test_named_submission_gets_a_reference_and_reaches_the_panel(hub: Harness) -> None:
    first = ref_in(hub.submit_idea())
    second = ref_in(hub.submit_idea(title="Second one"))
    assert (first, second) == ("IDEA-2026-0001", "IDEA-2026-0002")
    hub.deliver()
    post = hub.platform.to("#ideas_panel")[0]
    assert "Alex Morgan" in all_text(post)
    assert [b.label for b in buttons_of(post)] == [
        "Eligible",
        "Duplicate…",
        "Redirect…",
        "Not eligible",
    ]
    stored = idea(hub, first)
    assert (stored.status, stored.kind, stored.mode) == ("submitted", "bright", "named")


def test_required_fields_and_title_limit_come_back_as_field_errors(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea")
    errors = errors_of(
        hub.fill(ALEX, opened, {"title": "x" * 151, "problem": "", "proposed_change": " "})
    )
    assert set(errors) == {"title", "problem", "proposed_change"}
    assert "limit is 150" in errors["title"]
    assert errors["problem"].startswith("Please answer: ")


def test_patient_data_is_refused_naming_the_field_and_nothing_is_stored(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea")
    response = hub.fill(
        ALEX,
        opened,
        {
            "title": "Flush labels",
            "problem": "Patient 999 000 0018 had the wrong flush",
            "proposed_change": "Labels",
            "mode": "named",
        },
    )
    message = errors_of(response)["problem"]
    assert "What is the problem?" in message and "NHS number" in message
    assert "999" not in message
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(Idea)) is None
        assert uow.session.scalar(select(AuditEntry)) is None


def test_anonymous_idea_stores_no_identity_anywhere(hub: Harness) -> None:
    reply = hub.submit_idea(mode="anonymous", credit="yes")
    ref = ref_in(reply)
    receipt = next(t for t in all_text(reply) if "receipt code is" in t).rsplit(" ", 1)[1]
    hub.deliver()
    with hub.app.uow_factory() as uow:
        alex = uow.staff.by_email(ALEX)
        assert alex is not None
        stored = uow.ideas.by_ref(ref)
        assert stored is not None
        assert stored.submitters == [] and stored.credit_consent is False
        assert stored.receipt_hash == receipt_hash(receipt) and receipt not in str(
            stored.receipt_hash
        )
        assert uow.session.scalars(select(IdeaSubmitter)).all() == []
        audit = uow.session.scalars(select(AuditEntry)).all()
        assert [(a.actor_id, a.actor_label) for a in audit] == [(None, "anonymous")]
        assert all(m.recipient_id != alex.id for m in uow.session.scalars(select(OutboxMessage)))
        # Nothing in any row of any table besides the staff directory mentions Alex.
        for table in (
            "idea",
            "idea_submitter",
            "idea_support",
            "audit_log",
            "outbox",
            "reminder_sent",
            "ref_counter",
        ):
            rows = uow.session.execute(text(f"SELECT * FROM {table}")).all()
            dump = repr(rows)
            assert ALEX not in dump and "Alex Morgan" not in dump, table
    assert "Anonymous" in all_text(hub.platform.to("#ideas_panel")[0])
    followed = hub.command(TOM, f"/idea status {receipt}")
    assert isinstance(followed, Reply) and ref in followed.summary


def test_confidential_name_is_shown_to_the_panel_but_not_to_other_staff(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(mode="confidential"))
    hub.deliver()
    assert "Alex Morgan" not in all_text(hub.platform.to("#ideas_panel")[0])
    panel_view = hub.command(SAM, f"/idea status {ref}")
    staff_view = hub.command(TOM, f"/idea status {ref}")
    assert isinstance(panel_view, Reply) and isinstance(staff_view, Reply)
    assert any("Alex Morgan (confidential)" in t for t in all_text(panel_view))
    assert not any("Alex Morgan" in t for t in all_text(staff_view))


def test_the_whole_lifecycle_notifies_the_submitter_with_each_reason(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())
    steps = [
        ("Eligible", "eligible"),
        ("Start review", "under_review"),
        ("Approve", "approved"),
        ("Start implementation", "in_implementation"),
        ("Mark implemented", "implemented"),
        ("Recognise", "recognised"),
    ]
    for label, status in steps:
        result = decide(hub, SAM, ref, label, reason=f"Reason for {label.lower()} step.")
        assert idea(hub, ref).status == status, label
        assert "The submitter has been told." in notices(result)
    hub.deliver()
    received = hub.platform.to(ALEX)
    assert len(received) == len(steps)
    for reply, (label, _) in zip(received, steps, strict=True):
        assert f"Reason: Reason for {label.lower()} step." in all_text(reply)
    with hub.app.uow_factory() as uow:
        trail = [e.action for e in uow.audit.for_entity("idea", ref)]
    assert trail == [
        "submitted",
        "eligible",
        "review",
        "approve",
        "start",
        "implemented",
        "recognise",
    ]


def test_a_decision_without_a_reason_is_refused_and_changes_nothing(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())
    card = hub.command(SAM, f"/idea status {ref}")
    assert isinstance(card, Reply)
    opened = hub.press(SAM, button(card, "Eligible"))
    assert "reason" in errors_of(hub.fill(SAM, opened, {"reason": ""}))
    assert "at least 10" in errors_of(hub.fill(SAM, opened, {"reason": "ok"}))["reason"]
    assert idea(hub, ref).status == "submitted"


def test_only_the_panel_may_decide_and_the_role_is_checked_on_every_press(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())
    panel_card = hub.command(SAM, f"/idea status {ref}")
    assert isinstance(panel_card, Reply)
    eligible = button(panel_card, "Eligible")
    refused = hub.press(TOM, eligible)
    assert isinstance(refused, Reply) and "can't do that" in notices(refused)
    form = hub.submit(
        TOM,
        "idea.decide.eligible",
        {"reason": "I decide this myself."},
        {"ref": ref, "to": "eligible"},
    )
    assert isinstance(form, Reply) and "can't do that" in notices(form)
    staff_card = hub.command(TOM, f"/idea status {ref}")
    assert isinstance(staff_card, Reply)
    assert "Eligible" not in [b.label for b in buttons_of(staff_card)]
    assert idea(hub, ref).status == "submitted"


def test_a_panel_member_cannot_decide_their_own_idea(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(who=SAM))
    opened = hub.press(SAM, button(_card(hub, JO, ref), "Eligible"))
    assert isinstance(opened, Reply) and "another panel member" in notices(opened)
    decide(hub, JO, ref, "Eligible")
    assert idea(hub, ref).status == "eligible"


def _card(hub: Harness, who: str, ref: str) -> Reply:
    card = hub.command(who, f"/idea status {ref}")
    assert isinstance(card, Reply)
    return card


def test_a_stale_button_says_the_idea_has_moved_on(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea())
    old_card = _card(hub, SAM, ref)
    decide(hub, JO, ref, "Not eligible")
    late = hub.press(SAM, button(old_card, "Eligible"))
    assert isinstance(late, Reply) and late.replace_original
    assert f"{ref} moved to 'not eligible' by Jo Williams at" in notices(late)
    assert "this card was out of date and has been refreshed" in notices(late)
    assert "Eligible" not in [b.label for b in buttons_of(late)]
    assert idea(hub, ref).status == "not_eligible"


def test_duplicate_needs_an_existing_other_idea_and_points_to_it(hub: Harness) -> None:
    original = ref_in(hub.submit_idea())
    copy = ref_in(hub.submit_idea(who=TOM, title="Colour flushes"))
    card = _card(hub, SAM, copy)
    opened = hub.press(SAM, button(card, "Duplicate"))
    reason = {"reason": "Same proposal as an earlier idea."}
    assert "duplicate_of" in errors_of(hub.fill(SAM, opened, {**reason, "duplicate_of": copy}))
    errors = errors_of(hub.fill(SAM, opened, {**reason, "duplicate_of": "IDEA-2026-0999"}))
    assert "existing idea" in errors["duplicate_of"]
    hub.fill(SAM, opened, {**reason, "duplicate_of": original.lower()})
    hub.deliver()
    told = all_text(hub.platform.to(TOM)[0])
    assert any(f"/idea support {original}" in t for t in told)


def test_redirect_tells_the_submitter_where_to_go(hub: Harness) -> None:
    ref = ref_in(hub.submit_idea(title="Broken printer on ward 4"))
    decide(hub, SAM, ref, "Redirect", redirect_to="it", reason="This is an IT fault, not an idea.")
    hub.deliver()
    told = " ".join(all_text(hub.platform.to(ALEX)[0]))
    assert "Digital services (IT)" in told and "IT service desk" in told
    assert idea(hub, ref).redirected_to == "it"


# A Big Idea's sponsor, promotion and approval: tests/test_big_ideas.py


def test_support_is_one_per_person_and_never_for_your_own(hub: Harness) -> None:
    ref = screened(hub, ref_in(hub.submit_idea()))  # supported once the panel has screened it
    first = hub.command(TOM, f"/idea support {ref}")
    again = hub.command(TOM, f"/idea support {ref}")
    own = hub.command(ALEX, f"/idea support {ref}")
    assert isinstance(first, Reply) and "1 supporter." in notices(first)
    assert isinstance(again, Reply) and "already support" in notices(again)
    assert isinstance(own, Reply) and "your own idea" in notices(own)
    card = hub.press(SAM, button(_card(hub, SAM, ref), "Support this idea"))
    assert isinstance(card, Reply) and "2 supporters" in notices(card)
    with hub.app.uow_factory() as uow:
        assert len(uow.session.scalars(select(IdeaSupport)).all()) == 2
        assert uow.ideas.by_ref(ref) is not None and uow.ideas.by_ref(ref).support_count == 2  # type: ignore[union-attr]


def test_the_submitter_withdraws_and_the_panel_is_told(hub: Harness) -> None:
    ref = screened(hub, ref_in(hub.submit_idea()))  # so that Tom may see it, but not withdraw it
    refused = hub.command(TOM, f"/idea withdraw {ref}")
    assert isinstance(refused, Reply) and "Only the submitter" in notices(refused)
    opened = hub.command(ALEX, f"/idea withdraw {ref}")
    result = hub.fill(ALEX, opened, {"reason": ""})
    assert isinstance(result, Reply)
    assert idea(hub, ref).status == "withdrawn"
    hub.deliver()
    assert any("withdrawn by its submitter" in r.summary for r in hub.platform.to("#ideas_panel"))
    closed = hub.command(ALEX, f"/idea withdraw {ref}")
    assert isinstance(closed, Reply) and "already closed" in notices(closed)


def test_an_anonymous_submitter_withdraws_with_the_receipt_alone(hub: Harness) -> None:
    reply = hub.submit_idea(mode="anonymous")
    ref = ref_in(reply)
    receipt = next(t for t in all_text(reply) if "receipt code is" in t).rsplit(" ", 1)[1]
    wrong = hub.command(ALEX, "/idea withdraw R-22222-22222")
    assert isinstance(wrong, Reply) and "No idea matches" in notices(wrong)
    opened = hub.command(ALEX, f"/idea withdraw {receipt.lower()}")
    hub.fill(ALEX, opened, {"reason": "Solved another way."})
    assert idea(hub, ref).status == "withdrawn"
    with hub.app.uow_factory() as uow:
        actors = [(e.action, e.actor_id) for e in uow.audit.for_entity("idea", ref)]
    assert actors == [("submitted", None), ("withdraw", None)]


def test_mine_lists_my_ideas_and_list_pages_the_panel_queue(hub: Harness) -> None:
    for n in range(12):
        hub.submit_idea(title=f"Idea number {n}")
    hub.submit_idea(who=TOM, title="Tom's idea")
    mine = hub.command(TOM, "/idea mine")
    assert isinstance(mine, Reply)
    assert [b.label for b in buttons_of(mine)] == ["Open"]
    denied = hub.command(TOM, "/idea list")
    assert isinstance(denied, Reply) and "ideas panel" in notices(denied)
    page1 = hub.command(SAM, "/idea list")
    assert isinstance(page1, Reply)
    assert any("Page 1 of 2 · 13 in all" in t for t in all_text(page1))
    page2 = hub.press(SAM, button(page1, "Next page"))
    assert isinstance(page2, Reply) and page2.replace_original
    assert sum(b.label == "Open" for b in buttons_of(page2)) == 3
    unknown = hub.command(SAM, "/idea list nonsense")
    assert isinstance(unknown, Reply) and "Unknown status" in notices(unknown)


def test_someone_not_in_the_directory_is_told_politely_and_nothing_is_stored(
    hub: Harness,
) -> None:
    reply = hub.command("visitor@elsewhere.example", "/idea mine")
    assert isinstance(reply, Reply)
    assert "can't find you" in " ".join(all_text(reply))
    opened = hub.submit("visitor@elsewhere.example", "idea.submit", {"title": "x"})
    assert isinstance(opened, Reply) and not isinstance(opened, FormErrors)
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(Idea)) is None
        assert uow.staff.by_email("visitor@elsewhere.example") is None
        assert uow.session.scalar(select(Staff).where(Staff.email.like("visitor%"))) is None
