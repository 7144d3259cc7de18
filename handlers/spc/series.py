"""The series the trust charts: lessons per period by source, committee, site, department and
process, the % of open actions overdue at each period's end, and the days from a lesson being
reported to its first verified change. Periods are the trust's (Mondays in its zone, every
[spc] period_days days, the last one still running); a period with no lessons is a 0, never a
gap, because a quiet week is data. The two measures have gaps where they are undefined (no open
actions, no change verified that period): a missing point is not a zero there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from handlers.actions.lifecycle import ACTION_OPEN, FINISHED, WORKING
from handlers.context import Context
from handlers.lessons.lifecycle import LessonStatus
from handlers.spc.xmr import Improvement, XmrChart, xmr
from store.repos.spc import ActionFact, LessonFact

ANCHOR = date(2024, 1, 1)
"""A Monday: periods of any length start a whole number of periods from it, so they never move."""
EXCLUDED = (LessonStatus.MERGED.value,)
"""A merged lesson is a duplicate of the one it joined: counting it would count one event twice."""
DIMENSIONS = ("source", "committee", "site", "department", "process")
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

    def chart(self, **options: object) -> XmrChart | None:
        """Its XmR chart (xmr()'s keyword options pass through); None with no points."""
        if not self.points:
            return None
        return xmr(self.points, self.improvement, **options)  # type: ignore[arg-type]


def period_name(period_days: int) -> str:
    return {7: "week", 14: "fortnight", 28: "4 weeks"}.get(period_days, f"{period_days} days")


def periods(ctx: Context, *, start: datetime | None = None) -> list[Period]:
    """The periods from `start` (or the register's first lesson), at most [spc] periods of them,
    ending with the one that holds now."""
    settings = ctx.config.spc
    zone = ctx.config.zone
    step = settings.period_days
    today = ctx.calendar.local(ctx.now).date()
    last = (today - ANCHOR).days // step
    first = last - settings.periods + 1
    begin = start or ctx.uow.spc.first_lesson_at(EXCLUDED)
    if begin is not None:
        first = max(first, (ctx.calendar.local(begin).date() - ANCHOR).days // step)
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


def value_labels(ctx: Context, dimension: str) -> dict[str, str]:
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


def lesson_counts(ctx: Context, dimension: str) -> list[Series]:
    """Lessons per period for every configured (or seen) value of `dimension`, zeros included."""
    labels = value_labels(ctx, dimension)
    spans = periods(ctx)
    if not spans:
        return []
    counts: dict[str, list[int]] = {key: [0] * len(spans) for key in labels}
    for fact in ctx.uow.spc.lessons_between(spans[0].start, spans[-1].end, EXCLUDED):
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


def overdue_percentage(ctx: Context, committee: str | None = None) -> Series:
    """% of open actions that are overdue at each period's end (now, for the current one)."""
    spans = periods(ctx)
    facts = (
        ctx.uow.spc.actions_alive_between(spans[0].start, ctx.now, [s.value for s in ACTION_OPEN])
        if spans
        else []
    )
    facts = [f for f in facts if committee is None or f.committee == committee]
    points = []
    for span in spans:
        moment = min(span.end, ctx.now)
        today = ctx.calendar.local(moment - timedelta(microseconds=1)).date()
        states = [_state_at(f, moment, today) for f in facts]
        live = [s for s in states if s is not None]
        if live:
            points.append((span.first_day, 100.0 * live.count("overdue") / len(live)))
    scope = f" ({committee})" if committee else ""
    return Series(
        key="actions.overdue_pct" + (f".{committee}" if committee else ""),
        title=f"Open actions overdue at each {period_name(ctx.config.spc.period_days)}'s end"
        + scope,
        unit="% overdue",
        improvement=Improvement.DECREASE,
        points=tuple(points),
        dimension="committee" if committee else None,
        value=committee,
        label=committee or "",
        periods=tuple(spans),
    )


def days_to_verified_change(ctx: Context, committee: str | None = None) -> Series:
    """Mean days from a lesson being reported to its first verified change, by the period the
    change was verified in (a lesson still waiting has no value yet, so it cannot pull a
    period's figure down before it is known)."""
    spans = periods(ctx)
    found = (
        ctx.uow.spc.first_verifications(spans[0].start, spans[-1].end, EXCLUDED) if spans else []
    )
    days: list[list[float]] = [[] for _ in spans]
    for reported, verified, owner in found:
        i = _index(spans, verified)
        if i is not None and (committee is None or owner == committee):
            days[i].append((verified - reported).total_seconds() / 86400)
    points = tuple(
        (span.first_day, sum(row) / len(row)) for span, row in zip(spans, days, strict=True) if row
    )
    scope = f" ({committee})" if committee else ""
    return Series(
        key="lessons.days_to_change" + (f".{committee}" if committee else ""),
        title="Days from lesson to first verified change, by "
        + period_name(ctx.config.spc.period_days)
        + scope,
        unit="days",
        improvement=Improvement.DECREASE,
        points=points,
        dimension="committee" if committee else None,
        value=committee,
        label=committee or "",
        periods=tuple(spans),
    )


def all_series(ctx: Context) -> list[Series]:
    """Every series the SPC report shows, in a stable order."""
    found: list[Series] = []
    for dimension in DIMENSIONS:
        found += lesson_counts(ctx, dimension)
    return [*found, overdue_percentage(ctx), days_to_verified_change(ctx)]
