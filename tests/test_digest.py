"""The weekly committee digest: every section from seeded rows, the golden text, a constant
number of SQL statements whatever the data size, and the Monday 08:00 schedule across the
clock change, once a week, caught up after downtime.

Rows are inserted directly (not through the lesson and action services), so each test states
exactly the register it describes. Set UPDATE_GOLDEN=1 to rewrite the golden text.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from handlers.alerts.digest import alerts_section
from handlers.catalogue import build_registry, reminder_rules
from handlers.config import OrgConfig, load_config, parse_config
from handlers.context import SYSTEM, Context, Services
from handlers.digest.data import (
    DigestData,
    ExtraSection,
    Period,
    build_digest,
    iso_week,
)
from handlers.digest.schedule import CommitteeDigestRule
from handlers.digest.views import MAX_BLOCKS, digest_replies, digest_reply
from handlers.reminders import tick
from messages.templates import sparkline
from messages.text import render_reply
from messages.view import Buttons, Image, Item, Items, all_text
from store.models import (
    Action,
    ActionExtension,
    Idea,
    Lesson,
    LessonOrgUnit,
    OutboxMessage,
    ReminderSent,
    Staff,
    Trend,
    TrendLesson,
)
from store.uow import UnitOfWork
from tests.goldens import assert_golden
from tests.harness import HELEN, Harness

GOLDEN = Path(__file__).parent / "golden" / "digest"
LONDON = "Europe/London"
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 08:00 GMT, ISO week 2026-W49
RUTH = "ruth.green@clatterbridge.example"
TOM = "tom.baker@clatterbridge.example"
KIM = "kim.jones@clatterbridge.example"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def local(day: str, clock: str = "10:00") -> datetime:
    """A London wall-clock time as an aware UTC datetime."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZoneInfo(LONDON)).astimezone(UTC)


# ---------------------------------------------------------------------- seeding rows


