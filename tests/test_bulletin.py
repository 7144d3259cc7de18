"""The quarterly "learning for improvement" bulletin: NHS quarters in London time, drafting
once 10 days before the quarter ends (caught up after downtime), contents limited to what was
completed inside the quarter, consented credit only, the four-eyes review and approval with
roles checked on every press, and the published web page (HTML structure, charts as PNG,
escaping, a golden file). Set UPDATE_GOLDEN=1 to rewrite the golden HTML.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from bot.pages import Shell
from bot.pages import render as render_html
from bot.web import create_web_app
from handlers.bulletin.charts import CHARTS, render_png
from handlers.bulletin.data import (
    ActionItem,
    AlertItem,
    Contents,
    Count,
    Figures,
    IdeaItem,
    ReauditItem,
    TrendItem,
    build_contents,
    from_snapshot,
    to_snapshot,
)
from handlers.bulletin.page import page_context
from handlers.bulletin.quarters import Quarter, draft_moment, parse_quarter, quarter_at, quarter_of
from handlers.config import OrgConfig
from messages.templates import render
from messages.view import FormErrors, Notice, OpenForm, Reply, Response, all_text
from store.models import AuditEntry, Bulletin, Idea, IdeaSubmitter, StaffRole, Trend
from tests.goldens import assert_golden
from tests.harness import ALEX, CHRIS, HELEN, PRIYA, RUTH, SAM, TOM, Harness, button, ref_in
from tests.lessons_flow import add_action, decided_lesson, step
from tests.pages_kit import printable
from tests.test_digest import Seed

LONDON = ZoneInfo("Europe/London")
GOLDEN = Path(__file__).parent / "golden" / "bulletin"
PNG = b"\x89PNG\r\n\x1a\n"
Q3 = Quarter(2026, 3)  # October to December 2026: the quarter the tests' clock starts in
DANGER = '<script>alert("x")</script> & <b>bold</b>'


def local(day: str, clock: str = "09:00") -> datetime:
    """A London wall-clock time as an aware UTC datetime."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=LONDON).astimezone(UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def notices(response: Response) -> str:
    assert isinstance(response, Reply), response
    return " ".join(b.text for b in response.blocks if isinstance(b, Notice))


def bulletin(hub: Harness, ref: str) -> Bulletin | None:
    with hub.app.uow_factory() as uow:
        found = uow.bulletins.by_ref(ref)
        if found is not None:
            uow.session.expunge(found)  # readable after the unit of work ends
        return found


def drafted(hub: Harness) -> int:
    return hub.tick(bulletins=True).raised.get("bulletin_draft", 0)


# ---------------------------------------------------------------------- NHS quarters


@pytest.mark.parametrize(
    ("day", "year", "number"),
    [
        (date(2026, 4, 1), 2026, 1),
        (date(2026, 6, 30), 2026, 1),
        (date(2026, 7, 1), 2026, 2),
        (date(2026, 9, 30), 2026, 2),
        (date(2026, 10, 1), 2026, 3),
        (date(2026, 12, 31), 2026, 3),
        (date(2027, 1, 1), 2026, 4),
        (date(2027, 3, 31), 2026, 4),
        (date(2027, 4, 1), 2027, 1),
    ],
)
def test_nhs_quarters_run_april_to_june_first(day: date, year: int, number: int) -> None:
    assert quarter_of(day) == Quarter(year, number)


def test_quarters_start_at_london_midnight_on_either_side_of_the_clock_change() -> None:
    """Q1 and Q3 start in summer time (23:00 UTC the evening before); Q4 starts in GMT and
    ends in BST, so it is an hour shorter than its days suggest."""
    assert Quarter(2026, 1).start(LONDON) == utc("2026-03-31T23:00")
    assert Q3.start(LONDON) == utc("2026-09-30T23:00")
    assert Q3.end(LONDON) == utc("2027-01-01T00:00")
    q4 = Quarter(2026, 4)
    assert q4.start(LONDON) == utc("2027-01-01T00:00")
    assert q4.end(LONDON) == utc("2027-03-31T23:00")
    assert q4.end(LONDON) - q4.start(LONDON) == timedelta(days=90) - timedelta(hours=1)
    # 00:30 BST on 1 July is Q2 in London, though still 30 June (Q1) in UTC.
    assert quarter_at(utc("2026-06-30T23:30"), LONDON) == Quarter(2026, 2)
    assert quarter_at(utc("2026-06-30T22:59"), LONDON) == Quarter(2026, 1)


def test_quarter_names_references_and_parsing() -> None:
    assert Q3.ref == "BUL-2026-Q3"
    assert Q3.label == "Q3 2026/27 (October to December 2026)"
    assert Quarter(2026, 4).label == "Q4 2026/27 (January to March 2027)"
    assert Quarter(2026, 4).next == Quarter(2027, 1)
    assert Quarter(2027, 1).previous == Quarter(2026, 4)
    for text in ("2026-Q3", "2026 q3", "BUL-2026-Q3", " bul-2026-q3 "):
        assert parse_quarter(text) == Q3
    for text in ("2026-Q5", "Q3", "next", ""):
        assert parse_quarter(text) is None


def test_the_draft_moment_is_ten_days_before_the_end_in_local_time() -> None:
    nine = time(9, 0)
    assert draft_moment(Q3, LONDON, 10, nine) == utc("2026-12-22T09:00")  # GMT
    assert draft_moment(Quarter(2027, 1), LONDON, 10, nine) == utc("2027-06-21T08:00")  # BST
    # Q4 2026/27 ends in BST; its draft day, 22 March, is still GMT.
    assert draft_moment(Quarter(2026, 4), LONDON, 10, nine) == utc("2027-03-22T09:00")


