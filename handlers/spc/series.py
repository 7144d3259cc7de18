"""The series the trust charts: lessons per period by source, committee, site, department and
process; open actions overdue at each period's end (as a count and as a % of those open); days
from a lesson being reported to each action agreed, and to its first verified change; and the
share of actions agreed in a stronger tier. Periods are the trust's (Mondays in its zone, every
[spc] period_days days, the last one still running unless whole periods are asked for); a period
with no lessons is a 0, never a gap, because a quiet week is data. Measures that are undefined
in a period (no open actions, no action agreed) have a gap there: a missing point is not a zero.

This is the one place these are defined: the trend rule, the committee digest's charts, the
reports pages and the board pack all read them from here (docs/spc.md, "The series")."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from handlers.actions.lifecycle import ACTION_OPEN, FINISHED, WORKING
from handlers.config import OrgConfig
from handlers.lessons.lifecycle import LessonStatus
from handlers.spc.xmr import Improvement, XmrChart, spc_chart
from store.repos.spc import ActionFact, LessonFact
from store.uow import UnitOfWork


class Source(Protocol):
    """What a series is read from: a handler's Context, or `At` where there is none (the
    digest as the clock builds it, the reports pages)."""

    @property
    def uow(self) -> UnitOfWork: ...

    @property
    def config(self) -> OrgConfig: ...

    @property
    def now(self) -> datetime: ...


@dataclass(frozen=True)
class At:
    uow: UnitOfWork
    config: OrgConfig
    now: datetime


ANCHOR = date(2024, 1, 1)
"""A Monday: periods of any length start a whole number of periods from it, so they never move."""
EXCLUDED = (LessonStatus.MERGED.value,)
"""A merged lesson is a duplicate of the one it joined: counting it would count one event twice."""
REPORT_PERIODS = 26
"""The committee digest's and reports pages' charts: the last 26 whole periods (half a year of
weeks: enough for limits that are not trial limits, 13+)."""
DIMENSIONS = ("source", "committee", "site", "department", "process")
UNIT_DIMENSIONS = ("site", "department")
"""Dimensions read from a lesson's org units (the others are columns of the lesson)."""
DIMENSION_TITLES = {
    "source": "source",
    "committee": "committee",
    "site": "site",
    "department": "ward/department",
    "process": "process",
    "srg": "Site Reference Group",
}


@dataclass(frozen=True)
class Period:
    """One point's span: [start, end) as instants, and its first and last local days."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Series:
    """A measure over the periods, with what a chart needs to label it."""

    key: str
    """Stable id, e.g. "lessons.site.liverpool", "actions.overdue_pct", "lessons.days_to_change"."""
    title: str
    """e.g. "Lessons per week: site Liverpool"."""
    unit: str
    """What a value counts: "lessons", "% overdue", "days"."""
    improvement: Improvement
    points: tuple[tuple[date, float], ...]
    """(first day of the period, value), oldest first."""
    dimension: str | None = None
    value: str | None = None
    label: str = ""
    """The value's display name (the site's name, the source's label)."""
    periods: tuple[Period, ...] = field(default=(), repr=False)

    def chart(self) -> XmrChart | None:
        """Its chart, None with no points: an XmR chart, or a run chart without limits when most
        values are 0 (handlers/spc/xmr.py::spc_chart; every reader of a series goes through
        here, so the chart, its words, the CSV and the trend rule agree)."""
        if not self.points:
            return None
        return spc_chart(self.points, self.improvement)


def period_name(period_days: int) -> str:
    return {7: "week", 14: "fortnight", 28: "4 weeks"}.get(period_days, f"{period_days} days")