class Seed:
    """Adds lessons, actions, extensions, trends and ideas as ORM rows with sensible defaults."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.staff = {s.email: s.id for s in session.scalars(select(Staff))}
        self.lessons: dict[str, Lesson] = {}
        self.actions: dict[str, Action] = {}

    def lesson(
        self,
        number: int,
        title: str,
        *,
        status: str,
        created: datetime,
        changed: datetime | None = None,
        committee: str = "PSC",
        units: tuple[tuple[str, str], ...] = (("department", "ward-4"),),
        source: str = "lfpse_event",
        process: str | None = None,
        srg: str | None = None,
        search_text: str = "",
    ) -> Lesson:
        lesson = Lesson(
            ref=f"LL-2026-{number:04d}",
            title=title,
            what_happened=f"What happened: {title.lower()}.",
            what_learned="What we learned.",
            source=source,
            committee=committee,
            process=process,
            srg=srg,
            source_refs=[],
            mode="named",
            status=status,
            tiers=[],
            has_org_unit=bool(units),
            created_at=created,
            updated_at=changed or created,
            status_changed_at=changed or created,
            search_text=search_text or title,
        )
        lesson.org_units = [LessonOrgUnit(kind=k, code=c) for k, c in units]
        self.session.add(lesson)
        self.session.flush()
        self.lessons[lesson.ref] = lesson
        return lesson

    def action(
        self,
        number: int,
        lesson: Lesson,
        *,
        tier: int,
        status: str,
        due: date,
        owner: str = TOM,
        measure: str | None = "Audit of 20 records shows full compliance",
        changed: datetime | None = None,
        verified: datetime | None = None,
        reaudit: date | None = None,
        extensions: int = 0,
        description: str = "",
        change: str | None = None,
        evidence: str | None = None,
    ) -> Action:
        when = changed or lesson.created_at
        action = Action(
            ref=f"ACT-2026-{number:04d}",
            lesson_id=lesson.id,
            committee=lesson.committee,
            tier=tier,
            description=description or f"Tier {tier} action for {lesson.ref}",
            owner_id=self.staff[owner],
            due_date=due,
            measure=measure,
            has_measure=bool(measure),
            status=status,
            verified_at=verified,
            reaudit_date=reaudit,
            extension_count=extensions,
            audiences=[],
            change=change,
            evidence=evidence,
            created_at=lesson.created_at,
            updated_at=when,
            status_changed_at=when,
        )
        self.session.add(action)
        self.session.flush()
        self.actions[action.ref] = action
        return action

    def extension(self, action: Action, until: date, created: datetime) -> None:
        self.session.add(
            ActionExtension(
                action_id=action.id,
                committee=action.committee,
                requested_until=until,
                previous_due=action.due_date,
                reason="Supplier delay",
                created_at=created,
            )
        )

    def trend(
        self,
        number: int,
        dimension: str,
        value: str,
        lessons: list[Lesson],
        *,
        created: datetime,
        committees: tuple[str, ...] = ("PSC",),
        added: datetime | None = None,
        status: str = "open",
    ) -> Trend:
        last = max(lesson.created_at for lesson in lessons)
        trend = Trend(
            ref=f"TR-2026-{number:04d}",
            dimension=dimension,
            value=value,
            status=status,
            lesson_count=len(lessons),
            committees=list(committees),
            created_at=created,
            updated_at=last,
            last_lesson_at=last,
        )
        self.session.add(trend)
        self.session.flush()
        for lesson in lessons:
            joined = max(lesson.created_at, created) if added is None else added
            self.session.add(TrendLesson(trend_id=trend.id, lesson_id=lesson.id, added_at=joined))
        return trend

    def join(self, trend: Trend, lesson: Lesson) -> None:
        """A lesson joins an existing trend as it is created (the trend grows)."""
        self.session.add(
            TrendLesson(trend_id=trend.id, lesson_id=lesson.id, added_at=lesson.created_at)
        )
        trend.last_lesson_at = lesson.created_at
        trend.lesson_count += 1

    def idea(self, number: int, title: str, benefits: list[str], status: str) -> None:
        when = at("2026-11-20T10:00:00+00:00") + timedelta(hours=number)
        self.session.add(
            Idea(
                ref=f"IDEA-2026-{number:04d}",
                kind="bright",
                title=title,
                problem="A problem.",
                proposed_change="A change.",
                expected_benefits=benefits,
                mode="named",
                status=status,
                created_at=when,
                updated_at=when,
                status_changed_at=when,
            )
        )


def seed_register(uow: UnitOfWork) -> Seed:
    """A realistic Patient Safety Committee register on Monday 30 November 2026, with a few
    rows of other committees that must not leak into its digest."""
    s = Seed(uow.session)
    d = date.fromisoformat
    # Lessons awaiting the committee's decision, triage and assurance.
    flush = s.lesson(
        1,
        "Flush syringes mixed up on the trolley",
        status="triaged",
        created=local("2026-11-10"),
        changed=local("2026-11-18", "15:00"),
        process="medicines-storage",
    )
    marking = s.lesson(
        2,
        "Wrong-site marking missed before radiotherapy",
        status="reopened",
        created=local("2026-08-03"),
        changed=local("2026-11-27", "11:00"),
        units=(("department", "radiotherapy-liv"),),
    )
    s.lesson(
        3,
        "Fall in the ward bathroom at night",
        status="submitted",
        created=local("2026-11-28", "02:30"),
        units=(),
    )
    second_check = s.lesson(
        4,
        "Chemotherapy started without a second check",
        status="in_progress",
        created=local("2026-09-01"),
        changed=local("2026-09-20"),
        process="sact-prescribing",
    )
    id_band = s.lesson(
        5,
        "Identity band missing at a SACT unit",
        status="awaiting_assurance",
        created=local("2026-10-06"),
        changed=local("2026-11-25", "16:00"),
        units=(("site", "halton"),),
        process="patient-id",
    )
    oxygen = s.lesson(
        6,
        "Oxygen cylinder empty on transfer",
        status="monitoring",
        created=local("2026-10-20"),
        changed=local("2026-11-27"),
    )
    mscc = s.lesson(
        7,
        "Delayed MSCC referral out of hours",
        status="closed",
        created=local("2026-06-01"),
        changed=local("2026-11-26"),
        process="msc-referral",
    )
    wristband = s.lesson(
        8,
        "Wristband printer out of labels",
        status="in_progress",
        created=local("2026-11-02"),
        process="patient-id",
        units=(("site", "halton"),),
    )
    scanner = s.lesson(
        9,
        "Barcode scanner not used at the bedside",
        status="in_progress",
        created=local("2026-11-24"),
        process="patient-id",
        units=(),
    )
    # Another committee's business: must never appear in the PSC digest.
    complaint = s.lesson(
        20,
        "Complaint about waiting times",
        status="triaged",
        committee="PEC",
        source="complaint",
        created=local("2026-11-25"),
        units=(),
    )

    # Actions: red, amber (due soon and extension pending), long overdue (days and extensions),
    # completion submitted, verified, re-audits due and their results.
    s.action(1, second_check, tier=1, status="in_progress", due=d("2026-11-20"))
    s.action(2, second_check, tier=3, status="assigned", due=d("2026-10-15"), owner=TOM)
    s.action(3, oxygen, tier=2, status="in_progress", due=d("2026-12-05"), measure=None)
    pending = s.action(4, oxygen, tier=4, status="in_progress", due=d("2027-02-01"))
    s.extension(pending, d("2027-03-01"), local("2026-11-26", "09:30"))
    s.action(5, flush, tier=3, status="blocked", due=d("2027-01-29"), owner=KIM, extensions=2)
    s.action(
        6,
        id_band,
        tier=2,
        status="completion_submitted",
        due=d("2026-12-10"),
        changed=local("2026-11-24", "12:00"),
    )
    s.action(
        7,
        oxygen,
        tier=1,
        status="reaudit_scheduled",
        due=d("2026-11-25"),
        verified=local("2026-11-27", "14:00"),
        reaudit=d("2026-12-07"),
        changed=local("2026-11-27", "14:00"),
    )
    s.action(
        8,
        mscc,
        tier=1,
        status="closed",
        due=d("2026-08-01"),
        verified=local("2026-08-05"),
        reaudit=d("2026-11-20"),
        changed=local("2026-11-26", "10:00"),
    )
    s.action(
        9,
        marking,
        tier=1,
        status="reaudit_failed",
        due=d("2026-09-01"),
        verified=local("2026-09-03"),
        reaudit=d("2026-11-25"),
        changed=local("2026-11-27", "11:00"),
    )
    s.action(
        10,
        id_band,
        tier=2,
        status="verified",
        due=d("2026-11-30"),
        verified=local("2026-11-29", "09:00"),
        changed=local("2026-11-29", "09:00"),
    )
    s.action(11, wristband, tier=2, status="in_progress", due=d("2027-03-01"))
    s.action(12, scanner, tier=3, status="cancelled", due=d("2027-03-01"))
    s.action(20, complaint, tier=2, status="in_progress", due=d("2026-10-01"))  # PEC, red

    # Trends: one new with only weak actions, one grown, one old and decided, one old awaiting
    # a decision, one another committee's.
    s.trend(
        1,
        "process",
        "patient-id",
        [id_band, wristband, scanner],
        created=local("2026-11-24", "10:05"),
    )
    ward = s.trend(
        2,
        "department",
        "ward-4",
        [flush, second_check, oxygen],
        created=local("2026-10-20", "10:05"),
        added=local("2026-10-20", "10:05"),
    )
    rails = s.lesson(
        10, "Bed rails left down", status="in_progress", created=local("2026-11-26", "13:00")
    )
    s.join(ward, rails)  # the ward 4 trend grew this week
    s.trend(3, "process", "msc-referral", [mscc], created=local("2026-06-20"), status="accepted")
    s.trend(5, "site", "liverpool", [mscc], created=local("2026-07-01"))
    s.trend(4, "srg", "breast", [complaint], created=local("2026-11-25"), committees=("PEC",))

    # Ideas: open with a safety benefit (any case), patients only, and a closed one.
    s.idea(1, "Colour-coded flush labels", ["safety"], "eligible")
    s.idea(2, "Quieter night rounds", ["patients"], "under_review")
    s.idea(3, "Safer trolley layout", ["Safety", "cost"], "not_progressed")
    s.idea(4, "Bedside scanner holsters", ["staff", "SAFETY"], "submitted")
    uow.session.flush()
    return s


def digest_for(hub: Harness, committee: str = "PSC", now: datetime = MONDAY) -> DigestData:
    with hub.app.uow_factory() as uow:
        return build_digest(uow, hub.app.config, committee, now)


@pytest.fixture
def seeded(hub: Harness) -> Harness:
    with hub.app.uow_factory() as uow:
        seed_register(uow)
        uow.commit()
    return hub


# ---------------------------------------------------------------------- what the digest says


def test_every_section_is_populated_from_the_register(seeded: Harness) -> None:
    data = digest_for(seeded)
    assert data.period.week == "2026-W49"
    assert data.period.today == date(2026, 11, 30)
    h = data.headline
    assert (h.new_lessons, h.awaiting_triage, h.awaiting_decision) == (3, 1, 2)
    assert (h.open_actions, h.red, h.amber, h.verified) == (7, 2, 2, 2)

    assert [(x.ref, x.days_waiting) for x in data.awaiting_decision.items] == [
        ("LL-2026-0001", 12),
        ("LL-2026-0002", 3),
    ]
    assert [(x.action_ref, x.requested_until) for x in data.extensions.items] == [
        ("ACT-2026-0004", date(2027, 3, 1))
    ]
    assert [(x.ref, x.days) for x in data.completions.items] == [("ACT-2026-0006", 6)]
    assert [(x.ref, x.days_waiting) for x in data.awaiting_assurance.items] == [("LL-2026-0005", 5)]
    assert [(x.ref, x.days) for x in data.red.items] == [
        ("ACT-2026-0001", 10),
        ("ACT-2026-0002", 46),
    ]
    assert [(x.ref, x.days, x.extension_pending) for x in data.amber.items] == [
        ("ACT-2026-0003", 5, False),
        ("ACT-2026-0004", 63, True),
    ]
    assert [(x.ref, x.on) for x in data.verified.items] == [
        ("ACT-2026-0010", date(2026, 11, 29)),
        ("ACT-2026-0007", date(2026, 11, 27)),
    ]
    assert [(x.ref, x.owner, x.days, x.extensions) for x in data.long_overdue.items] == [
        ("ACT-2026-0002", "Tom Baker", 46, 0),
        ("ACT-2026-0005", "Kim Jones", -60, 2),
    ]
    assert [(x.ref, x.on, x.days) for x in data.reaudits_due.items] == [
        ("ACT-2026-0007", date(2026, 12, 7), 7)
    ]
    assert [(x.ref, x.passed) for x in data.reaudit_results.items] == [
        ("ACT-2026-0009", False),
        ("ACT-2026-0008", True),
    ]
    assert [x.ref for x in data.ideas.items] == ["IDEA-2026-0004", "IDEA-2026-0001"]
    assert data.lessons_without_unit.items == ("LL-2026-0009", "LL-2026-0003")  # longest first
    assert data.actions_without_measure.items == ("ACT-2026-0003",)


def test_trends_are_new_or_grown_with_counts_a_weekly_series_and_the_weak_flag(
    seeded: Harness,
) -> None:
    trends = {t.ref: t for t in digest_for(seeded).trends.items}
    # Not the old decided one, nor PEC's; the old undecided one every week until decided.
    assert set(trends) == {"TR-2026-0001", "TR-2026-0002", "TR-2026-0005"}
    waiting = trends["TR-2026-0005"]
    assert (waiting.decision, waiting.is_new, waiting.added) == ("open", False, 0)
    assert trends["TR-2026-0001"].decision == "open"
    new = trends["TR-2026-0001"]
    assert (new.is_new, new.lessons, new.added, new.label) == (
        True,
        3,
        3,
        "Positive patient identification",
    )
    # Every live action on its lessons is tier 2 (the cancelled tier 3 is no answer at all).
    assert new.weak_only is True
    # ISO weeks from 14 Sep to this week (30 Nov, so far): created 6 Oct, 2 Nov and 24 Nov.
    assert len(new.weekly) == 12
    assert new.weekly == (0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0)
    grown = trends["TR-2026-0002"]
    assert (grown.is_new, grown.lessons, grown.added, grown.weak_only) == (False, 4, 1, False)
    assert grown.dimension == "Department" and grown.label == "Ward 4 (inpatients)"
    assert sum(grown.weekly) == 3  # 20 Oct, 10 Nov, 26 Nov; 1 Sep is before the 12 weeks


def test_other_committees_rows_never_appear(seeded: Harness) -> None:
    text = render_reply(digest_reply(digest_for(seeded), seeded.app.config)).text
    for foreign in ("LL-2026-0020", "ACT-2026-0020", "TR-2026-0004", "IDEA-2026-0002"):
        assert foreign not in text
    pec = digest_for(seeded, "PEC")
    assert [x.ref for x in pec.awaiting_decision.items] == ["LL-2026-0020"]
    assert [x.ref for x in pec.red.items] == ["ACT-2026-0020"]
    assert [x.ref for x in pec.trends.items] == ["TR-2026-0004"]
    assert [x.ref for x in pec.ideas.items] == ["IDEA-2026-0002"]


def test_golden_text_of_a_realistic_digest(seeded: Harness) -> None:
    reply, charts = digest_replies(digest_for(seeded), seeded.app.config)
    text = f"summary: {reply.summary}\n{render_reply(reply).text}\n"
    # Too full for its pictures: they follow in a message of their own, with their words.
    text += f"--- next message\nsummary: {charts.summary}\n{render_reply(charts).text}\n"
    expected = GOLDEN / "psc_realistic.txt"
    assert_golden(expected, text)


def test_golden_text_of_a_quiet_week(hub: Harness) -> None:
    reply = digest_reply(digest_for(hub, "CEC"), hub.app.config)
    text = f"summary: {reply.summary}\n{render_reply(reply).text}\n"
    expected = GOLDEN / "cec_quiet.txt"
    assert_golden(expected, text)
    assert len(reply.blocks) <= 16  # empty sections collapse to one line each; 4 for charts


def test_open_buttons_name_the_lesson_or_action(seeded: Harness) -> None:
    reply = digest_reply(digest_for(seeded), seeded.app.config)
    buttons = [
        b
        for block in reply.blocks
        if isinstance(block, Items)
        for i in block.items
        for b in i.buttons
    ]
    shown = {(b.action, b.value["ref"]) for b in buttons}
    assert ("lesson.show", "LL-2026-0001") in shown
    assert ("action.show", "ACT-2026-0002") in shown
    assert ("action.show", "ACT-2026-0004") in shown  # the extension request
    assert {b.label for b in buttons} == {"Open"}
    assert not any(isinstance(block, Buttons) for block in reply.blocks)


def test_de_identified_only_long_overdue_owners_are_named(seeded: Harness) -> None:
    reply = digest_reply(digest_for(seeded), seeded.app.config)
    text = " ".join(all_text(reply))
    assert "Tom Baker" in text and "Kim Jones" in text
    others = [p.name for p in seeded.app.config.people if p.name not in ("Tom Baker", "Kim Jones")]
    assert [name for name in others if name in text] == []
    assert "What happened" not in text  # narrative stays out; references and titles only


def test_the_digest_fits_one_message_even_with_many_extra_sections(seeded: Harness) -> None:
    reply = digest_reply(digest_for(seeded), seeded.app.config)
    assert len(reply.blocks) <= MAX_BLOCKS
    data = digest_for(seeded)
    crowded = replace(
        data,
        extra_sections=tuple(
            ExtraSection(f"Alert {n}", "Acknowledged by 90%.", (Item("Alert", f"CA-{n}"),))
            for n in range(10)
        ),
    )
    reply = digest_reply(crowded, seeded.app.config)
    assert len(reply.blocks) == MAX_BLOCKS
    text = render_reply(reply).text
    assert "Shortened to fit one message" in text
    assert reply.blocks[-1] == digest_reply(data, seeded.app.config).blocks[-1]  # the footer


def test_contributors_add_sections_after_the_headline(seeded: Harness) -> None:
    def alerts(_uow: UnitOfWork, _config: OrgConfig, period: Period) -> list[ExtraSection]:
        if period.committee != "PSC":
            return []
        return [ExtraSection("Critical alerts", "1 alert live: 92% acknowledged.")]

    with seeded.app.uow_factory() as uow:
        psc = build_digest(uow, seeded.app.config, "PSC", MONDAY, [alerts])
        cec = build_digest(uow, seeded.app.config, "CEC", MONDAY, [alerts])
    assert [s.title for s in psc.extra_sections] == ["Critical alerts"]
    assert cec.extra_sections == ()
    text = render_reply(digest_reply(psc, seeded.app.config)).text
    assert text.index("== Critical alerts ==") < text.index("== Awaiting the committee")


def test_today_and_the_week_are_the_trusts(hub: Harness) -> None:
    # 23:30 UTC on Saturday 27 June 2027 is already Sunday 28 June in London (BST).
    late = datetime(2027, 6, 27, 23, 30, tzinfo=UTC)
    data = digest_for(hub, "PSC", late)
    assert data.period.today == date(2027, 6, 28)
    assert data.period.since == local("2027-06-21", "00:30")


def test_sparkline() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([0] * 12) == "▁" * 12
    assert sparkline([0, 1, 0, 40]) == "▁▂▁█"  # one lesson still shows above none
    assert sparkline([]) == ""


# ---------------------------------------------------------------------- SQL statements


def bulk_register(uow: UnitOfWork, scale: int, rng: random.Random) -> None:
    """`scale` lessons per committee-week-ish, with actions of every status, trends, ideas."""
    s = Seed(uow.session)
    statuses = ["submitted", "triaged", "in_progress", "awaiting_assurance", "closed", "reopened"]
    action_statuses = [
        "assigned",
        "in_progress",
        "blocked",
        "completion_submitted",
        "verified",
        "reaudit_scheduled",
        "closed",
        "reaudit_failed",
        "cancelled",
    ]
    lessons = []
    for n in range(1, scale + 1):
        created = MONDAY - timedelta(hours=rng.randint(1, 24 * 120))
        lesson = s.lesson(
            n,
            f"Lesson {n}",
            status=rng.choice(statuses),
            created=created,
            changed=created + timedelta(hours=rng.randint(0, 48)),
            committee=rng.choice(["PSC", "PEC", "CEC"]),
            units=rng.choice([(), (("department", "ward-4"),), (("site", "halton"),)]),
        )
        lessons.append(lesson)
        for k in range(3):
            status = rng.choice(action_statuses)
            done = status in ("verified", "reaudit_scheduled", "closed", "reaudit_failed")
            action = s.action(
                n * 3 + k,
                lesson,
                tier=rng.randint(1, 4),
                status=status,
                due=MONDAY.date() + timedelta(days=rng.randint(-60, 60)),
                measure=rng.choice([None, "A measure"]),
                verified=MONDAY - timedelta(days=rng.randint(1, 20)) if done else None,
                reaudit=MONDAY.date() + timedelta(days=rng.randint(-5, 20)),
                changed=MONDAY - timedelta(days=rng.randint(1, 20)),
                extensions=rng.choice([0, 0, 1, 2]),
            )
            if rng.random() < 0.1:
                s.extension(action, action.due_date + timedelta(days=30), created)
    for t in range(1, max(2, scale // 10) + 1):
        members = rng.sample(lessons, 3)
        s.trend(
            t, "department", "ward-4", members, created=MONDAY - timedelta(days=rng.randint(1, 30))
        )
    for i in range(1, max(2, scale // 10) + 1):
        s.idea(i, f"Idea {i}", [rng.choice(["safety", "patients", "staff"])], "eligible")
    uow.session.flush()


def statements_to_build(engine: Engine, uow_factory: Any, config: OrgConfig) -> int:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with uow_factory() as uow:
        uow.session.connection()  # begin first, so only the digest's own statements count
        event.listen(engine, "before_cursor_execute", count)
        try:
            data = build_digest(uow, config, "PSC", MONDAY)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert data.red.total and data.trends.total and data.ideas.total
    return len(seen)


def test_statement_count_does_not_grow_with_the_data(hub: Harness) -> None:
    rng = random.Random(7)
    with hub.app.uow_factory() as uow:
        bulk_register(uow, 40, rng)
        uow.commit()
    small = statements_to_build(hub.app.engine, hub.app.uow_factory, hub.app.config)
    with hub.app.uow_factory() as uow:
        uow.session.execute(Lesson.__table__.delete())
        uow.session.execute(Trend.__table__.delete())
        uow.session.execute(Idea.__table__.delete())
        bulk_register(uow, 400, rng)
        uow.commit()
    large = statements_to_build(hub.app.engine, hub.app.uow_factory, hub.app.config)
    assert small == large
    # 20, the declined list, who can act, the stuck reminders; 6 for the charts (the sealing
    # key, where the register starts, the lessons, the actions and their extensions)
    assert large <= 29


# ---------------------------------------------------------------------- the schedule


def digest_tick(hub: Harness, when: datetime, config: OrgConfig | None = None) -> int:
    hub.clock.set(when)
    services = hub.app.services
    if config is not None:
        services = Services(config=config, clock=hub.clock, registry=services.registry)
    with hub.app.uow_factory() as uow:
        report = tick(Context(services, uow, SYSTEM, "test"), [CommitteeDigestRule()])
        uow.commit()
    return report.raised.get("committee_digest", 0)


def sent_occasions(hub: Harness) -> list[tuple[str, str]]:
    with hub.app.uow_factory() as uow:
        rows = uow.session.execute(
            select(ReminderSent.item_key, ReminderSent.occasion)
            .where(ReminderSent.rule == "committee_digest")
            .order_by(ReminderSent.id)
        )
        return [(key, occasion) for key, occasion in rows]


def test_fires_at_monday_0800_london_in_winter_not_at_0759(hub: Harness) -> None:
    assert digest_tick(hub, local("2026-11-30", "07:59")) == 0
    assert digest_tick(hub, local("2026-11-30", "08:00")) == 3
    assert sent_occasions(hub) == [("PSC", "2026-W49"), ("PEC", "2026-W49"), ("CEC", "2026-W49")]
    hub.deliver()
    posted = hub.platform.to("#psc")
    assert [r.summary for r in posted] == [
        "Patient Safety Committee digest, week 2026-W49: no new lessons, none awaiting decision, "
        "no red actions."
    ]
    assert hub.platform.to(HELEN) == posted  # and DMed to the chair
    assert len(hub.platform.to(RUTH)) == 1  # CEC's chair has CEC's
    assert len(hub.platform.to("#cec")) == 1 and len(hub.platform.to("#pec")) == 1


def test_fires_at_0800_bst_in_summer(hub: Harness) -> None:
    # Monday 7 June 2027: 08:00 in London is 07:00 UTC.
    assert digest_tick(hub, at("2027-06-07T06:59:00+00:00")) == 0
    assert digest_tick(hub, at("2027-06-07T07:00:00+00:00")) == 3
    assert sent_occasions(hub)[0] == ("PSC", "2027-W23")


def test_the_monday_after_the_clocks_go_back(hub: Harness) -> None:
    # Clocks go back on Sunday 31 October 2027; Monday 1 November 08:00 GMT is 08:00 UTC.
    assert digest_tick(hub, at("2027-11-01T07:00:00+00:00")) == 0  # 07:00 GMT
    assert digest_tick(hub, at("2027-11-01T08:00:00+00:00")) == 3


def test_no_digest_for_a_week_before_installation(hub: Harness) -> None:
    """Installed on Thursday 26 November: that Monday's slot passed before QI Hub existed."""
    assert digest_tick(hub, local("2026-11-26", "09:30")) == 0
    assert digest_tick(hub, local("2026-11-30", "08:00")) == 3