# ---------------------------------------------------------------------- drafting


def test_the_draft_is_made_once_ten_days_before_the_quarter_ends(hub: Harness) -> None:
    hub.clock.set(local("2026-12-22", "08:59"))
    assert drafted(hub) == 0
    assert bulletin(hub, "BUL-2026-Q3") is None
    hub.clock.set(local("2026-12-22", "09:00"))
    assert drafted(hub) == 1
    made = bulletin(hub, "BUL-2026-Q3")
    assert made is not None and made.status == "draft"
    assert made.quarter_start == Q3.start(LONDON) and made.quarter_end == Q3.end(LONDON)
    hub.clock.advance(timedelta(minutes=5))
    assert drafted(hub) == 0  # the ledger: once per quarter, however many ticks
    hub.clock.set(local("2026-12-31", "23:59"))
    assert drafted(hub) == 0
    hub.deliver()
    leads = ["chris.evans", "priya.shah", "dan.okafor"]
    for lead in leads:
        cards = hub.platform.to(f"{lead}@clatterbridge.example")
        assert [c.summary for c in cards] == ["BUL-2026-Q3 is drafted: please review it"]
    card = hub.platform.to(CHRIS)[0]
    assert {b.label for b in (button(card, "Edit foreword"), button(card, "Mark reviewed"))}
    with hub.app.uow_factory() as uow:
        trail = [e.action for e in uow.audit.for_entity("bulletin", "BUL-2026-Q3")]
    assert trail == ["drafted"]


def test_a_clock_that_was_down_drafts_the_missed_quarter_when_it_returns(hub: Harness) -> None:
    """Down from before 22 December until after New Year: the Q3 draft is still made (late),
    and only once; Q4's own draft comes on 22 March, an hour before BST would move it."""
    hub.clock.set(local("2026-12-20"))
    assert drafted(hub) == 0
    hub.clock.set(local("2027-01-03", "11:00"))
    assert drafted(hub) == 1
    assert bulletin(hub, "BUL-2026-Q3") is not None
    assert bulletin(hub, "BUL-2026-Q4") is None
    assert drafted(hub) == 0
    hub.clock.set(local("2027-03-22", "08:59"))
    assert drafted(hub) == 0
    hub.clock.set(local("2027-03-22", "09:00"))
    assert drafted(hub) == 1
    assert bulletin(hub, "BUL-2026-Q4") is not None


def test_no_draft_for_a_quarter_before_qi_hub_was_installed(hub: Harness) -> None:
    """The directory's first sync is 26 Nov 2026: Q2's draft moment (21 Sep) came before it."""
    hub.clock.set(local("2026-11-27"))
    assert drafted(hub) == 0
    assert bulletin(hub, "BUL-2026-Q2") is None


def test_a_governance_lead_may_start_the_draft_early_and_is_not_asked_twice(
    hub: Harness,
) -> None:
    opened = hub.command(CHRIS, "/bulletin review")
    assert isinstance(opened, Reply) and "Please review" in all_text(opened)[1]
    hub.press(CHRIS, button(opened, "Mark reviewed"))
    hub.clock.set(local("2026-12-22", "09:00"))
    assert drafted(hub) == 0  # already reviewed: nothing left to ask the leads
    reviewed = bulletin(hub, "BUL-2026-Q3")
    assert reviewed is not None and reviewed.status == "reviewed"


def test_review_opens_the_bulletin_the_reminder_names(hub: Harness) -> None:
    """The reminder names its bulletin (BUL-2026-Q3) in its text and in its sealed buttons; a
    bare /bulletin review opens the oldest draft awaiting review, not a new quarter's; the
    reference typed is only a name, and the right to review is checked on every use."""
    reminder = _review_card(hub)
    assert "/bulletin review BUL-2026-Q3" in " ".join(all_text(reminder))
    hub.clock.set(local("2027-03-22"))  # Q4's own draft moment has come too
    assert drafted(hub) == 1
    for typed in ("/bulletin review", "/bulletin review BUL-2026-Q3", "/bulletin review 2026-q3"):
        opened = hub.command(CHRIS, typed)
        assert isinstance(opened, Reply) and opened.summary.startswith("BUL-2026-Q3 is drafted")
    q4 = hub.command(PRIYA, "/bulletin review BUL-2026-Q4")  # the PEC's lead: trust-wide
    assert isinstance(q4, Reply) and q4.summary.startswith("BUL-2026-Q4 is drafted")
    for who in (TOM, HELEN):  # staff; an executive who is no governance lead
        assert "can't do that" in notices(hub.command(who, "/bulletin review BUL-2026-Q3"))
    missing = hub.command(CHRIS, "/bulletin review BUL-2027-Q1")
    assert "There is no bulletin 'BUL-2027-Q1'" in notices(missing)
    assert bulletin(hub, "BUL-2027-Q1") is None
    # The reminder's own button still acts on Q3, whatever else has been drafted since.
    hub.press(CHRIS, button(reminder, "Mark reviewed"))
    q3, q4_row = bulletin(hub, "BUL-2026-Q3"), bulletin(hub, "BUL-2026-Q4")
    assert q3 is not None and q4_row is not None
    assert (q3.status, q4_row.status) == ("reviewed", "draft")
    opened = hub.command(CHRIS, "/bulletin review")
    assert isinstance(opened, Reply) and opened.summary.startswith("BUL-2026-Q4 is drafted")


