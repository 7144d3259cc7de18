"""Lessons through the real core: submission, triage, the committee decision and tier 5."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from messages.view import Choice, OpenForm, Reply, Response, all_text
from store.models import AuditEntry, Lesson, LessonSubmitter, OutboxMessage
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    KIM,
    PRIYA,
    RUTH,
    SAM,
    TOM,
    Harness,
    button,
    buttons_of,
    errors_of,
    ref_in,
    submit_lesson,
)


def lesson(hub: Harness, ref: str) -> Lesson:
    with hub.app.uow_factory() as uow:
        found = uow.lessons.by_ref(ref)
        assert found is not None
        uow.session.expunge(found)
        return found


def card(hub: Harness, who: str, ref: str) -> Reply:
    reply = hub.command(who, f"/lesson status {ref}")
    assert isinstance(reply, Reply), reply
    return reply


def text_of(reply: Reply) -> str:
    return " ".join(all_text(reply))


def triage(hub: Harness, ref: str, who: str = CHRIS) -> Reply:
    opened = hub.press(who, button(card(hub, who, ref), "Take to committee"))
    result = hub.fill(who, opened, {"deidentified": "yes", "note": ""})
    assert isinstance(result, Reply), result
    return result


def decide(hub: Harness, ref: str, tiers: list[str], who: str = HELEN) -> Reply:
    opened = hub.press(who, button(card(hub, who, ref), "Decide tiers"))
    result = hub.fill(who, opened, {"tiers": tiers, "rationale": "Proportionate to the risk."})
    assert isinstance(result, Reply), result
    return result


def test_the_command_opens_the_form_with_the_title(hub: Harness) -> None:
    opened = hub.command(ALEX, "/lesson Flushes look alike")
    assert isinstance(opened, OpenForm)
    assert (opened.form_id, opened.values["title"]) == ("lesson.submit", "Flushes look alike")


def test_the_lesson_form_says_it_does_not_replace_incident_reporting(hub: Harness) -> None:
    """Staff must not take a lesson for an incident report: the form asks for the LFPSE or
    Datix reference and says QI Hub only links to those systems."""
    opened = hub.command(ALEX, "/lesson")
    assert isinstance(opened, OpenForm)
    refs = hub.app.services.registry.forms[opened.form_id].form.field("source_refs")
    assert "LFPSE" in refs.help and "Datix" in refs.help
    assert "it does not replace them" in refs.help


def test_a_lesson_goes_to_its_sources_committee_for_triage(hub: Harness) -> None:
    reply = submit_lesson(hub, source="complaint")
    ref = ref_in(reply, "LL")
    assert ref == "LL-2026-0001"
    assert "Patient Experience Committee" in text_of(reply)
    stored = lesson(hub, ref)
    assert (stored.committee, stored.status, stored.source_refs) == (
        "PEC",
        "submitted",
        ["LFPSE W123456"],
    )
    hub.deliver()
    post = hub.platform.to("#pec")[0]
    assert [b.label for b in buttons_of(post)] == [
        "Take to committee",
        "Route elsewhere…",
        "Merge into…",
        "Redact…",
        "Open",
        "Not progressed…",  # destructive: last, and asks first
    ]


def test_a_source_without_a_usual_committee_asks_for_the_domain(hub: Harness) -> None:
    opened = hub.command(ALEX, "/lesson")
    from tests.harness import LESSON

    errors = errors_of(hub.fill(ALEX, opened, {**LESSON, "source": "good_practice"}))
    assert "Choose the domain" in errors["committee"]
    ok = hub.fill(ALEX, opened, {**LESSON, "source": "good_practice", "committee": "CEC"})
    assert isinstance(ok, Reply)


def test_patient_data_is_refused_in_every_free_text_field(hub: Harness) -> None:
    from tests.harness import LESSON

    opened = hub.command(ALEX, "/lesson")
    for field, text in (
        ("what_happened", "Patient 943 476 5919 fell"),
        ("what_learned", "Mrs Jane Doe, 4 July 1948 was at risk"),
        ("title", "Patient CCC1234567 incident"),
    ):
        errors = errors_of(hub.fill(ALEX, opened, {**LESSON, field: text}))
        assert list(errors) == [field]
    with hub.app.uow_factory() as uow:
        assert uow.session.scalar(select(Lesson)) is None


def test_an_anonymous_lesson_keeps_no_identity(hub: Harness) -> None:
    reply = submit_lesson(hub, mode="anonymous")
    receipt = next(t for t in all_text(reply) if "receipt code is" in t).rsplit(" ", 1)[1]
    with hub.app.uow_factory() as uow:
        assert uow.session.scalars(select(LessonSubmitter)).all() == []
        assert [(a.actor_id, a.actor_label) for a in uow.session.scalars(select(AuditEntry))] == [
            (None, "anonymous")
        ]
    followed = hub.command(TOM, f"/lesson status {receipt}")
    assert isinstance(followed, Reply) and "LL-2026-0001" in followed.summary
    assert "Anonymous" in text_of(followed)


def test_only_the_committees_governance_lead_triages(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")  # a single LFPSE event: the Patient Safety Committee
    other = hub.press(PRIYA, button(card(hub, CHRIS, ref), "Take to committee"))
    # another committee's lead may not read it before triage: as if it did not exist
    assert isinstance(other, Reply) and "No lesson matches" in text_of(other)
    staff = hub.press(TOM, button(card(hub, CHRIS, ref), "Take to committee"))
    assert isinstance(staff, Reply) and "can't do that" in text_of(staff)
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Take to committee"))
    assert "deidentified" in errors_of(hub.fill(CHRIS, opened, {"deidentified": "no"}))
    triage(hub, ref)
    assert lesson(hub, ref).status == "triaged"
    hub.deliver()
    told = hub.platform.to(ALEX)
    assert any("is going to the Patient Safety Committee" in r.summary for r in told)


def test_routing_merging_and_not_progressing_tell_the_submitter(hub: Harness) -> None:
    first = ref_in(submit_lesson(hub), "LL")
    second = ref_in(submit_lesson(hub, who=TOM, title="Flushes again"), "LL")
    third = ref_in(submit_lesson(hub, who=KIM, title="Not for us"), "LL")
    merged = hub.fill(
        CHRIS,
        hub.press(CHRIS, button(card(hub, CHRIS, second), "Merge into")),
        {"merge_into": first, "message": "The same event, reported twice."},
    )
    assert isinstance(merged, Reply)
    assert lesson(hub, second).status == "merged"
    routed = hub.fill(
        CHRIS,
        hub.press(CHRIS, button(card(hub, CHRIS, first), "Route")),
        {"committee": "PEC", "note": "This is about patient experience."},
    )
    assert isinstance(routed, Reply)
    assert lesson(hub, first).committee == "PEC"
    hub.fill(
        CHRIS,
        hub.press(CHRIS, button(card(hub, CHRIS, third), "Not progressed")),
        {"message": "Already covered by the falls programme."},
    )
    assert lesson(hub, third).status == "not_progressed"
    hub.deliver()
    assert any(
        "passed to the Patient Experience Committee" in r.summary for r in hub.platform.to(ALEX)
    )
    assert any(f"merged into {first}" in r.summary for r in hub.platform.to(TOM))
    assert any(
        "Message from the committee: Already covered by the falls programme." in all_text(r)
        for r in hub.platform.to(KIM)
    )
    assert any("routed here from PSC" in r.summary for r in hub.platform.to("#pec"))


def test_the_committee_decides_tiers_seeing_each_actions_strength(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    triage(hub, ref)
    refused = hub.press(TOM, button(card(hub, HELEN, ref), "Decide tiers"))
    assert isinstance(refused, Reply) and "can't do that" in text_of(refused)
    form = hub.app.services.registry.forms["lesson.decide"].form
    assert form.field("tiers").choices[1] == Choice(
        "2", "2 · Widespread communication and education, including patients (weaker action)"
    )
    weak = decide(hub, ref, ["2"])
    assert "only weaker actions were chosen" in text_of(weak)
    stored = lesson(hub, ref)
    assert (stored.status, stored.tiers, stored.rationale) == (
        "decided",
        [2],
        "Proportionate to the risk.",
    )
    assert "Add tier 2 action…" in [b.label for b in buttons_of(weak)]


def _add_action(hub: Harness, ref: str, tier: int, **values: str) -> Response:
    opened = hub.press(HELEN, button(card(hub, HELEN, ref), f"Add tier {tier} action"))
    base = {
        "description": "Separate labelled bins for flushes on every trolley.",
        "owner": KIM,
        "due": "2026-12-31",
        "measure": "Monthly trolley check 100%",
        "verifier": "",
    }
    return hub.fill(HELEN, opened, {**base, **values})


def test_each_tier_enforces_what_it_needs(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    triage(hub, ref)
    decide(hub, ref, ["1", "2", "3", "4", "5"])
    errors = errors_of(_add_action(hub, ref, 1, change="", reaudit_date="", audit_lead=""))
    assert set(errors) >= {"change", "reaudit_date", "audit_lead"}
    not_lead = _add_action(hub, ref, 1, change="Bins", reaudit_date="2027-03-01", audit_lead=KIM)
    assert "is not an audit lead" in errors_of(not_lead)["audit_lead"]
    early = _add_action(
        hub,
        ref,
        1,
        change="Bins",
        reaudit_date="2026-12-01",
        audit_lead="lee.hughes@clatterbridge.example",
    )
    assert "after the due date" in errors_of(early)["reaudit_date"]
    assert "audiences" in errors_of(_add_action(hub, ref, 2, comms_channel="huddles"))
    assert set(errors_of(_add_action(hub, ref, 4))) == {"expert", "cognitive_aid"}
    not_exec = _add_action(hub, ref, 5)
    assert "is not an executive" in errors_of(not_exec)["owner"]
    same = _add_action(hub, ref, 3, process="medicines-storage", verifier=KIM)
    assert "other than the owner" in errors_of(same)["verifier"]
    past = _add_action(hub, ref, 3, process="medicines-storage", due="2026-01-01")
    assert "in the past" in errors_of(past)["due"]
    created = _add_action(
        hub,
        ref,
        1,
        change="Separate bins",
        reaudit_date="2027-03-01",
        audit_lead="lee.hughes@clatterbridge.example",
    )
    assert isinstance(created, Reply) and "ACT-2026-0001 created" in text_of(created)
    hub.deliver()
    owner_message = hub.platform.to(KIM)[-1]
    assert [b.label for b in buttons_of(owner_message)] == ["Accept", "Decline…"]


def test_tier_five_convenes_the_executives_at_once_even_at_night(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    triage(hub, ref)
    hub.clock.set(datetime(2026, 11, 28, 2, 0, tzinfo=UTC))  # Saturday, 2 am: quiet hours
    decide(hub, ref, ["1", "5"])
    hub.deliver()
    for executive in (HELEN, RUTH):
        message = hub.platform.to(executive)[0]
        assert message.summary == f"TIER 5: executive on-call group convened for {ref}"
        assert any("Saturday 28 November 04:00 (within 24 hours)" in t for t in all_text(message))
    assert hub.platform.to("#exec_oncall")
    with hub.app.uow_factory() as uow:
        urgent = [
            m.urgent
            for m in uow.session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.like("tier5:%"))
            )
        ]
    assert urgent and all(urgent)
    assert lesson(hub, ref).tier5_at is not None


def test_escalation_to_tier_five_is_possible_from_any_open_state(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub), "LL")
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Escalate to tier 5"))
    hub.fill(CHRIS, opened, {"reason": "A second patient harmed the same way tonight."})
    hub.deliver()
    assert hub.platform.to(RUTH)
    assert 5 in lesson(hub, ref).tiers
    assert "Escalate to tier 5…" not in [b.label for b in buttons_of(card(hub, CHRIS, ref))]
    assert SAM not in [s.to for s in hub.platform.sent]
