"""Every modal filled in as a person would, submitted, and followed to the record it stores and the
messages it sends, reaching each later form through the buttons actually rendered in Slack."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select

from messages.view import CONFIRM_NOT_PATIENT
from store.models import Action, Idea, InboundRequest, Lesson, OutboxMessage
from tests.harness import CHRIS as CHRIS_EMAIL
from tests.harness import LEE as LEE_EMAIL
from tests.harness import LESSON, Harness
from tests.harness import RUTH as RUTH_EMAIL
from tests.harness import TOM as TOM_EMAIL
from tests.lessons_flow import TIER_VALUES, add_action, decided_lesson
from tests.slack.conftest import SlackHarness
from tests.slack.kit import (
    ALEX,
    CHRIS,
    HELEN,
    IDEA,
    JO,
    LEE,
    SAM,
    TOM,
    answer_to,
    blocks_of,
    calls,
    channel_post,
    count,
    errors_of,
    flat,
    form_from,
    labels,
    mark,
    opened,
    posts_to,
    press,
    reply_to,
    settle,
    submit,
    submit_idea,
    submit_lesson,
    ts_of,
    validate_message,
    validate_view,
    wait_calls,
)


def idea(slack: SlackHarness, ref: str) -> Idea:
    with slack.hub.uow_factory() as uow:
        found = uow.ideas.by_ref(ref)
        assert found is not None
        _ = [s.staff_id for s in found.submitters]
        uow.session.expunge_all()
        return found


def updated(slack: SlackHarness, since: int, channel: str) -> dict[str, Any]:
    """The chat.update of a message in `channel` since `since`, validated."""
    update = wait_calls(slack, "chat.update", since, lambda p: p["channel"] == channel)[-1]
    validate_message(update)
    return update


# ------------------------------------------------------------------ ideas
def test_an_idea_with_every_field_filled_is_stored_and_sent(slack: SlackHarness) -> None:
    since = mark(slack)
    ref = submit_idea(
        slack,
        srg="breast",
        co_submitters=f"{TOM_EMAIL}, {CHRIS_EMAIL}",
        credit=True,
    )
    stored = idea(slack, ref)
    assert (stored.kind, stored.title, stored.area, stored.srg, stored.mode) == (
        "bright",
        IDEA["title"],
        "ward-4",
        "breast",
        "named",
    )
    assert (stored.problem, stored.proposed_change, stored.benefit_detail) == (
        IDEA["problem"],
        IDEA["proposed_change"],
        IDEA["benefit_detail"],
    )
    assert sorted(stored.expected_benefits) == ["patients", "safety"]
    assert stored.credit_consent is True
    assert len(stored.submitters) == 3
    thanks = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == ALEX)
    assert len(thanks) == 1 and f"Thank you: {ref} received" in flat(thanks[0])
    post = channel_post(slack, "C0IDEAS", ref)
    assert post["text"].startswith(f"New bright idea {ref}")
    assert labels(blocks_of(post)) == ["Eligible", "Duplicate…", "Redirect…", "Not eligible"]


def test_the_panel_screens_reviews_and_approves_through_the_channel_post(
    slack: SlackHarness,
) -> None:
    ref = submit_idea(slack)
    message = channel_post(slack, "C0IDEAS", ref)
    ts = ts_of(slack, message)
    steps = [
        ("Eligible", {"reason": "Clear safety benefit and cheap to try."}, "eligible"),
        ("Start review", {"reason": "On the agenda for the next panel."}, "under_review"),
        ("Approve", {"reason": "Pharmacy will supply the labels."}, "approved"),
        ("Start implementation", {"reason": "Labels ordered for ward 4."}, "in_implementation"),
    ]
    for label, answers, status in steps:
        since = press(slack, SAM, message, label, channel="C0IDEAS", ts=ts)
        view = opened(slack, since)
        assert view["callback_id"].startswith("idea.decide.")
        assert '"ch":"C0IDEAS"' in view["private_metadata"]
        assert f'"ts":"{ts}"' in view["private_metadata"]
        response = submit(slack, SAM, view, answers)
        assert response.content == b""  # accepted: the modal closes
        message = updated(slack, since, "C0IDEAS")
        assert message["ts"] == ts  # the channel post itself, updated in place
        assert idea(slack, ref).status == status
        assert calls(slack, "response_url", since) == []
    assert labels(blocks_of(message)) == ["Mark implemented"]
    told = wait_calls(slack, "chat.postMessage", 0, lambda p: p["channel"] == ALEX, count=2)
    assert "has been screened and is eligible" in flat(told[1])


def test_duplicate_and_redirect_forms_take_a_reference_and_a_choice(slack: SlackHarness) -> None:
    original = submit_idea(slack)
    copy = submit_idea(slack, TOM, title="Colour the flush labels")
    elsewhere = submit_idea(slack, TOM, title="A new rota system")
    for ref, label, answers, status in (
        (
            copy,
            "Duplicate",
            {"duplicate_of": original.lower(), "reason": "Same idea."},
            "duplicate",
        ),
        (elsewhere, "Redirect", {"redirect_to": "hr", "reason": "Rotas are for HR."}, "redirected"),
    ):
        card = reply_to(slack, JO, f"/idea status {ref}")  # the panel's own (private) view
        since = press(slack, JO, card, label, ephemeral=True)
        view = opened(slack, since)
        assert "ts" not in json.loads(view["private_metadata"])  # no channel message to update
        submit(slack, JO, view, answers)
        told = answer_to(slack, JO, since, f"{ref} ")
        assert f"{ref} {status}" in told["text"]
        assert idea(slack, ref).status == status
    assert idea(slack, copy).duplicate_of_id == idea(slack, original).id
    assert idea(slack, elsewhere).redirected_to == "hr"


# ------------------------------------------------------------------ field errors
NHS_NUMBERS = ("943 476 5919", "999 000 1006", "9990001014")


def test_field_errors_come_back_inline_and_nothing_is_stored(slack: SlackHarness) -> None:
    view = form_from(slack, ALEX, "/idea")
    since = mark(slack)
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"title": ""}, "title", "Please answer: Title"),
        ({"title": "x" * 151}, "title", "limit is 150"),
        ({"problem": ""}, "problem", "Please answer: What is the problem?"),
        ({"mode": None}, "mode", "Please choose: Submit as"),
    ]
    cases += [
        ({"problem": f"Patient {number} had the wrong flush"}, "problem", "NHS number")
        for number in NHS_NUMBERS
    ]
    cases.append(({"title": f"NHS {NHS_NUMBERS[0]}"}, "title", "NHS number"))
    for overrides, block_id, words in cases:
        errors = errors_of(submit(slack, ALEX, view, {**IDEA, **overrides}))
        assert list(errors) == [block_id], overrides
        assert words in errors[block_id], errors
        assert block_id in {b.get("block_id") for b in view["blocks"]}  # a real input block
        for number in NHS_NUMBERS:
            assert number not in errors[block_id]  # never echoed back
    settle(0.2)
    assert (count(slack, Idea), count(slack, OutboxMessage)) == (0, 0)
    assert count(slack, InboundRequest) == 1  # the slash command only: no submission is "done"
    assert calls(slack, "chat.postMessage", since) == []
    assert calls(slack, "chat.update", since) == []
    ok = submit(slack, ALEX, view, IDEA)  # the same modal, corrected, goes through
    assert ok.content == b""
    assert count(slack, Idea) == 1

    # The lesson form: patient data in any free-text field, and a rule between two fields.
    lesson = form_from(slack, ALEX, "/lesson")
    for field, text in (
        ("what_happened", "Patient 943 476 5919 fell"),
        ("what_learned", "Mrs Jane Doe, 4 July 1948 was at risk"),
        ("title", "Patient CCC1234567 incident"),
    ):
        errors = errors_of(submit(slack, ALEX, lesson, {**LESSON, field: text}))
        assert list(errors) == [field]
    errors = errors_of(submit(slack, ALEX, lesson, {**LESSON, "source": "good_practice"}))
    assert "Choose the domain" in errors["committee"]
    assert count(slack, Lesson) == 0
    since = mark(slack)
    assert submit(slack, ALEX, lesson, {**LESSON, "source": "complaint"}).content == b""
    post = wait_calls(slack, "chat.postMessage", since, lambda p: p["channel"] == "C0PEC")[-1]
    assert "LL-2026-0001" in flat(post)  # the Patient Experience Committee's channel
    assert posts_to(slack, "C0PSC") == []


def test_a_name_redraws_the_modal_with_the_confirmation_then_stores(slack: SlackHarness) -> None:
    """Slack shows errors only under inputs the modal has: the first warning redraws it
    (response_action "update") with the text kept, the warning under the field and the
    confirmation checkbox; after that, errors land inline as usual."""
    confirm = CONFIRM_NOT_PATIENT.name
    named = {**LESSON, "what_happened": "Mrs Jane Smith in bed 4 on Ward 5, aged 67, fell"}
    view = form_from(slack, ALEX, "/lesson")
    body = submit(slack, ALEX, view, named).json()
    assert body["response_action"] == "update", body
    redrawn = body["view"]
    validate_view(redrawn)
    assert redrawn["private_metadata"] == view["private_metadata"]
    by_id = {b.get("block_id"): n for n, b in enumerate(redrawn["blocks"])}
    field = redrawn["blocks"][by_id["what_happened"]]
    assert field["element"]["initial_value"] == named["what_happened"]  # the draft is kept
    warning = flat(redrawn["blocks"][by_id["what_happened"] + 1])
    assert "seems to name a person" in warning and "Smith" not in warning
    assert redrawn["blocks"][by_id[confirm]]["element"]["type"] == "checkboxes"
    assert count(slack, Lesson) == 0

    errors = errors_of(submit(slack, ALEX, redrawn, named))  # not ticked: asked inline
    assert set(errors) == {"what_happened", confirm}
    assert count(slack, Lesson) == 0
    assert submit(slack, ALEX, redrawn, {**named, confirm: True}).content == b""
    with slack.hub.uow_factory() as uow:
        assert uow.session.scalars(select(Lesson.what_happened)).one() == named["what_happened"]


# ------------------------------------------------------------------ lessons and actions
def test_a_lesson_is_triaged_decided_and_given_an_action_for_each_tier(
    slack: SlackHarness,
) -> None:
    ref = submit_lesson(slack)
    message = channel_post(slack, "C0PSC", ref)
    ts = ts_of(slack, message)
    assert labels(blocks_of(message))[0] == "Take to committee"

    def step(who: str, label: str, answers: dict[str, Any]) -> dict[str, Any]:
        since = press(slack, who, message, label, channel="C0PSC", ts=ts)
        view = opened(slack, since)
        response = submit(slack, who, view, answers)
        assert response.content == b"", response.text
        return updated(slack, since, "C0PSC")

    checked = {k: LESSON[k] for k in ("title", "what_happened", "what_learned")}
    message = step(
        CHRIS, "Take to committee", {"deidentified": True, "note": "For Monday.", **checked}
    )
    rationale = "Proportionate to the risk of harm."
    message = step(
        HELEN, "Decide tiers", {"tiers": ["1", "2", "3", "4", "5"], "rationale": rationale}
    )
    assert [f"Add tier {t} action…" for t in range(1, 6)] == [
        label for label in labels(blocks_of(message)) if label.startswith("Add tier")
    ]
    for tier in range(1, 6):
        owner = RUTH_EMAIL if tier == 5 else TOM_EMAIL
        answers = {
            "description": f"Tier {tier} response to the flush mix-ups.",
            "owner": owner,
            "due": "2026-12-31",
            "measure": "Monthly trolley check 100%",
            "verifier": "",
            **TIER_VALUES[tier],
        }
        message = step(HELEN, f"Add tier {tier} action", answers)
        assert f"ACT-2026-000{tier} created" in flat(message)
    with slack.hub.uow_factory() as uow:
        lesson = uow.lessons.by_ref(ref)
        assert lesson is not None
        assert (lesson.status, lesson.tiers, lesson.rationale) == (
            "decided",
            [1, 2, 3, 4, 5],
            rationale,
        )
        actions = uow.session.scalars(select(Action).order_by(Action.tier)).all()
        assert [a.tier for a in actions] == [1, 2, 3, 4, 5]
        assert actions[0].audit_lead_id == uow.staff.by_email(LEE_EMAIL).id  # type: ignore[union-attr]
        assert actions[1].audiences == ["nursing"]
        assert actions[2].process == "medicines-storage"
        assert actions[3].cognitive_aid == TIER_VALUES[4]["cognitive_aid"]
        assert actions[4].owner_id == uow.staff.by_email(RUTH_EMAIL).id  # type: ignore[union-attr]
    exec_post = channel_post(slack, "C0EXEC", ref)  # tier 5 convenes the executive on call
    assert exec_post["channel"] == "C0EXEC"


def test_an_action_is_accepted_completed_verified_and_reaudited(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    act = add_action(hub, decided_lesson(hub, ["1"]), 1)
    since = mark(slack)
    reply_to(slack, TOM, "/qi mine")  # any request delivers what the outbox holds
    dm = wait_calls(
        slack, "chat.postMessage", since, lambda p: p["channel"] == TOM and act in flat(p)
    )[-1]
    validate_message(dm)
    assert labels(blocks_of(dm)) == ["Accept", "Decline…"]
    dm_ts = ts_of(slack, dm)

    # Accept needs no form: the DM itself is replaced through the response_url.
    since = press(slack, TOM, dm, "Accept", channel=TOM, ts=dm_ts)
    replaced = wait_calls(slack, "response_url", since)[-1]
    validate_message(replaced)
    assert replaced["replace_original"] is True
    assert f"You have accepted {act}" in flat(replaced)

    # Submit completion… from the replaced DM: the form's answer updates that DM.
    since = press(slack, TOM, replaced, "Submit completion", channel=TOM, ts=dm_ts)
    view = opened(slack, since)
    assert (
        submit(slack, TOM, view, {"evidence": "Separate bins fitted on all four trolleys."}).content
        == b""
    )
    done = updated(slack, since, TOM)
    assert done["ts"] == dm_ts and "submitted for verification" in flat(done)

    # The verifier (the governance lead) opens it and verifies.
    card = reply_to(slack, CHRIS, f"/qi show {act}")
    since = press(slack, CHRIS, card, "Verify", ephemeral=True)
    submit(slack, CHRIS, opened(slack, since), {"note": "Seen the bins."})
    answer_to(slack, CHRIS, since, f"{act} verified.")

    # The audit lead records the re-audit.
    card = reply_to(slack, LEE, f"/qi show {act}")
    since = press(slack, LEE, card, "Record re-audit", ephemeral=True)
    view = opened(slack, since)
    submit(slack, LEE, view, {"result": "pass", "notes": "No mix-ups in three months of checks."})
    answer_to(slack, LEE, since, "Re-audit passed")
    with slack.hub.uow_factory() as uow:
        action = uow.actions.by_ref(act)
        assert action is not None
        assert (action.status, action.reaudit_result) == ("closed", "pass")
        assert action.evidence == "Separate bins fitted on all four trolleys."


def test_an_extension_is_requested_and_approved_through_buttons(slack: SlackHarness) -> None:
    hub = Harness(slack.hub, slack.hub.clock)  # type: ignore[arg-type]
    act = add_action(hub, decided_lesson(hub, ["3"]), 3)
    card = reply_to(slack, TOM, f"/qi show {act}")
    since = press(slack, TOM, card, "Request extension", ephemeral=True)
    view = opened(slack, since)
    early = errors_of(submit(slack, TOM, view, {"new_due": "2026-12-01", "reason": "Estates."}))
    assert "after the current due date" in early["new_due"]
    submit(slack, TOM, view, {"new_due": "2027-02-28", "reason": "Estates delay."})
    answer_to(slack, TOM, since, "Extension to 28 Feb 2027 requested")
    card = reply_to(slack, HELEN, f"/qi show {act}")
    assert "Approve extension…" in labels(blocks_of(card))
    since = press(slack, HELEN, card, "Approve extension", ephemeral=True)
    submit(slack, HELEN, opened(slack, since), {"note": "Agreed at committee."})
    answer_to(slack, HELEN, since, f"Extension for {act} approved")
    with slack.hub.uow_factory() as uow:
        action = uow.actions.by_ref(act)
        assert action is not None
        assert (action.due_date, action.extension_count) == (date(2027, 2, 28), 1)