# ---------------------------------------------------------------------- contents


def _implemented_idea(
    seed: Seed,
    number: int,
    implemented: datetime,
    *,
    status: str = "implemented",
    consent: bool = False,
    submitter: str | None = ALEX,
    title: str = "",
) -> None:
    idea = Idea(
        ref=f"IDEA-2026-{number:04d}",
        kind="bright",
        title=title or f"Idea {number}",
        problem="A problem.",
        proposed_change=f"Change number {number}.",
        expected_benefits=["safety"],
        mode="named" if submitter else "anonymous",
        credit_consent=consent,
        status=status,
        created_at=implemented - timedelta(days=60),
        updated_at=implemented,
        status_changed_at=implemented + timedelta(days=3 if status == "recognised" else 0),
    )
    seed.session.add(idea)
    seed.session.flush()
    if submitter:
        seed.session.add(IdeaSubmitter(idea_id=idea.id, staff_id=seed.staff[submitter]))
    seed.session.add(
        AuditEntry(
            at=implemented,
            actor_label="staff",
            platform="test",
            entity_type="idea",
            entity_ref=idea.ref,
            action="implemented",
        )
    )


def seed_quarter(hub: Harness) -> None:
    """Items either side of Q3's edges (1 Oct 00:00 BST = 30 Sep 23:00 UTC; 1 Jan 00:00 GMT)."""
    start, end = Q3.start(LONDON), Q3.end(LONDON)
    second = timedelta(seconds=1)
    with hub.app.uow_factory() as uow:
        seed = Seed(uow.session)
        before = seed.lesson(1, "Before", status="closed", created=start - timedelta(days=40))
        inside = seed.lesson(2, "Inside", status="closed", created=start + timedelta(days=1))
        late = seed.lesson(3, "Late", status="in_progress", created=end - timedelta(days=2))
        seed.lesson(4, "Not progressed", status="not_progressed", created=start, changed=start)
        seed.lesson(5, "Merged", status="merged", created=start + timedelta(days=3))
        seed.lesson(6, "Complaint", status="triaged", created=end - second, source="complaint")
        seed.lesson(7, "Next quarter", status="submitted", created=end, source="complaint")
        for lesson in (before, inside):  # closed in the quarter: led to a change
            lesson.status_changed_at = start + timedelta(days=20)

        def verified(number: int, when: datetime, tier: int = 2, **kw: Any) -> None:
            seed.action(
                number,
                kw.pop("lesson", inside),
                tier=tier,
                status=kw.pop("status", "verified"),
                due=date(2026, 12, 31),
                verified=when,
                changed=kw.pop("changed", when),
                evidence=f"Evidence for {number}",
                **kw,
            )

        verified(1, start - second, lesson=before)  # 23:59:59 BST on 30 Sep: Q2
        verified(2, start, tier=3)  # midnight BST on 1 Oct: Q3
        verified(3, end - second)  # 23:59:59 on 31 Dec: Q3
        verified(4, end, lesson=late)  # midnight on 1 Jan: Q4
        verified(5, start + timedelta(days=5), tier=1, change="Separate labelled bins")
        for number, status, changed in (
            (6, "closed", start + timedelta(days=50)),  # re-audit passed in Q3
            (7, "reaudit_failed", end),  # re-audit failed at the first instant of Q4
            (8, "closed", start - second),  # passed on the last second of Q2
        ):
            verified(
                number,
                start - timedelta(days=30),
                tier=1,
                lesson=before,
                status=status,
                changed=changed,
            )
            seed.actions[f"ACT-2026-{number:04d}"].reaudit_result = (
                "pass" if status == "closed" else "fail"
            )
            seed.actions[f"ACT-2026-{number:04d}"].reaudit_notes = f"Notes {number}"
        seed.trend(1, "department", "ward-4", [before, inside, late], created=start)
        _implemented_idea(seed, 1, start + timedelta(days=30), consent=True, title="Credited")
        _implemented_idea(seed, 2, start + timedelta(hours=1), status="recognised", submitter=TOM)
        _implemented_idea(seed, 3, start - second, consent=True)  # Q2
        _implemented_idea(seed, 4, end - second, submitter=None)  # anonymous: no credit ever
        _implemented_idea(seed, 5, end, consent=True)  # Q4
        uow.commit()


def contents_of(hub: Harness, quarter: Quarter = Q3) -> Contents:
    with hub.app.uow_factory() as uow:
        return build_contents(uow, hub.app.config, quarter)


def test_a_trend_the_committee_dismissed_is_not_in_the_bulletin(hub: Harness) -> None:
    """A dismissed trend has no theme and no response: the bulletin tells staff nothing of it,
    though the changes on its lessons are still counted and shown."""
    seed_quarter(hub)
    with hub.app.uow_factory() as uow:
        trend = uow.session.scalar(select(Trend).where(Trend.ref == "TR-2026-0001"))
        assert trend is not None
        trend.status = "dismissed"
        uow.commit()
    c = contents_of(hub)
    assert c.trends == ()
    assert [a.ref for a in c.verified] == ["ACT-2026-0002", "ACT-2026-0005", "ACT-2026-0003"]


