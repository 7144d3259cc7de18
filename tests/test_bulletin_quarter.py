"""A whole quarter scripted through the real commands, and the bulletin it publishes.

Q3 2026/27: four verified changes on three lessons (one anonymous, one confidential), a tier-1
change whose re-audit fails, a lesson not progressed, two ideas implemented (one credited by
consent, one confidential whose consent cannot name them). The governance lead leaves one
change out at review. The bulletin must then say exactly what staff can see: 3 changes on 2
lessons, 1 re-audit (failed), 2 ideas, each change under its lesson's title and what was
learned, in its own channel, and never a name that was not given for it
(docs/domain.md, "Bulletin figures, defined").
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from bot.web import create_web_app
from handlers.bulletin.data import from_snapshot
from messages.view import Facts, Reply, all_text
from tests.harness import ALEX, CHRIS, HELEN, LEE, SAM, TOM, Harness, button, ref_in, submit_lesson
from tests.lessons_flow import add_action, card, step
from tests.test_bulletin import bulletin, drafted, local, notices, outline

LESSONS: dict[str, dict[str, Any]] = {
    "flush": {
        "title": "Flush syringes mixed up on the trolley",
        "what_learned": "Look-alike flushes need separate, labelled storage.",
        "mode": "anonymous",
        "sites": ["liverpool"],
        "departments": ["ward-4"],
        "process": "medicines-storage",
    },
    "handover": {
        "title": "Radiotherapy plan changed without a second check",
        "what_learned": "Every plan change needs an independent second check before treatment.",
        "mode": "named",
        "sites": ["wirral"],
        "departments": ["radiotherapy-wir"],
        "process": "rt-planning",
    },
    "discharge": {
        "title": "Discharge letter sent to the wrong practice",
        "what_learned": "The practice on the letter must be checked against the spine.",
        "mode": "confidential",
        "sites": ["aintree"],
        "departments": ["outpatients"],
        "process": "discharge",
    },
    "falls": {
        "title": "Falls leaflet out of date",
        "what_learned": "Leaflets need a review date.",
        "mode": "named",
        "sites": ["halton"],
        "departments": ["imaging"],
        "process": "falls",
    },
}


def lesson(hub: Harness, key: str) -> str:
    """Submitted by Alex and taken to committee by Chris."""
    ref = ref_in(submit_lesson(hub, **LESSONS[key]), "LL")
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Take to committee"))
    hub.fill(CHRIS, opened, {"deidentified": "yes"})
    return ref


def decided(hub: Harness, key: str, tiers: list[str]) -> str:
    ref = lesson(hub, key)
    opened = hub.press(HELEN, button(card(hub, HELEN, ref), "Decide tiers"))
    hub.fill(HELEN, opened, {"tiers": tiers, "rationale": "Proportionate to the risk."})
    return ref


def verified(hub: Harness, lesson_ref: str, tier: int, change: str) -> str:
    values = {"change": change} if tier == 1 else {"description": change}
    ref = add_action(hub, lesson_ref, tier, **values)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Submit completion", evidence=f"Evidence for: {change}.")
    step(hub, CHRIS, ref, "Verify", note="Seen on the ward.")
    return ref


def implemented(hub: Harness, who: str, title: str, mode: str) -> str:
    ref = ref_in(hub.submit_idea(who, title=title, mode=mode, credit="yes"))
    for label in ("Eligible", "Start review", "Approve", "Start implementation"):
        opened = hub.press(SAM, button(card(hub, SAM, ref), label))
        hub.fill(SAM, opened, {"reason": f"Reason: {label}."})
    opened = hub.press(SAM, button(card(hub, SAM, ref), "Mark implemented"))
    hub.fill(SAM, opened, {"reason": "Done on ward 4."})
    return ref


def facts(reply: Reply) -> dict[str, str]:
    found = [b for b in reply.blocks if isinstance(b, Facts)]
    assert len(found) == 1, reply
    return {f.label: f.value for f in found[0].facts}


def test_a_scripted_quarter_publishes_exactly_what_was_kept(hub: Harness) -> None:
    flush = decided(hub, "flush", ["2", "3"])
    huddle = verified(hub, flush, 2, "Safety huddle on look-alike flushes on every ward")
    drawers = verified(hub, flush, 3, "Flushes moved to separate colour-coded drawers")
    second = decided(hub, "handover", ["1"])
    check = verified(hub, second, 1, "Second-checker sign-off added to the planning system")
    step(hub, HELEN, second, "Accept assurance", note="Audit of 20 plans seen.")
    step(hub, LEE, check, "Record re-audit", result="fail", notes="3 of 20 plans unchecked.")
    letters = decided(hub, "discharge", ["2"])
    left_out = verified(hub, letters, 2, "Spine check reminder at discharge")
    falls = ref_in(submit_lesson(hub, **LESSONS["falls"]), "LL")
    hub.fill(
        CHRIS,
        hub.press(CHRIS, button(card(hub, CHRIS, falls), "Not progressed")),
        {"message": "Already covered by the falls programme."},
    )
    credited = implemented(hub, ALEX, "Quieter night rounds", "named")
    confidential = implemented(hub, TOM, "Spare pump batteries on every ward", "confidential")

    # The reminder on 22 December names the bulletin; the lead answers it after New Year.
    hub.clock.set(local("2026-12-22"))
    assert drafted(hub) == 1
    hub.deliver()
    reminder = hub.platform.to(CHRIS)[-1]
    assert "/bulletin review BUL-2026-Q3" in " ".join(all_text(reminder))
    hub.clock.set(local("2027-01-04"))
    opened = hub.command(CHRIS, "/bulletin review")
    assert isinstance(opened, Reply)
    assert opened.summary == "BUL-2026-Q3 is drafted: please review it"
    assert bulletin(hub, "BUL-2026-Q4") is None  # the next quarter is not drafted instead
    edited = hub.fill(
        CHRIS,
        hub.press(CHRIS, button(opened, "Edit foreword")),
        {"foreword": "Thank you for speaking up.", "leave_out": left_out},
    )
    assert "BUL-2026-Q3 updated: 1 left out." in notices(edited)
    hub.press(CHRIS, button(opened, "Mark reviewed"))
    hub.deliver()
    asked = hub.platform.to(HELEN)[-1]
    assert facts(asked) == {
        "Changes made (actions verified)": "3",
        "Lessons with a verified change": "2",
        "Stronger actions": "33%",
        "Re-audits": "1 (0 passed, 1 failed)",
        "Ideas implemented": "2",
        "Trends answered": "0",
        "Lessons reported": "4",
    }
    published = hub.press(HELEN, button(asked, "Approve and publish"))
    assert "posted to #learning-for-improvement" in notices(published)

    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and b.snapshot is not None
    frozen = from_snapshot(b.snapshot)
    f = frozen.figures
    assert (f.actions_verified, f.lessons_changed, f.stronger_actions) == (3, 2, 1)
    assert (f.reaudits_passed, f.reaudits_failed, f.ideas_implemented) == (0, 1, 2)
    assert (f.lessons_not_progressed, f.lessons_concluded) == (1, 2 + 1)
    assert [(x.key, x.count) for x in f.lessons_by_source] == [("lfpse_event", 4)]
    assert [(a.ref, a.lesson_ref) for a in frozen.verified] == [
        (huddle, flush),
        (drawers, flush),
        (check, second),
    ]
    assert [(r.ref, r.passed) for r in frozen.reaudits] == [(check, False)]
    assert frozen.left_out == (left_out,)
    assert {i.ref: i.credit for i in frozen.ideas} == {
        credited: ("Alex Morgan",),
        confidential: (),  # consented, but confidential: the name is for governance only
    }
    grouped = [(g.ref, g.title, g.learned, [a.ref for a in g.changes]) for g in frozen.by_lesson()]
    assert grouped == [
        (flush, LESSONS["flush"]["title"], LESSONS["flush"]["what_learned"], [huddle, drawers]),
        (second, LESSONS["handover"]["title"], LESSONS["handover"]["what_learned"], [check]),
    ]

    headline = (
        "This quarter 3 changes to improve care were made and verified, in response to 2 "
        "lessons reported by staff. 1 re-audit checked whether a change worked: 0 passed, 1 "
        "failed (its lesson is back before the committee). 2 staff ideas were put into "
        "practice. 33% of the changes were the stronger kind (process redesign, not reminders)."
    )
    hub.deliver()
    posts = hub.platform.to("#bulletin")
    assert len(posts) == 1 and not hub.platform.to("#all_staff")
    post = " ".join(" ".join(all_text(posts[0])).split())
    assert headline in post
    assert (
        f"{LESSONS['flush']['title']} {flush} We learned: Look-alike flushes need separate, "
        "labelled storage. We changed: Safety huddle on look-alike flushes on every ward; "
        "Flushes moved to separate colour-coded drawers."
    ) in post
    assert LESSONS["handover"]["title"] in post and LESSONS["discharge"]["title"] not in post

    with TestClient(create_web_app(hub.app)) as client:
        html = client.get(f"/bulletins/{b.id}").text
    text = " ".join(html.split())
    assert headline in text
    assert "<strong>3</strong> changes made and verified" in text
    assert "<strong>2</strong> lessons with at least one verified change" in text
    assert "<strong>1</strong> re-audit recorded: 0 passed, 1 failed" in text
    assert "<strong>2</strong> staff ideas implemented" in text
    assert "2 of 3 lessons that reached an outcome this quarter led to a change" in text
    page = outline(html)
    assert [t for tag, t in page.headings if tag == "h3"][:2] == [
        f"{LESSONS['flush']['title']} {flush}",
        f"{LESSONS['handover']['title']} {second}",
    ]
    for key in ("flush", "handover"):
        assert f"<strong>What we learned:</strong> {LESSONS[key]['what_learned']}" in text
    assert "Second-checker sign-off added to the planning system" in text
    assert "Failed: the lesson is back before its committee" in text
    for absent in (left_out, letters, LESSONS["discharge"]["title"], "Spine check", falls):
        assert absent not in text  # left out, or never an item
    assert "Alex Morgan" in text and "Tom" not in text