def test_once_per_week(hub: Harness) -> None:
    assert digest_tick(hub, local("2026-11-30", "08:00")) == 3
    assert digest_tick(hub, local("2026-11-30", "08:01")) == 0
    assert digest_tick(hub, local("2026-12-03", "12:00")) == 0
    assert digest_tick(hub, local("2026-12-06", "23:59")) == 0
    assert digest_tick(hub, local("2026-12-07", "07:59")) == 0
    assert digest_tick(hub, local("2026-12-07", "08:00")) == 3
    assert [o for k, o in sent_occasions(hub) if k == "PSC"] == ["2026-W49", "2026-W50"]
    with hub.app.uow_factory() as uow:
        channel_posts = uow.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.channel == "psc")
        )
    assert channel_posts == 2


def test_catches_up_after_downtime_that_week_only(hub: Harness) -> None:
    # The clock was down all Monday; it comes back on Wednesday and sends this week's digest.
    assert digest_tick(hub, local("2026-12-02", "10:15")) == 3
    assert sent_occasions(hub)[0] == ("PSC", "2026-W49")
    assert digest_tick(hub, local("2026-12-04", "10:15")) == 0
    # Down from Thursday to the next Monday 07:00: W50's slot has not come, and W49's is gone.
    assert digest_tick(hub, local("2026-12-14", "07:00")) == 0  # W51, before its slot
    assert digest_tick(hub, local("2026-12-14", "08:30")) == 3
    assert [o for k, o in sent_occasions(hub) if k == "PSC"] == ["2026-W49", "2026-W51"]