def test_contents_list_only_what_was_completed_inside_the_quarter(hub: Harness) -> None:
    seed_quarter(hub)
    c = contents_of(hub)
    assert [a.ref for a in c.verified] == ["ACT-2026-0002", "ACT-2026-0005", "ACT-2026-0003"]
    assert [(r.ref, r.passed) for r in c.reaudits] == [("ACT-2026-0006", True)]
    assert [i.ref for i in c.ideas] == ["IDEA-2026-0002", "IDEA-2026-0001", "IDEA-2026-0004"]
    assert c.verified[0].verified_on == "2026-10-01"  # the London date, not UTC's 30 Sep
    assert c.verified[1].what == "Separate labelled bins"  # tier 1: the change made
    assert [(t.ref, t.actions) for t in c.trends] == [
        ("TR-2026-0001", ("ACT-2026-0002", "ACT-2026-0003", "ACT-2026-0005"))
    ]
    f = c.figures
    assert f.actions_verified == 3
    assert [(x.label, x.count) for x in f.actions_by_tier][:3] == [
        ("Tier 1: Make a specific change once and re-audit", 1),
        ("Tier 2: Widespread communication and education, including patients", 1),
        ("Tier 3: Process review: simplify, automate or digitise", 1),
    ]
    assert (f.stronger_actions, f.stronger_share) == (1, 1 / 3)
    # Reported in Q3: lessons 2, 3, 4 and 6 (1 is Q2, 5 is merged, 7 is Q4).
    assert [(x.key, x.count) for x in f.lessons_by_source] == [
        ("lfpse_event", 3),
        ("complaint", 1),
    ]
    # All three on lesson 2; lesson 4 was not progressed; closing a lesson is no new change.
    assert (f.lessons_changed, f.lessons_not_progressed, f.lessons_concluded) == (1, 1, 2)
    assert (f.reaudits_passed, f.reaudits_failed, f.ideas_implemented) == (1, 0, 3)
    assert "3 changes to improve care were made and verified, in response to 1 lesson" in (
        " ".join(render("bulletin/headline.txt", c=c).split())
    )
    q4 = contents_of(hub, Quarter(2026, 4))
    assert [a.ref for a in q4.verified] == ["ACT-2026-0004"]
    assert [i.ref for i in q4.ideas] == ["IDEA-2026-0005"]
    assert [(r.ref, r.passed) for r in q4.reaudits] == [("ACT-2026-0007", False)]


def test_left_out_items_count_nowhere_and_untriaged_text_is_never_shown(hub: Harness) -> None:
    """What the governance lead leaves out leaves the figures too (docs/domain.md), and a
    lesson's title and learning appear only once it is triaged (handlers/visibility.py)."""
    seed_quarter(hub)
    assert {(a.lesson_title, a.learned) for a in contents_of(hub).verified} == {("", "")}
    with hub.app.uow_factory() as uow:
        inside = uow.lessons.by_ref("LL-2026-0002")
        assert inside is not None
        inside.triaged_at = Q3.start(LONDON)
        uow.commit()
    c = contents_of(hub)
    assert {(a.lesson_title, a.learned) for a in c.verified} == {("Inside", "What we learned.")}
    with hub.app.uow_factory() as uow:
        gone = ["act-2026-0005", "ACT-2026-0006", "IDEA-2026-0001"]
        kept = build_contents(uow, hub.app.config, Q3, excluded=gone)
    f = kept.figures
    assert (f.actions_verified, f.stronger_actions, f.lessons_changed) == (2, 1, 1)
    assert [x.count for x in f.actions_by_tier][:3] == [0, 1, 1]
    assert (f.reaudits_passed, f.reaudits_failed, f.ideas_implemented) == (0, 0, 2)
    assert kept.left_out == ("ACT-2026-0005", "ACT-2026-0006", "IDEA-2026-0001")
    assert not set(kept.left_out) & set(kept.keys())
    assert [t.actions for t in kept.trends] == [("ACT-2026-0002", "ACT-2026-0003")]


def test_idea_credit_only_where_the_submitter_consented(hub: Harness) -> None:
    seed_quarter(hub)
    credit = {i.ref: i.credit for i in contents_of(hub).ideas}
    assert credit == {
        "IDEA-2026-0001": ("Alex Morgan",),
        "IDEA-2026-0002": (),  # named, but did not consent
        "IDEA-2026-0004": (),  # anonymous
    }


def test_a_snapshot_round_trips_exactly(hub: Harness) -> None:
    seed_quarter(hub)
    c = contents_of(hub)
    assert from_snapshot(to_snapshot(c)) == c


def test_a_version_1_snapshot_still_reads(config: OrgConfig) -> None:
    """Bulletins published before version 2 keep their page: their re-audit and idea counts
    come from their own lists (which held only the kept items), new texts are empty."""
    data = to_snapshot(fixed_contents(config))
    old = {**data, "version": 1}
    old["figures"] = {
        k: v
        for k, v in data["figures"].items()
        if k not in ("lessons_not_progressed", "reaudits_passed", "reaudits_failed")
        and k != "ideas_implemented"
    } | {"lessons_concluded": 6}
    old["verified"] = [
        {k: v for k, v in a.items() if k not in ("lesson_title", "learned")}
        for a in data["verified"]
    ]
    read = from_snapshot(old)
    f = read.figures
    assert (f.reaudits_passed, f.reaudits_failed, f.ideas_implemented) == (1, 0, 1)
    assert {a.lesson_title for a in read.verified} == {""}
    assert (f.actions_verified, f.lessons_changed) == (3, 2)


