"""Big Ideas through the real core: their own form with a business case, and a sponsor who is
told and must accept (only the named sponsor, never for their own idea) before the idea goes on.
Slack and Teams drive the same rules in tests/slack/test_big_ideas.py and
tests/teams/test_big_ideas.py."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.exports import write_register
from handlers.forms import FieldError, clean_field
from handlers.guard import PatientDataGuard
from handlers.ideas.forms import BUSINESS_CASE, submit_big_form, submit_form
from messages.view import OpenForm, Reply, all_text
from store.models import Idea, IdeaSubmitter, OutboxMessage
from store.repos.registers import RegisterRepo
from tests.harness import (
    ALEX,
    BIG_CASE,
    HELEN,
    IDEA,
    SAM,
    TOM,
    Harness,
    button,
    buttons_of,
    errors_of,
    ref_in,
    screened,
)
from tests.test_ideas import idea


def state(stored: Idea) -> tuple[str, str, str | None]:
    return stored.kind, stored.status, stored.sponsor_state


def text_of(response: Any) -> str:
    assert isinstance(response, Reply), response
    return " ".join(all_text(response))


def decide(hub: Harness, who: str, ref: str, label: str, **values: str) -> Reply:
    card = hub.command(who, f"/idea status {ref}")
    assert isinstance(card, Reply)
    opened = hub.press(who, button(card, label))
    result = hub.fill(who, opened, {"reason": "Clear benefit for patients on the ward.", **values})
    assert isinstance(result, Reply), result
    return result


def under_review(hub: Harness, **overrides: Any) -> str:
    ref = ref_in(hub.submit_idea(**overrides))
    decide(hub, SAM, ref, "Eligible")
    decide(hub, SAM, ref, "Start review")
    return ref


def sponsor_request(hub: Harness, sponsor: str = HELEN) -> Reply:
    """The latest request the sponsor received, as delivered (its buttons sealed)."""
    hub.deliver()
    asked = [r for r in hub.platform.to(sponsor) if r.summary.startswith("Will you sponsor")]
    assert asked, [r.summary for r in hub.platform.to(sponsor)]
    return asked[-1]


# ------------------------------------------------------------------ the Big Idea form
def test_big_idea_has_its_own_form_and_the_bright_form_makes_no_big_ideas(hub: Harness) -> None:
    big = hub.command(ALEX, "/idea big A day-case lounge")
    bright = hub.command(ALEX, "/idea A day-case lounge")
    assert isinstance(big, OpenForm) and isinstance(bright, OpenForm)
    assert (big.form_id, bright.form_id) == ("idea.submit_big", "idea.submit")
    case = {f.name for f in BUSINESS_CASE} | {"sponsor"}
    assert case <= {f.name for f in submit_big_form(hub.app.config).fields}
    bright = {f.name for f in submit_form(hub.app.config).fields}
    assert not bright & (case | {"kind"})
    ref = ref_in(hub.submit_idea(kind="big"))  # a "kind" sent to the Bright form is ignored
    assert idea(hub, ref).kind == "bright"


def test_field_errors_are_specific_and_nothing_is_stored(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea big")
    values = {**IDEA, **BIG_CASE, "scope": "", "cost_pounds": "about 2k", "success_measures": ""}
    errors = errors_of(hub.fill(ALEX, opened, values))
    assert set(errors) == {"scope", "cost_pounds", "success_measures"}
    assert errors["scope"] == "Please answer: Scope"
    assert "give an amount in pounds, like 12500 or £12,500" in errors["cost_pounds"]
    assert errors["success_measures"] == "Please answer: Measures of success"
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Idea)) == 0


@pytest.mark.parametrize(
    ("typed", "pounds"),
    [("12500", 12500), ("£12,500", 12500), ("£ 12,500.00", 12500), ("2,400.50", 2401), ("0", 0)],
)
def test_a_cost_in_pounds_is_read_however_written(typed: str, pounds: int) -> None:
    field = next(f for f in BUSINESS_CASE if f.name == "cost_pounds")
    assert clean_field(field, typed, PatientDataGuard()) == pounds


@pytest.mark.parametrize("typed", ["about 2k", "£2k", "1,00", "$500", "2000-3000", "£200,000,001"])
def test_a_cost_that_is_not_pounds_says_what_to_type(typed: str) -> None:
    field = next(f for f in BUSINESS_CASE if f.name == "cost_pounds")
    with pytest.raises(FieldError, match="Estimated cost"):
        clean_field(field, typed, PatientDataGuard())


def test_the_patient_data_guard_reads_the_business_case(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea big")
    for name in ("scope", "resources", "cost_detail", "success_measures"):
        values = {**IDEA, **BIG_CASE, name: "Started after the fall of 943 476 5919 last week."}
        errors = errors_of(hub.fill(ALEX, opened, values))
        assert list(errors) == [name], errors
        assert "NHS number" in errors[name]
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Idea)) == 0


def test_nobody_sponsors_their_own_big_idea(hub: Harness) -> None:
    opened = hub.command(ALEX, "/idea big")
    for sponsor, expected in [
        (ALEX, "Alex Morgan shares this idea, so cannot sponsor it"),
        ("nobody@clatterbridge.example", "is not in the staff directory"),
    ]:
        errors = errors_of(hub.fill(ALEX, opened, {**IDEA, **BIG_CASE, "sponsor": sponsor}))
        assert list(errors) == ["sponsor"] and expected in errors["sponsor"]
    shared = {**IDEA, **BIG_CASE, "co_submitters": TOM, "sponsor": TOM}
    assert "shares this idea" in errors_of(hub.fill(ALEX, opened, shared))["sponsor"]
    anonymous = {**IDEA, **BIG_CASE, "mode": "anonymous", "sponsor": ALEX}
    assert "shares this idea" in errors_of(hub.fill(ALEX, opened, anonymous))["sponsor"]


# ------------------------------------------------------------------ the sponsor answers
def test_a_big_idea_waits_for_its_sponsor_who_is_told_and_accepts(hub: Harness) -> None:
    thanks = hub.submit_big_idea()
    ref = ref_in(thanks)
    assert "once Helen Roberts, your sponsor, accepts" in text_of(thanks)
    stored = idea(hub, ref)
    assert state(stored) == ("big", "awaiting_sponsor", "asked")
    assert (stored.cost_pounds, stored.scope) == (2400, BIG_CASE["scope"])
    request = sponsor_request(hub)
    shown = text_of(request)
    for words in ("Scope: Ward 4", "Estimated cost: £2,400: Label printer", "Alex Morgan"):
        assert words in shown
    assert [b.label for b in buttons_of(request)] == ["Accept sponsorship", "Decline…"]
    panel_post = hub.platform.to("#ideas_panel")[-1]
    assert "Helen Roberts (asked, not yet accepted)" in text_of(panel_post)
    assert buttons_of(panel_post) == []  # nothing for the panel to decide yet
    assert text_of(hub.command(SAM, f"/idea status {ref}")).count("Eligible") == 0

    accepted = hub.press(HELEN, button(request, "Accept sponsorship"))
    assert "you are now the sponsor" in text_of(accepted)
    assert "The submitter and the ideas panel have been told." in text_of(accepted)
    assert (idea(hub, ref).status, idea(hub, ref).sponsor_state) == ("submitted", "accepted")
    hub.deliver()
    assert "Helen Roberts accepted to sponsor" in text_of(hub.platform.to(ALEX)[-1])
    told_panel = hub.platform.to("#ideas_panel")[-1]
    assert "now goes to the ideas panel for screening" in text_of(told_panel)
    assert "Eligible" in [b.label for b in buttons_of(told_panel)]
    again = hub.press(HELEN, button(request, "Accept sponsorship"))
    assert "no longer waiting for a sponsor" in text_of(again)


def test_only_the_named_sponsor_may_accept_or_decline(hub: Harness) -> None:
    """Forged presses: the sealed buttons exactly as drawn for Helen, pressed by others."""
    ref = ref_in(hub.submit_big_idea())
    for who in (ALEX, SAM, TOM):
        for action in ("idea.sponsor_accept", "idea.sponsor_decline"):
            forged = hub.press(who, hub.drawn_button(action, {"ref": ref}))
            # Tom may not even see an unscreened idea: answered as for a missing reference
            refusal = (
                f"No idea matches '{ref}'" if who == TOM else f"Only the sponsor named for {ref}"
            )
            assert refusal in text_of(forged), (who, action)
    assert (idea(hub, ref).status, idea(hub, ref).sponsor_state) == ("awaiting_sponsor", "asked")
    card = hub.command(SAM, f"/idea status {ref}")
    assert "Accept sponsorship" not in [b.label for b in buttons_of(card)]
    mine = hub.command(HELEN, f"/idea status {ref}")
    shown = [b.label for b in buttons_of(mine)]
    assert (shown[0], shown[-1]) == ("Accept sponsorship", "Decline…")  # the refusal last


def test_a_declined_direct_big_idea_goes_to_the_panel_as_a_bright_idea(hub: Harness) -> None:
    ref = ref_in(hub.submit_big_idea())
    opened = hub.press(HELEN, button(sponsor_request(hub), "Decline…"))
    assert isinstance(opened, OpenForm) and opened.about.startswith(ref)
    assert "reason" in errors_of(hub.fill(HELEN, opened, {"reason": ""}))
    done = hub.fill(HELEN, opened, {"reason": "No budget this year: try the charity fund."})
    assert "You declined to sponsor" in text_of(done)
    stored = idea(hub, ref)
    assert state(stored) == ("bright", "submitted", "declined")
    assert stored.scope == BIG_CASE["scope"]  # the case is kept
    hub.deliver()
    assert "No budget this year" in text_of(hub.platform.to(ALEX)[-1])
    panel = hub.platform.to("#ideas_panel")[-1]
    assert "declined to sponsor" in text_of(panel) and "No budget this year" in text_of(panel)
    assert "Eligible" in [b.label for b in buttons_of(panel)]


# ------------------------------------------------------------------ promotion
def test_promotion_asks_for_the_case_and_a_sponsor_who_must_accept(hub: Harness) -> None:
    ref = under_review(hub)
    card = hub.command(SAM, f"/idea status {ref}")
    opened = hub.press(SAM, button(card, "Promote to Big Idea"))
    assert isinstance(opened, OpenForm)
    reason = {"reason": "Worth doing across both sites."}
    errors = errors_of(hub.fill(SAM, opened, reason))
    assert {"scope", "resources", "cost_detail", "success_measures", "sponsor"} <= set(errors)
    own = errors_of(hub.fill(SAM, opened, {**reason, **BIG_CASE, "sponsor": ALEX}))
    assert "Alex Morgan shares this idea" in own["sponsor"]
    hub.fill(SAM, opened, {**reason, **BIG_CASE})
    stored = idea(hub, ref)
    assert state(stored) == ("big", "awaiting_sponsor", "asked")
    waiting = hub.command(SAM, f"/idea status {ref}")
    assert "Approve" not in [b.label for b in buttons_of(waiting)]

    hub.press(HELEN, button(sponsor_request(hub), "Accept sponsorship"))
    assert idea(hub, ref).status == "promoted"
    decide(hub, SAM, ref, "Start review")
    card = hub.command(SAM, f"/idea status {ref}")
    assert "Promote to Big Idea" not in [b.label for b in buttons_of(card)]
    forged = hub.press(SAM, hub.drawn_button("idea.decide", {"ref": ref, "to": "promote"}))
    assert "already has a sponsor who accepted" in text_of(forged)
    decide(hub, SAM, ref, "Approve")
    assert idea(hub, ref).status == "approved"


def test_a_declined_promotion_returns_to_the_panel_with_the_reason(hub: Harness) -> None:
    ref = under_review(hub)
    decide(hub, SAM, ref, "Promote to Big Idea", **BIG_CASE)
    opened = hub.press(HELEN, button(sponsor_request(hub), "Decline…"))
    hub.fill(HELEN, opened, {"reason": "I lead a different directorate."})
    stored = idea(hub, ref)
    assert state(stored) == ("bright", "under_review", "declined")
    hub.deliver()
    assert "I lead a different directorate" in text_of(hub.platform.to(ALEX)[-1])
    panel = hub.platform.to("#ideas_panel")[-1]
    assert "The sponsor declined: I lead a different directorate." in text_of(panel)
    again = hub.press(SAM, button(panel, "Promote to Big Idea"))
    assert isinstance(again, OpenForm)
    assert again.values["scope"] == BIG_CASE["scope"] and again.values["cost_pounds"] == "2400"
    assert "sponsor" not in again.values  # a new sponsor is asked for


def test_a_big_idea_is_approved_only_with_an_accepted_sponsor(hub: Harness) -> None:
    """A Big Idea from before sponsors had to accept (none recorded) cannot be approved; the
    panel can promote it, which asks a sponsor."""
    ref = under_review(hub)
    with hub.app.uow_factory() as uow:
        stored = uow.ideas.by_ref(ref)
        assert stored is not None
        stored.kind = "big"
        uow.commit()
    card = hub.command(SAM, f"/idea status {ref}")
    opened = hub.press(SAM, button(card, "Approve"))
    refused = hub.fill(SAM, opened, {"reason": "Strong case, funded this year."})
    assert "without a sponsor who has accepted" in text_of(refused)
    assert idea(hub, ref).status == "under_review"
    assert "Promote to Big Idea" in [b.label for b in buttons_of(card)]


# ------------------------------------------------------------------ anonymity and withdrawal
def test_an_anonymous_big_idea_names_nobody_to_the_sponsor_or_the_panel(hub: Harness) -> None:
    thanks = hub.submit_big_idea(mode="anonymous")
    ref = ref_in(thanks)
    request = sponsor_request(hub)
    assert "Anonymous" in text_of(request) and "Alex" not in text_of(request)
    accepted = hub.press(HELEN, button(request, "Accept sponsorship"))
    assert "the submitter is anonymous" in text_of(accepted)
    hub.deliver()
    assert all("Alex" not in text_of(r) for r in hub.platform.to("#ideas_panel"))
    assert [r for r in hub.platform.to(ALEX) if ref in text_of(r)] == []
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(IdeaSubmitter)) == 0
        payloads = " ".join(str(m.payload) for m in uow.session.scalars(select(OutboxMessage)))
        assert "Alex" not in payloads and ALEX not in payloads


def test_withdrawing_tells_the_sponsor_and_their_buttons_stop(hub: Harness) -> None:
    ref = ref_in(hub.submit_big_idea())
    request = sponsor_request(hub)
    opened = hub.command(ALEX, f"/idea withdraw {ref}")
    hub.fill(ALEX, opened, {"reason": "Found a simpler way."})
    hub.deliver()
    assert any("was withdrawn" in text_of(r) for r in hub.platform.to(HELEN))
    # Cards show the truth: the sponsor's request is redrawn in place, without its buttons.
    redrawn = [r for h, r in hub.platform.updated if h["to"] == HELEN]
    assert redrawn and buttons_of(redrawn[-1]) == []
    assert "Withdrawn" in text_of(redrawn[-1])
    late = hub.press(HELEN, button(request, "Accept sponsorship"))
    assert "no longer waiting for a sponsor" in text_of(late)
    assert idea(hub, ref).status == "withdrawn"


# ------------------------------------------------------------------ views
def test_views_show_the_case_and_where_the_sponsor_stands(hub: Harness) -> None:
    ref = ref_in(hub.submit_big_idea(benefits=["safety"]))
    waiting = hub.command(HELEN, "/qi mine")
    assert "Big Ideas asking you to sponsor them" in text_of(waiting) and ref in text_of(waiting)
    mine = text_of(hub.command(ALEX, "/idea mine"))
    assert "Big Idea · Awaiting sponsor: asked to accept" in mine
    assert ref in text_of(hub.command(SAM, "/idea list"))
    hub.press(HELEN, button(sponsor_request(hub), "Accept sponsorship"))
    assert "asking you to sponsor" not in text_of(hub.command(HELEN, "/qi mine"))
    card = text_of(hub.command(TOM, f"/idea status {screened(hub, ref)}"))
    for words in (
        "Sponsor Helen Roberts (accepted)",
        "Resources needed: Pharmacy time",
        "Measures of success: No flush mix-ups",
    ):
        assert words in card
    assert "sponsor accepted" in text_of(hub.command(ALEX, "/idea mine"))
    digest = text_of(hub.command(HELEN, "/qi digest PSC"))
    assert ref in digest and "sponsor accepted" in digest
    out = io.StringIO()
    with hub.app.uow_factory() as uow:
        write_register("ideas", RegisterRepo(uow.session), out)
    row = next(r for r in csv.DictReader(io.StringIO(out.getvalue())) if r["ref"] == ref)
    assert (row["sponsor"], row["sponsor_state"], row["cost_pounds"]) == (
        "Helen Roberts",
        "accepted",
        "2400",
    )
    assert row["measures_of_success"] == BIG_CASE["success_measures"]


def test_the_panel_is_chased_when_a_sponsor_does_not_answer(hub: Harness) -> None:
    ref = ref_in(hub.submit_big_idea())
    hub.deliver()
    hub.clock.advance(timedelta(days=50))
    hub.tick()
    hub.deliver()
    chased = [r for r in hub.platform.to("#ideas_panel") if "has waited" in r.summary]
    assert any(ref in r.summary for r in chased)