def test_a_digest_built_on_catch_up_reports_as_of_the_catch_up(seeded: Harness) -> None:
    assert digest_tick(seeded, local("2026-12-01", "09:00")) == 3
    seeded.deliver()
    reply, charts = seeded.platform.to("#psc")  # full: its charts follow in a message of their own
    assert "the 7 days to 1 Dec 2026" in render_reply(reply).text
    assert [b.title for b in charts.blocks if isinstance(b, Image)] == [
        "Lessons per week: committee PSC",
        "Overdue actions at each week's end (PSC)",
    ]
    assert "Charts and tables: http://localhost:3000/reports/PSC" in render_reply(charts).text


def committees_config(base: OrgConfig) -> OrgConfig:
    data = base.model_dump(mode="python")
    data["committees"]["CEC"]["digest"] = {"weekday": "wednesday", "time": "14:30"}
    data["committees"]["PEC"]["digest"] = {"weekday": "friday", "time": "07:00"}
    return parse_config(data)


def test_committees_keep_their_own_schedules(hub: Harness) -> None:
    config = committees_config(hub.app.config)
    assert digest_tick(hub, local("2026-11-30", "08:00"), config) == 1  # PSC, Monday 08:00
    assert digest_tick(hub, local("2026-12-02", "14:29"), config) == 0
    assert digest_tick(hub, local("2026-12-02", "14:30"), config) == 1  # CEC, Wednesday
    # PEC's slot (Friday 07:00) falls in quiet hours (until 08:00): built when they end, so it
    # reports as of 08:00 rather than being built at 07:00 and held.
    assert digest_tick(hub, local("2026-12-04", "07:00"), config) == 0
    assert digest_tick(hub, local("2026-12-04", "08:00"), config) == 1
    assert sent_occasions(hub) == [("PSC", "2026-W49"), ("CEC", "2026-W49"), ("PEC", "2026-W49")]
    with hub.app.uow_factory() as uow:
        sent = uow.session.scalars(
            select(OutboxMessage.next_attempt_at).where(OutboxMessage.channel == "pec")
        ).all()
    assert sent == [None] or sent == [local("2026-12-04", "08:00")]