def test_contents_cost_a_fixed_number_of_statements(hub: Harness) -> None:
    """Bounded and indexed: the same statements for an empty quarter as for a busy one."""
    from sqlalchemy import event

    def count() -> int:
        statements: list[str] = []
        engine = hub.app.engine

        def seen(*args: Any) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", seen)
        try:
            contents_of(hub)
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        return len(statements)

    empty = count()
    seed_quarter(hub)
    busy = count()
    # Credited names and trends are looked up only when there is something to look them up for.
    assert busy == empty + 2
    with hub.app.uow_factory() as uow:
        seed = Seed(uow.session)
        start = Q3.start(LONDON)
        for n in range(20, 60):
            lesson = seed.lesson(n, f"More {n}", status="closed", created=start)
            seed.action(n, lesson, tier=3, status="verified", due=date(2026, 12, 1), verified=start)
        uow.commit()
    assert count() == busy


# ---------------------------------------------------------------------- review and approval


def _verified_action(hub: Harness) -> str:
    lesson_ref = decided_lesson(hub, ["2"])
    ref = add_action(hub, lesson_ref, 2)
    step(hub, TOM, ref, "Accept")
    step(hub, TOM, ref, "Submit completion", evidence="Huddle slides and attendance log.")
    step(hub, CHRIS, ref, "Verify", note="Seen the log.")
    return ref


def _implemented(hub: Harness, credit: str) -> str:
    ref = ref_in(hub.submit_idea(credit=credit, title=f"Idea with credit {credit}"))
    for label in ("Eligible", "Start review", "Approve", "Start implementation"):
        card = hub.command(SAM, f"/idea status {ref}")
        assert isinstance(card, Reply)
        hub.fill(SAM, hub.press(SAM, button(card, label)), {"reason": f"Reason: {label}."})
    card = hub.command(SAM, f"/idea status {ref}")
    assert isinstance(card, Reply)
    hub.fill(SAM, hub.press(SAM, button(card, "Mark implemented")), {"reason": "Done on ward 4."})
    return ref


def _edit(hub: Harness, who: str, card: Reply, **values: Any) -> Response:
    opened = hub.press(who, button(card, "Edit foreword"))
    assert isinstance(opened, OpenForm), opened
    return hub.fill(who, opened, values)


def _review_card(hub: Harness) -> Reply:
    hub.clock.set(local("2026-12-22"))
    assert drafted(hub) == 1
    hub.deliver()
    return hub.platform.to(CHRIS)[-1]


def test_review_then_approval_by_another_person_publishes_to_all_staff(hub: Harness) -> None:
    action = _verified_action(hub)
    credited = _implemented(hub, "yes")
    uncredited = _implemented(hub, "no")
    card = _review_card(hub)
    assert action in " ".join(all_text(card))

    unknown = _edit(hub, CHRIS, card, foreword="Thank you.", leave_out="ACT-2099-0001")
    assert isinstance(unknown, FormErrors) and "ACT-2099-0001" in unknown.errors["leave_out"]
    edited = _edit(hub, CHRIS, card, foreword=DANGER, leave_out=uncredited.lower())
    assert "BUL-2026-Q3 updated: 1 left out." in notices(edited)
    hub.press(CHRIS, button(card, "Mark reviewed"))
    hub.deliver()
    for executive in (HELEN, RUTH):
        asked = hub.platform.to(executive)
        assert asked[-1].summary == "BUL-2026-Q3 is reviewed: please approve it"
    approve = button(hub.platform.to(HELEN)[-1], "Approve and publish")

    early = hub.press(HELEN, approve)
    assert "runs until 31 Dec 2026" in notices(early)
    hub.clock.set(local("2027-01-04"))
    published = hub.press(HELEN, approve)
    assert "approved and published, posted to #learning-for-improvement" in notices(published)

    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and b.status == "published" and b.snapshot is not None
    frozen = from_snapshot(b.snapshot)
    assert frozen.foreword == DANGER
    assert frozen.left_out == (uncredited,)
    assert [i.ref for i in frozen.ideas] == [credited]
    assert frozen.ideas[0].credit == ("Alex Morgan",)
    assert [a.ref for a in frozen.verified] == [action]
    hub.deliver()
    post = hub.platform.to("#bulletin")  # its own channel ([bulletin] channel)
    assert len(post) == 1
    assert not hub.platform.to("#all_staff")  # never among the critical alerts
    assert f"http://localhost:3000/bulletins/{b.id}" in " ".join(all_text(post[0]))
    with hub.app.uow_factory() as uow:
        trail = [e.action for e in uow.audit.for_entity("bulletin", "BUL-2026-Q3")]
        approver = uow.staff.by_email(HELEN)
        assert approver is not None and b.approver_id == approver.id
    assert trail == ["drafted", "edited", "reviewed", "approved", "published"]

    again = hub.press(HELEN, approve)
    assert "only a reviewed bulletin can be approved" in notices(again)


def test_review_is_the_governance_leads_and_approval_an_executives(hub: Harness) -> None:
    card = _review_card(hub)
    for who in (TOM, HELEN):  # staff, and an executive who is not a governance lead
        refused = hub.press(who, button(card, "Mark reviewed"))
        assert "can't do that" in notices(refused)
    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and b.status == "draft"
    hub.press(CHRIS, button(card, "Mark reviewed"))
    hub.deliver()
    approve = button(hub.platform.to(HELEN)[-1], "Approve and publish")
    hub.clock.set(local("2027-01-04"))
    for who in (TOM, CHRIS):
        assert "can't do that" in notices(hub.press(who, approve))
    assert "can't do that" in notices(hub.command(TOM, "/bulletin approve"))
    still = bulletin(hub, "BUL-2026-Q3")
    assert still is not None and still.status == "reviewed"


