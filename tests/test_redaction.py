"""Redaction at triage: the governance lead's edit replaces the original text, which is then
found in no table of the database (SQLite's full-text index included), no queued message and,
through an in-place update, not in the chat message that quoted it either."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from messages.view import Reply, all_text
from store.models import AuditEntry, Lesson
from tests.harness import ALEX, CHRIS, PRIYA, TOM, Harness, button, ref_in, submit_lesson
from tests.scan import where_found

MARK = "Quokkatrellix"
"""Stands for the patient's name a reporter typed: distinctive, so any copy is found, and
unchanged by the search index's stemmer, so its copy there is found too."""
ORIGINAL = {
    "title": f"{MARK} given the wrong flush",
    "what_happened": f"In the side room the {MARK} pump was given heparin for saline.",
    "what_learned": f"The {MARK} team should label the flushes.",
}
REDACTED = {
    "title": "A patient given the wrong flush",
    "what_happened": "A patient in a side room was given heparin for saline.",
    "what_learned": "Label the flushes.",
}


def card(hub: Harness, who: str, ref: str) -> Reply:
    reply = hub.command(who, f"/qi show {ref}")
    assert isinstance(reply, Reply), reply
    return reply


def test_redaction_leaves_the_original_nowhere(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub, **ORIGINAL), "LL")
    routed = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Route elsewhere"))
    hub.fill(CHRIS, routed, {"committee": "PEC", "note": "About the patient's experience."})
    hub.deliver()  # Alex's "passed to the PEC" message quotes the title, and is delivered
    hub.clock.advance(timedelta(days=8))
    hub.tick()  # Priya's "not triaged" reminder quotes it too, and is still queued
    assert where_found(hub.app.engine, MARK), "the scenario should have copies to remove"

    opened = hub.press(PRIYA, button(card(hub, PRIYA, ref), "Take to committee"))
    assert opened.values["what_happened"] == ORIGINAL["what_happened"]  # type: ignore[union-attr]
    done = hub.fill(PRIYA, opened, {"deidentified": "yes", **REDACTED})
    assert isinstance(done, Reply), done

    assert where_found(hub.app.engine, MARK) == []
    with hub.app.uow_factory() as uow:
        lesson = uow.lessons.by_ref(ref)
        assert lesson is not None
        assert {f: getattr(lesson, f) for f in REDACTED} == REDACTED
        entries = uow.audit.for_entity("lesson", ref)
        redacted = [e for e in entries if e.action == "redacted"]
        assert len(redacted) == 1
        priya = uow.staff.by_email(PRIYA)
        assert priya is not None and redacted[0].actor_id == priya.id
        assert redacted[0].after == {"fields": ["title", "what_happened", "what_learned"]}
        assert redacted[0].reason is None

    hub.deliver()
    reminder = hub.platform.to(PRIYA)[-1]
    assert "A patient given the wrong flush" in " ".join(all_text(reminder))
    # the message Alex already had is replaced where it was delivered
    [update] = [r for h, r in hub.platform.updated if h["to"] == ALEX]
    assert MARK not in " ".join(all_text(update))
    assert "A patient given the wrong flush" in " ".join(all_text(update))
    # the redacted lesson is what the library finds, and only by its new words
    assert "1 lesson matches" in " ".join(all_text(hub.command(TOM, "/qi search side room")))
    assert "No lessons match" in " ".join(all_text(hub.command(TOM, f"/qi search {MARK}")))


def test_redact_alone_and_unchanged_fields_record_nothing(hub: Harness) -> None:
    ref = ref_in(submit_lesson(hub, **ORIGINAL), "LL")
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Redact"))
    same = hub.fill(CHRIS, opened, {})
    assert "nothing was changed" in " ".join(all_text(same))  # type: ignore[arg-type]
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Redact"))
    hub.fill(CHRIS, opened, {"what_happened": REDACTED["what_happened"]})
    with hub.app.uow_factory() as uow:
        actions = uow.session.scalars(
            select(AuditEntry.after).where(AuditEntry.action == "redacted")
        ).all()
        assert actions == [{"fields": ["what_happened"]}]
        lesson = uow.session.scalar(select(Lesson).where(Lesson.ref == ref))
        assert lesson is not None and lesson.status == "submitted"
    # the title and what we learned still hold the mark: only what the lead changed goes
    assert ("lesson", "what_happened") not in where_found(hub.app.engine, MARK)
    assert ("lesson", "title") in where_found(hub.app.engine, MARK)
