"""Site and department trends by special cause (handlers/spc/trends.py), through a real lesson
submitted to the bot on a register seeded with weeks of history: a shift raises a trend,
Poisson noise does not, and [trends] rule = "count" still counts."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import create_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from handlers.spc import Improvement, Variation, xmr
from messages.text import render_reply
from store.models import AuditEntry, Trend
from tests.conftest import START
from tests.harness import Harness, submit_lesson
from tests.test_digest import Seed

UNITS = (("site", "liverpool"), ("department", "ward-4"))
"""Where the harness's lesson (tests.harness.LESSON) happened."""
WEEK_START = datetime(2026, 11, 23, 8, 0, tzinfo=START.tzinfo)
"""Monday of the week the test lesson is submitted in (START is that Thursday)."""


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: enough for test data, and no numpy."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def seed_weeks(hub: Harness, counts: list[int], first: int = 5000) -> None:
    """Lessons about ward 4 at Liverpool: counts[-1] in the current week before the test
    lesson, the others one week apart before it."""
    with hub.app.uow_factory() as uow:
        seed = Seed(uow.session)
        number = first
        for back, count in enumerate(reversed(counts)):
            monday = WEEK_START - timedelta(weeks=back)
            for k in range(count):
                number += 1
                seed.lesson(
                    number,
                    f"Seeded lesson {number}",
                    status="triaged",
                    created=monday + timedelta(hours=k),
                    units=UNITS,
                )
        uow.commit()


def trends(hub: Harness) -> list[Trend]:
    with hub.app.uow_factory() as uow:
        found = list(uow.session.scalars(select(Trend).order_by(Trend.id)))
        uow.session.expunge_all()
        return found


def raised_reasons(hub: Harness) -> dict[str, tuple[str, str]]:
    with hub.app.uow_factory() as uow:
        rows = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "trend", AuditEntry.action == "raised"
            )
        )
        return {r.after["dimension"]: (r.after["rule"], r.after["reason"]) for r in rows}


SHIFT = [*[2, 3, 1, 2, 3, 2, 1, 2, 3, 2, 2, 1], *[5, 4, 5, 6, 5, 4], 4]
"""Twelve quiet weeks, then six busy ones; the current week already has four lessons."""


def test_a_shift_raises_site_and_department_trends(hub: Harness) -> None:
    seed_weeks(hub, SHIFT)
    submit_lesson(hub, process="")
    found = {(t.dimension, t.value) for t in trends(hub)}
    assert found == {("site", "liverpool"), ("department", "ward-4")}
    reasons = raised_reasons(hub)
    assert reasons["department"][0] == "spc"
    assert "shift" in reasons["department"][1]


def test_the_message_says_what_the_chart_saw(hub: Harness) -> None:
    """Under the spc rule the committee reads why, in plain words: not a count in 90 days."""
    seed_weeks(hub, SHIFT)
    submit_lesson(hub, process="")
    hub.deliver()
    said = [" ".join(render_reply(r).text.split()) for r in hub.platform.to("#psc")]
    raised = [t for t in said if "New trend" in t]
    assert any(
        "lessons about the ward/department 'Ward 4 (inpatients)' this week are above the usual "
        "range "
        "(special cause: "
        in t
        and "a run of 7 weeks above the average" in t
        for t in raised
    ), raised
    assert not any("within 90 days" in t for t in raised)


def test_the_same_weeks_before_the_shift_raise_nothing(hub: Harness) -> None:
    seed_weeks(hub, [*SHIFT[:12], 1])
    submit_lesson(hub, process="")
    assert trends(hub) == []


def test_a_fall_is_special_cause_but_no_trend(hub: Harness) -> None:
    seed_weeks(hub, [*[5, 4, 5, 6, 5, 4, 5, 6, 4, 5, 6, 5], *[2, 1, 2, 1, 2, 1], 0])
    submit_lesson(hub, process="")  # the 7th quiet week: a shift, in the better direction
    assert trends(hub) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_poisson_noise_raises_no_trend(hub: Harness, seed: int) -> None:
    rng = random.Random(seed)
    counts = [poisson(rng, 3.0) for _ in range(20)]
    seed_weeks(hub, counts)
    submit_lesson(hub, process="")
    # The count rule would have raised both: dozens of lessons within 90 days.
    assert trends(hub) == []


def test_noise_rarely_signals_at_the_latest_point() -> None:
    """Across 400 seeded Poisson series (mean 3 a week, 26 weeks) the latest point is a
    concerning special cause about 1.5% of the time: the false-alarm rate docs/spc.md quotes."""
    alarms = 0
    for seed in range(400):
        rng = random.Random(seed)
        points = [
            (date(2026, 1, 5) + timedelta(weeks=i), float(poisson(rng, 3.0))) for i in range(26)
        ]
        chart = xmr(points, Improvement.DECREASE)
        alarms += chart.variation is Variation.CONCERNING
    assert alarms / 400 < 0.03


def test_too_little_history_falls_back_to_counting(hub: Harness) -> None:
    seed_weeks(hub, [1, 0, 1])  # three weeks: too few for limits
    submit_lesson(hub, process="")
    assert {t.dimension for t in trends(hub)} == {"site", "department"}
    rule, reason = raised_reasons(hub)["site"]
    assert rule == "count"
    assert "SPC needs 12 weeks of history" in reason


def test_mostly_empty_weeks_fall_back_to_counting(hub: Harness) -> None:
    seed_weeks(hub, [1, *[0] * 14])
    submit_lesson(hub, process="")  # two lessons within 90 days: under the count of three
    assert trends(hub) == []
    seed_weeks(hub, [*[0] * 14, 1], first=6000)
    submit_lesson(hub, process="")
    rule, reason = raised_reasons(hub)["site"]
    assert (rule, "too rare for an XmR chart" in reason) == ("count", True)


@pytest.fixture
def count_hub(db_url: str, clock: ManualClock, config: OrgConfig) -> Iterator[Harness]:
    counting = config.model_copy(
        update={"trends": config.trends.model_copy(update={"rule": "count"})}
    )
    app = create_app(Settings(database_url=db_url, _env_file=None), clock=clock, config=counting)
    app.sync_directory()
    yield Harness(app, clock)
    app.engine.dispose()


def test_the_count_rule_still_works(count_hub: Harness) -> None:
    rng = random.Random(1)
    seed_weeks(count_hub, [poisson(rng, 3.0) for _ in range(20)])
    submit_lesson(count_hub, process="")
    assert {t.dimension for t in trends(count_hub)} == {"site", "department"}
    rule, reason = raised_reasons(count_hub)["department"]
    assert rule == "count" and "within 90 days" in reason


def test_a_clock_at_start_is_a_thursday() -> None:
    assert START.weekday() == 3 and WEEK_START.weekday() == 0