def test_the_role_is_checked_again_when_the_button_is_pressed(hub: Harness) -> None:
    card = _review_card(hub)
    mark = button(card, "Mark reviewed")
    with hub.app.uow_factory() as uow:
        chris = uow.staff.by_email(CHRIS)
        assert chris is not None
        uow.session.execute(
            delete(StaffRole).where(
                StaffRole.staff_id == chris.id, StaffRole.role == "governance_lead"
            )
        )
        uow.commit()
    assert "can't do that" in notices(hub.press(CHRIS, mark))
    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and b.status == "draft"


def test_four_eyes_the_reviewer_may_not_approve_even_as_an_executive(hub: Harness) -> None:
    with hub.app.uow_factory() as uow:
        chris = uow.staff.by_email(CHRIS)
        assert chris is not None
        uow.session.add(StaffRole(staff_id=chris.id, role="executive", source="test"))
        uow.commit()
    card = _review_card(hub)
    hub.press(CHRIS, button(card, "Mark reviewed"))
    hub.clock.set(local("2027-01-04"))
    own = hub.command(CHRIS, "/bulletin approve")
    assert isinstance(own, Reply)
    refused = hub.press(CHRIS, button(own, "Approve and publish"))
    assert "another executive must approve it" in notices(refused)
    assert "approved and published" in notices(hub.press(RUTH, button(own, "Approve")))


def test_an_edit_after_review_needs_a_fresh_review(hub: Harness) -> None:
    card = _review_card(hub)
    hub.press(CHRIS, button(card, "Mark reviewed"))
    changed = _edit(hub, CHRIS, card, foreword="A better foreword.", leave_out="")
    assert "mark it reviewed again" in notices(changed)
    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and (b.status, b.reviewer_id) == ("draft", None)


def test_free_text_in_the_foreword_passes_the_patient_data_guard(hub: Harness) -> None:
    card = _review_card(hub)
    refused = _edit(hub, CHRIS, card, foreword="Thanks to the team caring for 943 476 5919.")
    assert isinstance(refused, FormErrors) and "foreword" in refused.errors
    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and b.foreword is None


def test_preview_and_list(hub: Harness) -> None:
    _verified_action(hub)
    preview = hub.command(HELEN, "/bulletin preview")
    assert isinstance(preview, Reply)
    text = " ".join(all_text(preview))
    headline = " ".join(render("bulletin/headline.txt", c=contents_of(hub)).split())
    assert headline == (
        "This quarter 1 change to improve care was made and verified, in response to 1 lesson "
        "reported by staff. No staff ideas were put into practice. 0% of the changes were the "
        "stronger kind (process redesign, not reminders)."
    )
    assert "Not drafted yet" in text and "Changes made (actions verified)" in text
    assert "can't do that" in notices(hub.command(TOM, "/bulletin preview"))
    assert "not a quarter" in notices(hub.command(HELEN, "/bulletin preview soon"))
    listed = hub.command(HELEN, "/bulletin list")
    assert isinstance(listed, Reply) and "No bulletins yet" in " ".join(map(str, listed.blocks))


# ---------------------------------------------------------------------- the web page


