"""The SPC series (handlers/spc/series.py) on a seeded register, on both databases: lessons
per week by source, committee, site, department and process with the quiet weeks as zeros;
the % of open actions overdue at each week's end, as it stood then; and days from a lesson to
its first verified change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from bot.app import create_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.context import SYSTEM, Context
from handlers.spc import Improvement
from handlers.spc.series import (
    Series,
    all_series,
    days_to_verified_change,
    lesson_counts,
    overdue_percentage,
    periods,
)
from store.models import ActionExtension
from tests.harness import Harness
from tests.test_digest import Seed

WEEKS = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
"""From the register's first lesson to the week holding the harness's start (Thu 26 Nov)."""


def at(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+00:00")  # London is on GMT in November


def seed_register(hub: Harness) -> None:
    with hub.app.uow_factory() as uow:
        seed = Seed(uow.session)
        first = seed.lesson(
            1,
            "Flushes mixed up",
            status="in_progress",
            created=at("2026-11-02T10:00"),
            units=(("site", "liverpool"), ("department", "ward-4")),
            process="patient-id",
        )
        second = seed.lesson(
            2,
            "Late call back",
            status="in_progress",
            created=at("2026-11-08T23:30"),  # Sunday night: still the first week
            committee="PEC",
            source="complaint",
            units=(("site", "wirral"),),
        )
        seed.lesson(
            3,
            "A duplicate",
            status="merged",  # merged into another: not counted twice
            created=at("2026-11-17T10:00"),
            units=(("site", "liverpool"),),
        )
        seed.lesson(
            4,
            "Wrong label",
            status="triaged",
            created=at("2026-11-23T00:30"),  # Monday: the current week
            units=(("site", "liverpool"),),
        )
        # Overdue at each week's end: A1 from week 2 on; A2 verified in week 2; A3 was overdue
        # in week 1 (due 5 Nov) until an extension to 20 Nov was approved on 14 Nov.
        seed.action(1, first, tier=2, status="in_progress", due=date(2026, 11, 10))
        a2 = seed.action(
            2,
            first,
            tier=3,
            status="verified",
            due=date(2026, 11, 12),
            verified=at("2026-11-11T10:00"),
            changed=at("2026-11-11T10:00"),
        )
        a2.completed_at = at("2026-11-10T10:00")
        a3 = seed.action(3, first, tier=3, status="assigned", due=date(2026, 11, 20))
        uow.session.add(
            ActionExtension(
                action_id=a3.id,
                committee="PSC",
                requested_until=date(2026, 11, 20),
                previous_due=date(2026, 11, 5),
                reason="Supplier delay",
                status="approved",
                created_at=at("2026-11-12T10:00"),
                decided_at=at("2026-11-14T10:00"),
            )
        )
        # A6: its completion was sent back (it is with its owner again): overdue throughout.
        a6 = seed.action(6, first, tier=3, status="in_progress", due=date(2026, 11, 3))
        a6.completed_at = at("2026-11-02T12:00")
        # Second lesson: first change verified on 25 Nov (17 days), a later one ignored.
        for number, verified in ((4, "2026-11-25T23:30"), (5, "2026-11-26T08:00")):
            done = seed.action(
                number,
                second,
                tier=3,
                status="verified",
                due=date(2026, 11, 30),
                verified=at(verified),
                changed=at(verified),
            )
            done.completed_at = at("2026-11-24T10:00")
        uow.commit()


@pytest.fixture
def ctx(hub: Harness) -> Iterator[Context]:
    seed_register(hub)
    with hub.app.uow_factory() as uow:
        yield Context(hub.app.services, uow, SYSTEM, "test")


def by_value(found: list[Series], value: str) -> list[float]:
    [series] = [s for s in found if s.value == value]
    return [v for _, v in series.points]


def test_periods_run_from_the_first_lesson_to_this_week(ctx: Context) -> None:
    spans = periods(ctx)
    assert [p.first_day for p in spans] == WEEKS
    assert spans[0].start == at("2026-11-02T00:00")
    assert spans[-1].end == at("2026-11-30T00:00")


def test_lessons_per_week_by_each_dimension_with_zero_weeks(ctx: Context) -> None:
    sites = lesson_counts(ctx, "site")
    assert by_value(sites, "liverpool") == [1, 0, 0, 1]  # the merged duplicate is not counted
    assert by_value(sites, "wirral") == [1, 0, 0, 0]
    assert by_value(sites, "halton") == [0, 0, 0, 0]  # a configured site with no lessons
    assert by_value(lesson_counts(ctx, "department"), "ward-4") == [1, 0, 0, 0]
    assert by_value(lesson_counts(ctx, "committee"), "PEC") == [1, 0, 0, 0]
    assert by_value(lesson_counts(ctx, "committee"), "PSC") == [1, 0, 0, 1]
    assert by_value(lesson_counts(ctx, "source"), "complaint") == [1, 0, 0, 0]
    assert by_value(lesson_counts(ctx, "process"), "patient-id") == [1, 0, 0, 0]
    [liverpool] = [s for s in sites if s.value == "liverpool"]
    assert liverpool.title == "Lessons per week: site Clatterbridge Cancer Centre - Liverpool"
    assert liverpool.label == "Clatterbridge Cancer Centre - Liverpool"
    assert liverpool.improvement is Improvement.DECREASE
    assert [p for p, _ in liverpool.points] == WEEKS


def test_overdue_percentage_as_it_stood_at_each_weeks_end(ctx: Context) -> None:
    series = overdue_percentage(ctx)
    # week 1: A1-A6 open, A3 (due 5 Nov then) and A6 overdue; week 2: A1 and A6 of A1 A3 A4 A5
    # A6; week 3: A1, A3 (extended to 20 Nov) and A6 of five; now: A1, A3, A6, the only open.
    assert [v for _, v in series.points] == pytest.approx([100 / 3, 40.0, 60.0, 100.0])
    assert series.unit == "% overdue"
    assert by_value([overdue_percentage(ctx, "PEC")], "PEC") == [0.0, 0.0, 0.0]


def test_days_to_first_verified_change(ctx: Context) -> None:
    series = days_to_verified_change(ctx)
    assert series.points == (
        (WEEKS[1], pytest.approx(9.0)),
        (WEEKS[3], pytest.approx(17.0)),
    )
    chart = series.chart()
    assert chart is not None and chart.mean == pytest.approx(13.0)


def test_every_series_has_a_title_and_a_chart(ctx: Context) -> None:
    found = all_series(ctx)
    keys = [s.key for s in found]
    assert "lessons.site.liverpool" in keys and keys[-2:] == [
        "actions.overdue_pct",
        "lessons.days_to_change",
    ]
    for series in found:
        assert series.title
        chart = series.chart()
        assert chart is not None
        # A mostly-zero series is a run chart: no limits, no icon, its verdict says so.
        assert chart.icon if not chart.sparse else chart.icon == "" and "Run chart" in chart.verdict


def test_a_longer_period_is_configurable(
    hub: Harness, db_url: str, clock: ManualClock, config: OrgConfig
) -> None:
    seed_register(hub)
    fortnightly = config.model_copy(
        update={"spc": config.spc.model_copy(update={"period_days": 14})}
    )
    app = create_app(Settings(database_url=db_url, _env_file=None), clock=clock, config=fortnightly)
    try:
        with app.uow_factory() as uow:
            ctx = Context(app.services, uow, SYSTEM, "test")
            sites = lesson_counts(ctx, "site")
            assert by_value(sites, "liverpool") == [1, 1]  # fortnights from 2 and 16 Nov
            assert sites[0].title.startswith("Lessons per fortnight: ")
    finally:
        app.engine.dispose()
