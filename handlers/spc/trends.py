"""Whether lessons about a site or department (or, if configured, a process or SRG) make a
trend: by special cause on its SPC chart, or by the count rule (docs/spc.md, "Raising trends").

The spc rule, decided as each lesson arrives: count the dimension's lessons per [spc] period
from the register's first lesson (at most [spc] periods of them, the current, unfinished period
last, zeros included) and draw the XmR chart with "fewer lessons is better". A trend is raised
when the latest point, the period the new lesson falls in, is special cause in the concerning
direction: above the upper limit, two of three close to it, the 7th week above the mean or
the 7th rise in a row. Because the rule runs on every arrival, the moment a period's count
crosses into a signal is the moment it is judged, so looking at the latest point loses nothing.

Until the register has [spc] min_periods periods of history, the limits are too unsettled to
judge by and the count rule decides instead, so a new or small trust still sees its trends. So
it does where the series' chart is a run chart (Series.chart(): most periods have no lesson, and
an XmR chart of mostly-zero counts has limits that collapse onto the mean, so one lesson would
be "special cause").
[trends] rule = "count" keeps the count rule everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from handlers.context import Context
from handlers.spc.series import (
    DIMENSION_TITLES,
    EXCLUDED,
    Period,
    Series,
    period_name,
    periods,
    value_labels,
)
from handlers.spc.xmr import (
    RULE_LABELS,
    SHIFT_POINTS,
    TREND_POINTS,
    Improvement,
    Rule,
    Variation,
    XmrChart,
)
from messages.templates import counted


@dataclass(frozen=True)
class TrendDecision:
    """The verdict on one dimension's value, and why (for the audit row and the message)."""

    raised: bool
    rule: str
    """"spc" or "count": the rule that decided."""
    reason: str
    chart: XmrChart | None = None
    seen: str = ""
    """For the spc rule, what was seen in words a clinician reads ("this week are above the
    usual range (special cause: ...)"), for the message that raises the trend."""


SEEN = {
    Rule.OUTSIDE_LIMITS: "more than the chart's upper limit",
    Rule.TREND: "{n} {pers} in a row, each higher than the one before",
    Rule.TWO_IN_THREE: "2 of the last 3 {pers} close to the upper limit",
    Rule.SHIFT: "a run of {n} {pers} above the average",
}
"""Each rule as it reads when lessons rise (the only direction that raises a trend)."""


def seen_words(chart: XmrChart, per: str) -> str:
    """What the latest point shows, in plain words: "this week are above the usual range
    (special cause: a run of 7 weeks above the average)"."""
    latest = chart.points[-1]
    runs = {Rule.TREND: TREND_POINTS, Rule.SHIFT: SHIFT_POINTS}
    numeric = per[0].isdigit()  # "4 weeks", "10 days"
    pers = f"periods of {per}" if numeric else f"{per}s"
    why = "; ".join(SEEN[Rule(r)].format(n=runs.get(Rule(r), 0), pers=pers) for r in latest.rules)
    when = f"in the latest {per}" if numeric else f"this {per}"
    return f"{when} are above the usual range (special cause: {why})"


def dimension_series(ctx: Context, dimension: str, value: str) -> Series:
    """Lessons per period about one site, department, process or SRG."""
    spans = periods(ctx)
    label = value_labels(ctx, dimension).get(value, value)
    counts = [0] * len(spans)
    if spans:
        times = ctx.uow.spc.lesson_times(dimension, value, spans[0].start, spans[-1].end, EXCLUDED)
        for moment in times:
            counts[_position(spans, moment)] += 1
    return Series(
        key=f"lessons.{dimension}.{value}",
        title=f"Lessons per {period_name(ctx.config.spc.period_days)}: "
        f"{DIMENSION_TITLES.get(dimension, dimension)} {label}",
        unit="lessons",
        improvement=Improvement.DECREASE,
        points=tuple((s.first_day, float(n)) for s, n in zip(spans, counts, strict=True)),
        dimension=dimension,
        value=value,
        label=label,
        periods=tuple(spans),
    )


def _position(spans: Sequence[Period], moment: datetime) -> int:
    return next(i for i, s in enumerate(spans) if s.start <= moment < s.end)


def by_count(ctx: Context, lessons_in_window: int, why: str = "") -> TrendDecision:
    rule = ctx.config.trends
    raised = lessons_in_window >= rule.min_lessons
    reason = (
        f"{counted(lessons_in_window, 'lesson')} within {counted(rule.window_days, 'day')} "
        f"({'at least' if raised else 'fewer than'} {rule.min_lessons})"
    )
    return TrendDecision(raised, "count", f"{reason}{why}")


def decide(ctx: Context, dimension: str, value: str, lessons_in_window: int) -> TrendDecision:
    """The configured rule's verdict for `dimension` = `value`, as a lesson arrives."""
    rule = ctx.config.trends
    if rule.rule == "count" or dimension not in rule.spc_dimensions:
        return by_count(ctx, lessons_in_window)
    series = dimension_series(ctx, dimension, value)
    needed = ctx.config.spc.min_periods
    if len(series.points) < needed:
        per = period_name(ctx.config.spc.period_days)
        return by_count(
            ctx, lessons_in_window, f"; SPC needs {needed} {per}s of history, not yet there"
        )
    chart = series.chart()
    assert chart is not None  # min_periods >= 5 points
    if chart.sparse:
        return by_count(
            ctx, lessons_in_window, "; too rare for an XmR chart (most periods have none)"
        )
    latest = chart.points[-1]
    raised = latest.variation is Variation.CONCERNING
    reason = (
        "special cause: " + "; ".join(RULE_LABELS[Rule(r)] for r in latest.rules)
        if latest.special
        else "common cause variation on the SPC chart"
    )
    per = period_name(ctx.config.spc.period_days)
    seen = seen_words(chart, per) if raised else ""
    return TrendDecision(raised, "spc", reason, chart, seen)