class Outline(HTMLParser):
    """The page's structure: tags with attributes, in order, and the text of headings."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.headings: list[tuple[str, str]] = []
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("h1", "h2", "h3"):
            self._open = tag
            self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    return parsed


def links_in(html: str) -> list[str]:
    """Links to bulletin pages (not the skip link or the navigation)."""
    hrefs = [a.get("href") or "" for a in outline(html).all("a")]
    return [h for h in hrefs if re.fullmatch(r"/bulletins/\d+", h)]


def publish(hub: Harness) -> int:
    """Q3 reviewed by Chris (foreword with markup) and published by Helen; returns its id."""
    _verified_action(hub)
    card = _review_card(hub)
    _edit(hub, CHRIS, card, foreword=DANGER, leave_out="")
    hub.press(CHRIS, button(card, "Mark reviewed"))
    hub.clock.set(local("2027-01-04"))
    hub.deliver()
    hub.press(HELEN, button(hub.platform.to(HELEN)[-1], "Approve and publish"))
    b = bulletin(hub, "BUL-2026-Q3")
    assert b is not None and b.status == "published"
    return b.id


def test_the_published_page_is_accessible_printable_html_with_charts(hub: Harness) -> None:
    bulletin_id = publish(hub)
    with TestClient(create_web_app(hub.app)) as client:
        response = client.get(f"/bulletins/{bulletin_id}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "script-src" not in response.headers["content-security-policy"]
        html = response.text
        page = outline(html)
        assert page.all("html") == [{"lang": "en-GB"}]
        assert [h for h in page.headings if h[0] == "h1"] == [
            ("h1", "Learning for improvement: Q3 2026/27 (October to December 2026)")
        ]
        assert [text for tag, text in page.headings if tag == "h2"] == [
            "Foreword",
            "The quarter in figures",
            "You said, we did: changes made and verified",
            "Re-audits: did the changes work?",
            "Staff ideas put into practice",
            "Trends and our response",
            "Critical alerts",
        ]
        assert len(page.all("main")) == 1 and page.all("header")
        assert printable(client, html)
        images = page.all("img")
        assert [i["src"] for i in images] == [
            f"/bulletins/{bulletin_id}/charts/{name}.png" for name in CHARTS
        ]
        assert all((i["alt"] or "").startswith("Bar chart. ") for i in images)
        assert len(page.all("caption")) == len(page.all("table")) >= len(CHARTS)
        assert all(th.get("scope") in ("col", "row") for th in page.all("th"))
        for image in images:
            chart = client.get(str(image["src"]))
            assert chart.status_code == 200
            assert chart.headers["content-type"] == "image/png"
            assert chart.content.startswith(PNG)
        assert client.get(f"/bulletins/{bulletin_id}/charts/secrets.png").status_code == 404


def test_user_text_is_escaped_on_the_page(hub: Harness) -> None:
    bulletin_id = publish(hub)
    with TestClient(create_web_app(hub.app)) as client:
        html = client.get(f"/bulletins/{bulletin_id}").text
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_the_archive_lists_only_published_bulletins_and_drafts_are_404(hub: Harness) -> None:
    with TestClient(create_web_app(hub.app)) as client:
        assert "No bulletin has been published yet" in client.get("/bulletins").text
        q3 = publish(hub)
        hub.clock.set(local("2027-03-22"))
        assert drafted(hub) == 1
        q4 = bulletin(hub, "BUL-2026-Q4")
        assert q4 is not None and q4.status == "draft"
        archive = client.get("/bulletins")
        assert archive.status_code == 200
        assert links_in(archive.text) == [f"/bulletins/{q3}"]
        for missing in (q4.id, 9999):
            assert client.get(f"/bulletins/{missing}").status_code == 404
            assert client.get(f"/bulletins/{missing}/charts/tiers.png").status_code == 404
        assert client.get("/bulletins/not-a-number").status_code == 404


def test_publishing_the_next_bulletin_archives_the_last_one_which_stays_online(
    hub: Harness,
) -> None:
    q3 = publish(hub)
    with TestClient(create_web_app(hub.app)) as client:
        before = client.get(f"/bulletins/{q3}").text
        # The register changes after publication: the published page must not.
        with hub.app.uow_factory() as uow:
            for idea in uow.session.scalars(select(Idea)):
                idea.title = "Renamed after publication"
            uow.commit()
        hub.clock.set(local("2027-03-22"))
        assert drafted(hub) == 1
        hub.deliver()
        card = hub.platform.to(CHRIS)[-1]
        hub.press(CHRIS, button(card, "Mark reviewed"))
        hub.clock.set(local("2027-04-01"))
        hub.deliver()
        hub.press(RUTH, button(hub.platform.to(RUTH)[-1], "Approve and publish"))
        old, new = bulletin(hub, "BUL-2026-Q3"), bulletin(hub, "BUL-2026-Q4")
        assert old is not None and new is not None
        assert (old.status, new.status) == ("archived", "published")
        assert client.get(f"/bulletins/{q3}").text == before
        assert links_in(client.get("/bulletins").text) == [
            f"/bulletins/{new.id}",
            f"/bulletins/{q3}",
        ]


# ---------------------------------------------------------------------- golden page


def fixed_contents(config: OrgConfig) -> Contents:
    """A fixed, realistic quarter, independent of the database."""
    return Contents(
        version=1,
        ref="BUL-2026-Q3",
        quarter=Q3.label,
        start=Q3.start(LONDON),
        end=Q3.end(LONDON),
        organisation=config.organisation.name,
        foreword="Thank you to every member of staff who reported a lesson this quarter.\n"
        "Three changes came straight from ward 4.",
        verified=(
            ActionItem(
                "ACT-2026-0012",
                "LL-2026-0031",
                "PSC",
                3,
                "Process review: simplify, automate or digitise",
                "stronger",
                "Flush syringes moved to separate, colour-coded drawers",
                "Photos of all four trolleys; stock check log",
                "2026-10-14",
                "Flush syringes mixed up on the trolley",
                "Look-alike flushes need separate, labelled storage.",
            ),
            ActionItem(
                "ACT-2026-0015",
                "LL-2026-0031",
                "PSC",
                2,
                "Widespread communication and education, including patients",
                "weaker",
                "Safety huddle on look-alike flushes on every ward",
                "Attendance log: 94% of nursing staff",
                "2026-11-02",
                "Flush syringes mixed up on the trolley",
                "Look-alike flushes need separate, labelled storage.",
            ),
        ),
        reaudits=(
            ReauditItem(
                "ACT-2026-0007",
                "LL-2026-0012",
                "CEC",
                1,
                True,
                "2026-12-01",
                "20 of 20 charts",
                "Sepsis screening missed at handover",
                "The screening tool must travel with the patient.",
                "Sepsis screen added to the handover form",
            ),
        ),
        ideas=(
            IdeaItem(
                "IDEA-2026-0004",
                "Bright Idea",
                "Quieter night rounds",
                "Dim corridor lights after 23:00",
                ("Patients",),
                "2026-11-20",
                ("Alex Morgan",),
            ),
        ),
        trends=(
            TrendItem(
                "TR-2026-0002",
                "Department",
                "Ward 4 (inpatients)",
                4,
                "2026-10-03",
                "",
                ("ACT-2026-0012", "ACT-2026-0015"),
                False,
            ),
        ),
        alerts=(
            AlertItem(
                "ALERT-2026-0001",
                "alert",
                "Recall of infusion set lot 4471",
                "Critical - act now",
                "2026-11-11",
                1800,
                1764,
            ),
        ),
        figures=Figures(
            lessons_by_source=(
                Count("Single LFPSE event", 9, "lfpse_event"),
                Count("Complaint", 4, "complaint"),
                Count("Clinical audit", 2, "clinical_audit"),
            ),
            actions_by_tier=(
                Count("Tier 1: Make a specific change once and re-audit", 1, "intermediate"),
                Count(
                    "Tier 2: Widespread communication and education, including patients",
                    1,
                    "weaker",
                ),
                Count("Tier 3: Process review: simplify, automate or digitise", 1, "stronger"),
                Count("Tier 4: Safety guardianship / cognitive aids", 0, "intermediate"),
                Count("Tier 5: Clinical emergency", 0, "emergency"),
            ),
            actions_verified=3,
            stronger_actions=1,
            lessons_changed=2,
            lessons_not_progressed=1,
            reaudits_passed=1,
            reaudits_failed=0,
            ideas_implemented=1,
        ),
    )


def test_golden_html_of_a_fixed_quarter(config: OrgConfig) -> None:
    contents = fixed_contents(config)
    published = local("2027-01-05", "10:00")
    headline = render("bulletin/headline.txt", c=contents)
    html = render_html(
        "bulletin/page.html",
        Shell(organisation=contents.organisation, path="/bulletins/7"),
        **page_context(7, contents, published, LONDON, headline),
    )
    html = re.sub(r"/assets/hub-[0-9a-f]{12}\.css", "/assets/hub-<hash>.css", html)  # hub.css edits
    expected = GOLDEN / "q3_page.html"
    assert_golden(expected, html)
    assert "Alex Morgan" in html  # consented credit is the only name on the page


def test_charts_are_png_and_say_what_they_show(config: OrgConfig) -> None:
    figures = fixed_contents(config).figures
    for name in CHARTS:
        assert render_png(name, figures).startswith(PNG)
    empty = Figures((), (), 0, 0, 0)
    assert render_png("sources", empty).startswith(PNG)
    from handlers.bulletin.charts import alt_text

    assert alt_text("tiers", figures).startswith(
        "Bar chart. Actions verified this quarter by tier (3; 33% stronger actions)."
    )
    assert re.search(r"Single LFPSE event: 9; Complaint: 4", alt_text("sources", figures))


def test_the_staff_records_the_tests_rely_on() -> None:
    """Guards the fixtures above: the governance leads and executives of the bundled config."""
    from handlers.config import load_config

    config = load_config()
    leads = {e for c in config.committees.values() for e in c.governance_leads}
    assert leads == {
        "chris.evans@clatterbridge.example",
        "priya.shah@clatterbridge.example",
        "dan.okafor@clatterbridge.example",
    }
    assert set(config.roles["executive"]) == {HELEN, RUTH}


def test_a_busy_quarters_review_card_keeps_its_buttons_within_slacks_limit(hub: Harness) -> None:
    """Each section shows a few items and lists the rest by reference, so the buttons at the
    end of the card are never cut off by Slack's 50-block limit."""
    from messages.blockkit import render_blocks

    seed_quarter(hub)
    with hub.app.uow_factory() as uow:
        seed = Seed(uow.session)
        start = Q3.start(LONDON)
        for n in range(20, 80):
            lesson = seed.lesson(n, f"More {n}", status="closed", created=start)
            seed.action(n, lesson, tier=2, status="verified", due=date(2026, 12, 1), verified=start)
        for n in range(10, 30):
            _implemented_idea(seed, n, start + timedelta(days=n))
        uow.commit()
    card = hub.command(CHRIS, "/bulletin review")
    assert isinstance(card, Reply)
    rendered = render_blocks(card.blocks)
    assert len(rendered) < 50
    assert rendered[-1]["type"] == "actions"
    text = " ".join(all_text(card))
    assert "ACT-2026-0079" in text and "IDEA-2026-0029" in text  # listed, to leave out by ref


