"""Weekly series of aggregate figures, from the store, for SPC charts.

Weeks are the trust's (Monday 00:00 in config.zone to the next Monday) and only complete
weeks are charted: a week still running would always look low. Each series carries which way
is better (Making Data Count's "improvement direction"), which decides the colour of its
special-cause points.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from handlers.actions.lifecycle import ActionStatus
from handlers.config import OrgConfig
from store.repos.reports import ActionDates
from store.uow import UnitOfWork

WEEKS = 26
"""Half a year of weekly points: enough for XmR limits that are not trial limits (13+)."""
ENDED = (ActionStatus.CANCELLED.value,)
"""Statuses that end an action without completing it (it is then overdue no longer)."""


@dataclass(frozen=True)
class Series:
    key: str
    title: str
    unit: str
    """What one value counts, for the alt text ("lessons", "actions", "days", "%")."""
    better: str
    """"increase", "decrease" or "neither" (spc.Improvement's values)."""
    points: tuple[tuple[date, float], ...]
    """(first day of the week, or the day of the event, value), oldest first."""


@dataclass(frozen=True)
class Week:
    monday: date
    start: datetime
    end: datetime


def complete_weeks(config: OrgConfig, today: date, count: int = WEEKS) -> list[Week]:
    """The `count` complete weeks before the one containing `today`, oldest first."""
    this_monday = today - timedelta(days=today.weekday())
    weeks = []
    for back in range(count, 0, -1):
        monday = this_monday - timedelta(weeks=back)
        weeks.append(
            Week(
                monday,
                datetime.combine(monday, time(0), config.zone),
                datetime.combine(monday + timedelta(days=7), time(0), config.zone),
            )
        )
    return weeks


def _per_week(weeks: list[Week], moments: Iterable[datetime]) -> list[int]:
    counts = [0] * len(weeks)
    for moment in moments:
        for n, week in enumerate(weeks):
            if week.start <= moment < week.end:
                counts[n] += 1
                break
    return counts


def overdue_at(actions: Iterable[ActionDates], moment: datetime, day: date) -> int:
    """Actions overdue at `moment` (local date `day`): agreed, due before `day`, and neither
    completed nor cancelled by then."""
    total = 0
    for a in actions:
        if a.created_at >= moment or a.due_date >= day:
            continue
        if a.completed_at is not None and a.completed_at < moment:
            continue
        if a.status in ENDED and a.status_changed_at < moment:
            continue
        total += 1
    return total


def lessons_series(
    uow: UnitOfWork, config: OrgConfig, committees: Collection[str], weeks: list[Week]
) -> Series:
    found = uow.reports.lessons_reported(committees, weeks[0].start, weeks[-1].end)
    counts = _per_week(weeks, (at for _, at in found))
    return Series(
        "lessons",
        "Lessons reported each week",
        "lessons",
        "neither",  # more reporting is not worse: Making Data Count calls this "neither"
        tuple((w.monday, float(c)) for w, c in zip(weeks, counts, strict=True)),
    )


def overdue_series(actions: list[ActionDates], weeks: list[Week]) -> Series:
    points = tuple((w.monday, float(overdue_at(actions, w.end, w.end.date()))) for w in weeks)
    return Series(
        "overdue", "Overdue actions at the end of each week", "actions", "decrease", points
    )


def time_to_action_series(actions: list[ActionDates], weeks: list[Week]) -> Series:
    """Median days from a lesson's report to each action agreed in the week (weeks with no
    action agreed have no point)."""
    points = []
    for week in weeks:
        days = [
            (a.created_at - a.lesson_reported_at).total_seconds() / 86400
            for a in actions
            if week.start <= a.created_at < week.end
        ]
        if days:
            points.append((week.monday, round(statistics.median(days), 1)))
    return Series(
        "time_to_action",
        "Median days from a lesson's report to an agreed action, by week",
        "days",
        "decrease",
        tuple(points),
    )


def stronger_series(config: OrgConfig, actions: list[ActionDates], weeks: list[Week]) -> Series:
    """Share of the week's agreed actions in a "stronger" tier (weeks with none: no point)."""
    stronger = {t.number for t in config.tiers if t.strength == "stronger"}
    points = []
    for week in weeks:
        agreed = [a for a in actions if week.start <= a.created_at < week.end]
        if agreed:
            share = 100 * sum(1 for a in agreed if a.tier in stronger) / len(agreed)
            points.append((week.monday, round(share, 1)))
    return Series(
        "stronger",
        "Actions agreed in a stronger tier, % by week",
        "%",
        "increase",
        tuple(points),
    )


def committee_series(
    uow: UnitOfWork, config: OrgConfig, committees: Collection[str], today: date
) -> tuple[Series, ...]:
    """The charts a committee (or, with several codes, the board) sees every week."""
    weeks = complete_weeks(config, today)
    actions = uow.reports.actions_since(committees, weeks[0].start, weeks[-1].end, ENDED)
    return (lessons_series(uow, config, committees, weeks), overdue_series(actions, weeks))