def periods(
    ctx: Source,
    *,
    start: datetime | None = None,
    count: int | None = None,
    before: date | None = None,
) -> list[Period]:
    """The periods from `start` (or the register's first lesson), at most `count` ([spc]
    periods) of them, ending with the one that holds now; with `before`, ending with the last
    whole period before the one holding that day (a period still running always looks low)."""
    settings = ctx.config.spc
    zone = ctx.config.zone
    step = settings.period_days
    today = ctx.now.astimezone(zone).date()
    last = (today - ANCHOR).days // step
    if before is not None:
        last = (before - ANCHOR).days // step - 1
    first = last - (count or settings.periods) + 1
    begin = start or ctx.uow.spc.first_lesson_at(EXCLUDED)
    if begin is not None:
        first = max(first, (begin.astimezone(zone).date() - ANCHOR).days // step)
    found = []
    for index in range(first, last + 1):
        day = ANCHOR + timedelta(days=index * step)
        end_day = day + timedelta(days=step)
        found.append(
            Period(
                first_day=day,
                last_day=end_day - timedelta(days=1),
                start=datetime.combine(day, time(0), zone).astimezone(UTC),
                end=datetime.combine(end_day, time(0), zone).astimezone(UTC),
            )
        )
    return found


def _index(spans: Sequence[Period], moment: datetime) -> int | None:
    for i, span in enumerate(spans):
        if span.start <= moment < span.end:
            return i
    return None


def _values_of(fact: LessonFact, dimension: str) -> list[str]:
    match dimension:
        case "source":
            return [fact.source]
        case "committee":
            return [fact.committee]
        case "process":
            return [fact.process] if fact.process else []
        case _:
            return [code for kind, code in fact.units if kind == dimension]


def value_labels(ctx: Source, dimension: str) -> dict[str, str]:
    config = ctx.config
    match dimension:
        case "source":
            return {k: v.label for k, v in config.lesson_sources.items()}
        case "committee":
            return {k: k for k in config.committees}
        case "site":
            return {k: v.name for k, v in config.sites.items()}
        case "department":
            return {k: v.name for k, v in config.departments.items()}
        case "process":
            return dict(config.processes)
        case "srg":
            return dict(config.srgs)
    raise ValueError(f"unknown SPC dimension {dimension!r}")


def lesson_counts(
    ctx: Source, dimension: str, *, spans: Sequence[Period] | None = None
) -> list[Series]:
    """Lessons per period for every configured (or seen) value of `dimension`, zeros included,
    over `spans` (by default `periods(ctx)`)."""
    labels = value_labels(ctx, dimension)
    spans = list(spans if spans is not None else periods(ctx))
    if not spans:
        return []
    counts: dict[str, list[int]] = {key: [0] * len(spans) for key in labels}
    facts = ctx.uow.spc.lessons_between(
        spans[0].start, spans[-1].end, EXCLUDED, with_units=dimension in UNIT_DIMENSIONS
    )
    for fact in facts:
        i = _index(spans, fact.created_at)
        for value in _values_of(fact, dimension) if i is not None else []:
            counts.setdefault(value, [0] * len(spans))[i] += 1  # type: ignore[index]
    per = period_name(ctx.config.spc.period_days)
    return [
        Series(
            key=f"lessons.{dimension}.{value}",
            title=f"Lessons per {per}: {DIMENSION_TITLES[dimension]} {labels.get(value, value)}",
            unit="lessons",
            improvement=Improvement.DECREASE,
            points=tuple((s.first_day, float(n)) for s, n in zip(spans, row, strict=True)),
            dimension=dimension,
            value=value,
            label=labels.get(value, value),
            periods=tuple(spans),
        )
        for value, row in sorted(counts.items())
    ]


def _due_at(fact: ActionFact, moment: datetime) -> date:
    """The due date in force at `moment`: undo the extensions approved after it."""
    for decided, previous in fact.earlier_dues:
        if decided > moment:
            return previous
    return fact.due_date


def _state_at(fact: ActionFact, moment: datetime, today: date) -> str | None:
    """'overdue', 'open' or None (not open) for one action at one instant, rebuilt from its
    timestamps: open from creation until verified (or finished some other way); waiting for
    verification from completion, unless it is back with its owner now (a rejected completion:
    when it went back is not kept, so it counts as with the owner throughout)."""
    finished = fact.verified_at or (fact.status_changed_at if fact.status in FINISHED else None)
    if fact.created_at > moment or (finished is not None and finished <= moment):
        return None
    submitted = (
        fact.completed_at is not None and fact.completed_at <= moment and fact.status not in WORKING
    )
    if not submitted and _due_at(fact, moment) < today:
        return "overdue"
    return "open"


def _actions(ctx: Source, committee: str | None, spans: Sequence[Period]) -> list[ActionFact]:
    """The actions alive at some moment of `spans` (one committee's, or all)."""
    if not spans:
        return []
    until = min(spans[-1].end, ctx.now)
    found = ctx.uow.spc.actions_alive_between(spans[0].start, until, [s.value for s in ACTION_OPEN])
    return [f for f in found if committee is None or f.committee == committee]


def _overdue_at_ends(
    ctx: Source, committee: str | None, spans: Sequence[Period]
) -> list[tuple[int, int]]:
    """(open, overdue) at each period's end, or now for the period still running."""
    facts = _actions(ctx, committee, spans)
    found = []
    for span in spans:
        moment = min(span.end, ctx.now)
        today = (moment - timedelta(microseconds=1)).astimezone(ctx.config.zone).date()
        states = [_state_at(f, moment, today) for f in facts]
        live = [s for s in states if s is not None]
        found.append((len(live), live.count("overdue")))
    return found


def _measure(
    key: str,
    title: str,
    committee: str | None,
    spans: Sequence[Period],
    unit: str,
    improvement: Improvement,
    points: Sequence[tuple[date, float]],
) -> Series:
    """A measure over `spans`, for one committee (its code in the key and title) or all."""
    return Series(
        key=key + (f".{committee}" if committee else ""),
        title=title + (f" ({committee})" if committee else ""),
        unit=unit,
        improvement=improvement,
        points=tuple(points),
        dimension="committee" if committee else None,
        value=committee,
        label=committee or "",
        periods=tuple(spans),
    )


def overdue_actions(
    ctx: Source, committee: str | None = None, *, spans: Sequence[Period] | None = None
) -> Series:
    """Open actions overdue at each period's end (now, for the current one); 0 when none."""
    spans = list(spans if spans is not None else periods(ctx))
    counts = _overdue_at_ends(ctx, committee, spans)
    per = period_name(ctx.config.spc.period_days)
    return _measure(
        "actions.overdue",
        f"Overdue actions at each {per}'s end",
        committee,
        spans,
        "actions",
        Improvement.DECREASE,
        tuple((s.first_day, float(n)) for s, (_, n) in zip(spans, counts, strict=True)),
    )


def overdue_percentage(
    ctx: Source, committee: str | None = None, *, spans: Sequence[Period] | None = None
) -> Series:
    """% of open actions that are overdue at each period's end (no open actions: no point)."""
    spans = list(spans if spans is not None else periods(ctx))
    counts = _overdue_at_ends(ctx, committee, spans)
    per = period_name(ctx.config.spc.period_days)
    return _measure(
        "actions.overdue_pct",
        f"Open actions overdue at each {per}'s end",
        committee,
        spans,
        "% overdue",
        Improvement.DECREASE,
        tuple(
            (s.first_day, 100.0 * n / live)
            for s, (live, n) in zip(spans, counts, strict=True)
            if live
        ),
    )


def _agreed(ctx: Source, committee: str | None, spans: Sequence[Period]) -> list[list[ActionFact]]:
    """The actions agreed (created) in each period."""
    rows: list[list[ActionFact]] = [[] for _ in spans]
    for fact in _actions(ctx, committee, spans):
        i = _index(spans, fact.created_at)
        if i is not None:
            rows[i].append(fact)
    return rows


def agreed_between(ctx: Source, start: datetime, end: datetime) -> list[ActionFact]:
    """Every action agreed (created) in [start, end): the board pack's quarter figures."""
    found = ctx.uow.spc.actions_alive_between(start, end, [s.value for s in ACTION_OPEN])
    return [f for f in found if start <= f.created_at < end]


def days_to_action(fact: ActionFact) -> float:
    """Days from the lesson's report to this action being agreed."""
    reported = fact.lesson_reported_at or fact.created_at
    return (fact.created_at - reported).total_seconds() / 86400


def days_to_actions(
    ctx: Source, committee: str | None = None, *, spans: Sequence[Period] | None = None
) -> Series:
    """Median days from a lesson's report to each action agreed in the period (none agreed:
    no point)."""
    spans = list(spans if spans is not None else periods(ctx))
    rows = _agreed(ctx, committee, spans)
    per = period_name(ctx.config.spc.period_days)
    return _measure(
        "actions.days_to_action",
        f"Median days from a lesson's report to an agreed action, by {per}",
        committee,
        spans,
        "days",
        Improvement.DECREASE,
        tuple(
            (s.first_day, round(statistics.median(map(days_to_action, row)), 1))
            for s, row in zip(spans, rows, strict=True)
            if row
        ),
    )


def stronger_tiers(config: OrgConfig) -> frozenset[int]:
    return frozenset(t.number for t in config.tiers if t.strength == "stronger")


def stronger_share(
    ctx: Source, committee: str | None = None, *, spans: Sequence[Period] | None = None
) -> Series:
    """% of the period's agreed actions in a "stronger" tier (none agreed: no point)."""
    spans = list(spans if spans is not None else periods(ctx))
    rows = _agreed(ctx, committee, spans)
    strong = stronger_tiers(ctx.config)
    per = period_name(ctx.config.spc.period_days)
    return _measure(
        "actions.stronger",
        f"Actions agreed in a stronger tier, % by {per}",
        committee,
        spans,
        "%",
        Improvement.INCREASE,
        tuple(
            (s.first_day, round(100 * sum(a.tier in strong for a in row) / len(row), 1))
            for s, row in zip(spans, rows, strict=True)
            if row
        ),
    )


def days_to_verified_change(
    ctx: Source, committee: str | None = None, *, spans: Sequence[Period] | None = None
) -> Series:
    """Mean days from a lesson being reported to its first verified change, by the period the
    change was verified in (a lesson still waiting has no value yet, so it cannot pull a
    period's figure down before it is known)."""
    spans = list(spans if spans is not None else periods(ctx))
    found = (
        ctx.uow.spc.first_verifications(spans[0].start, spans[-1].end, EXCLUDED) if spans else []
    )
    days: list[list[float]] = [[] for _ in spans]
    for reported, verified, owner in found:
        i = _index(spans, verified)
        if i is not None and (committee is None or owner == committee):
            days[i].append((verified - reported).total_seconds() / 86400)
    return _measure(
        "lessons.days_to_change",
        "Days from lesson to first verified change, by " + period_name(ctx.config.spc.period_days),
        committee,
        spans,
        "days",
        Improvement.DECREASE,
        tuple(
            (span.first_day, sum(row) / len(row))
            for span, row in zip(spans, days, strict=True)
            if row
        ),
    )


def committee_series(ctx: Source, committee: str) -> tuple[Series, Series]:
    """What a committee sees every week (its digest and its reports page): its lessons per
    period and its overdue actions at each period's end, over the last REPORT_PERIODS whole
    periods."""
    spans = periods(ctx, count=REPORT_PERIODS, before=ctx.now.astimezone(ctx.config.zone).date())
    found = [s for s in lesson_counts(ctx, "committee", spans=spans) if s.value == committee]
    per = period_name(ctx.config.spc.period_days)
    lessons = (
        found[0]
        if found
        else _measure(
            f"lessons.committee.{committee}",
            f"Lessons per {per}: committee {committee}",
            None,
            spans,
            "lessons",
            Improvement.DECREASE,
            (),
        )
    )
    return lessons, overdue_actions(ctx, committee, spans=spans)


def all_series(ctx: Source) -> list[Series]:
    """Every series the SPC report shows, in a stable order."""
    found: list[Series] = []
    for dimension in DIMENSIONS:
        found += lesson_counts(ctx, dimension)
    return [*found, overdue_percentage(ctx), days_to_verified_change(ctx)]