def test_alerts_sent_in_the_quarter_are_listed_with_their_acknowledgement_rate(
    hub: Harness,
) -> None:
    """Read through the alerts capability's tables when they exist (they are built alongside)."""
    alerts = pytest.importorskip("store.models.alerts")
    start, end = Q3.start(LONDON), Q3.end(LONDON)
    with hub.app.uow_factory() as uow:
        staff = [s.id for s in uow.staff.all_active()][:4]
        for number, sent in ((1, start + timedelta(days=3)), (2, end), (3, None)):
            alert = alerts.Alert(
                ref=f"ALERT-2026-{number:04d}",
                kind="alert",
                title=f"Alert {number}",
                instructions="Check the infusion sets.",
                severity="critical",
                audience_kind="all",
                audience_values=[],
                ack_deadline=start + timedelta(days=4),
                status="live" if sent else "draft",
                publisher_id=staff[0],
                recipient_count=len(staff) if sent else 0,
                sent_at=sent,
                created_at=start,
                updated_at=start,
            )
            uow.session.add(alert)
            uow.session.flush()
            if sent:
                for n, staff_id in enumerate(staff):
                    uow.session.add(
                        alerts.AlertRecipient(
                            alert_id=alert.id,
                            staff_id=staff_id,
                            acked_at=sent + timedelta(hours=1) if n < 3 else None,
                        )
                    )
        uow.commit()
    listed = contents_of(hub).alerts
    assert [(a.ref, a.severity, a.acknowledged, a.recipients) for a in listed] == [
        ("ALERT-2026-0001", "Critical - act now", 3, 4)
    ]
    assert listed[0].rate == 0.75