def test_a_sunday_night_slot_goes_out_on_monday_morning_as_its_own_week(hub: Harness) -> None:
    data = hub.app.config.model_dump(mode="python")
    data["committees"]["PEC"]["digest"] = {"weekday": "sunday", "time": "22:00"}
    config = parse_config(data)
    digest_tick(hub, local("2026-11-30", "08:00"), config)  # PSC and CEC's W49
    pec_before = [o for k, o in sent_occasions(hub) if k == "PEC"]
    assert "2026-W49" not in pec_before
    assert digest_tick(hub, local("2026-12-06", "22:00"), config) == 0  # PEC: quiet hours
    assert digest_tick(hub, local("2026-12-07", "07:59"), config) == 0
    assert digest_tick(hub, local("2026-12-07", "08:00"), config) == 3  # PEC's W49, then W50's
    assert [o for k, o in sent_occasions(hub) if k == "PEC"] == [*pec_before, "2026-W49"]
    assert digest_tick(hub, local("2026-12-07", "09:00"), config) == 0  # once


def test_no_chair_in_the_directory_still_posts_to_the_channel(hub: Harness) -> None:
    with hub.app.uow_factory() as uow:
        chair = uow.staff.by_email(HELEN)
        assert chair is not None
        chair.active = False
        uow.commit()
    assert digest_tick(hub, local("2026-11-30", "08:00")) == 3
    hub.deliver()
    assert len(hub.platform.to("#psc")) == 1
    assert hub.platform.to(HELEN) == []


def test_the_rule_is_in_the_catalogue_and_the_alerts_section_in_the_registry() -> None:
    (rule,) = [r for r in reminder_rules() if r.name == "committee_digest"]
    assert isinstance(rule, CommitteeDigestRule)
    assert rule.urgent is False
    assert alerts_section in build_registry(load_config()).digest_sections
    assert "committee_digest" in load_config().reminders
    assert iso_week(date(2027, 1, 3)) == "2026-W53"
