"""Trends across sources: raised once, grown as lessons join, flagged when only weak actions."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from store.models import Trend
from tests.harness import ALEX, KIM, TOM, Harness, submit_lesson
from tests.lessons_flow import add_action, card, decided_lesson


def trends(hub: Harness) -> list[Trend]:
    with hub.app.uow_factory() as uow:
        found = list(uow.session.scalars(select(Trend).order_by(Trend.id)))
        uow.session.expunge_all()
        return found


def posts(hub: Harness, channel: str, phrase: str) -> list[str]:
    hub.deliver()
    return [r.summary for r in hub.platform.to(channel) if phrase in r.summary]


def test_three_lessons_on_one_process_raise_a_trend_once(hub: Harness) -> None:
    base = {"sites": [], "departments": [], "process": "patient-id"}
    submit_lesson(hub, **base, source="complaint")  # PEC
    submit_lesson(hub, who=TOM, **base, source="lfpse_event")  # PSC
    assert trends(hub) == []
    submit_lesson(hub, who=KIM, **base, source="clinical_audit")  # CEC
    [trend] = trends(hub)
    assert (trend.dimension, trend.value, trend.lesson_count) == ("process", "patient-id", 3)
    assert trend.committees == ["CEC", "PEC", "PSC"]
    for channel in ("#psc", "#pec", "#cec"):
        assert posts(hub, channel, "New trend") == [
            "New trend TR-2026-0001: 3 lessons about the process 'Positive patient "
            "identification' within 90 days"
        ]
    submit_lesson(hub, **base)
    [grown] = trends(hub)
    assert grown.lesson_count == 4
    assert posts(hub, "#psc", "Trend grew") == [
        "Trend grew TR-2026-0001: 4 lessons about the process 'Positive patient "
        "identification' within 90 days"
    ]


def test_lessons_outside_the_window_do_not_count(hub: Harness) -> None:
    base = {"sites": [], "departments": ["ward-5"], "process": ""}
    submit_lesson(hub, **base)
    submit_lesson(hub, **base)
    hub.clock.advance(timedelta(days=91))
    submit_lesson(hub, **base)
    assert trends(hub) == []


def test_site_and_department_trends_are_separate(hub: Harness) -> None:
    for who in (ALEX, TOM, KIM):
        submit_lesson(hub, who=who, process="")
    found = sorted((t.dimension, t.value) for t in trends(hub))
    assert found == [("department", "ward-4"), ("site", "liverpool")]


def test_a_trend_answered_only_by_weak_actions_is_flagged(hub: Harness) -> None:
    first = decided_lesson(hub, ["2"])
    add_action(hub, first, 2)
    second = decided_lesson(hub, ["2"])
    add_action(hub, second, 2)
    assert trends(hub) == []
    third = decided_lesson(hub, ["2", "3"])  # the third lesson raises the trend
    hub.deliver()
    weak = [r for r in hub.platform.to("#psc") if r.summary.startswith("New trend")]
    assert weak and any("Only weak actions so far" in str(b) for b in weak[-1].blocks)
    assert card(hub, TOM, third).summary.startswith(third)
